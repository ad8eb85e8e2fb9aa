"""Sort keys paired with id; search by pairs of Chinese characters.

Every sort key gets an index on ``(key, id)`` so keyset paging is one index range (the
province sort walked 81-232 ms a page on a million customers without it). On PostgreSQL,
a two-character Chinese term has no trigram, so pg_trgm could not narrow it (576-1,254 ms);
``crm_cjk_pairs`` lists the pairs of adjacent Chinese characters of the search text and a
GIN index over it answers such terms in a few milliseconds (the pg_bigm idea in plain SQL).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

# ASCII runs become spaces, so pairs are made of adjacent non-ASCII characters only.
PAIRS_FUNCTION = r"""
CREATE OR REPLACE FUNCTION crm_cjk_pairs(value text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT coalesce(array_agg(DISTINCT pair), '{}')
    FROM (SELECT substr(cjk, i, 2) AS pair
          FROM (SELECT regexp_replace(value, '[\x01-\x7f]+', ' ', 'g') AS cjk) s,
               generate_series(1, length(cjk) - 1) AS i) pairs
    WHERE pair !~ ' '
$$"""
SEARCH_TABLES = ("customer", "contact")

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_activity_next_follow_up_on"))
        batch_op.create_index(
            "ix_activity_next_follow_up_on_id", ["next_follow_up_on", "id"], unique=False
        )

    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachment_filename"))
        batch_op.create_index("ix_attachment_filename_id", ["filename", "id"], unique=False)

    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_name"))
        batch_op.create_index("ix_contact_name_id", ["name", "id"], unique=False)

    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_last_activity_at"))
        batch_op.create_index(
            "ix_customer_last_activity_at_id", ["last_activity_at", "id"], unique=False
        )
        batch_op.create_index("ix_customer_province_id", ["province", "id"], unique=False)

    with op.batch_alter_table("department", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_department_name"))
        batch_op.create_index("ix_department_name_id", ["name", "id"], unique=False)

    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_account_name"))
        batch_op.create_index("ix_user_account_name_id", ["name", "id"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute(PAIRS_FUNCTION)
        for table in SEARCH_TABLES:
            op.execute(
                f"CREATE INDEX ix_{table}_search_pairs ON {table} "
                "USING gin (crm_cjk_pairs(search_text))"
            )
        # New expression indexes have no statistics until analysed, and autovacuum will
        # not analyse tables whose rows did not change: the planner would guess blindly.
        op.execute(f"ANALYZE {', '.join(SEARCH_TABLES)}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in SEARCH_TABLES:
            op.execute(f"DROP INDEX IF EXISTS ix_{table}_search_pairs")
        op.execute("DROP FUNCTION IF EXISTS crm_cjk_pairs(text)")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_index("ix_user_account_name_id")
        batch_op.create_index(batch_op.f("ix_user_account_name"), ["name"], unique=False)

    with op.batch_alter_table("department", schema=None) as batch_op:
        batch_op.drop_index("ix_department_name_id")
        batch_op.create_index(batch_op.f("ix_department_name"), ["name"], unique=False)

    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_province_id")
        batch_op.drop_index("ix_customer_last_activity_at_id")
        batch_op.create_index(
            batch_op.f("ix_customer_last_activity_at"), ["last_activity_at"], unique=False
        )

    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_index("ix_contact_name_id")
        batch_op.create_index(batch_op.f("ix_contact_name"), ["name"], unique=False)

    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_index("ix_attachment_filename_id")
        batch_op.create_index(batch_op.f("ix_attachment_filename"), ["filename"], unique=False)

    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_next_follow_up_on_id")
        batch_op.create_index(
            batch_op.f("ix_activity_next_follow_up_on"), ["next_follow_up_on"], unique=False
        )
