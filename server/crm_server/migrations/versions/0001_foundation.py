"""foundation: accounts, customers, contacts, activities, attachments, audit

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "audit_log",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=True),
        sa.Column("record_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "changes",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index(
            "ix_audit_log_entity_record", ["entity", "record_id", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_audit_log_user_id"), ["user_id"], unique=False)

    op.create_table(
        "department",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("parent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["department.id"], name=op.f("fk_department_parent_id_department")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_department")),
    )
    with op.batch_alter_table("department", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_department_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_department_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_department_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "user_account",
        sa.Column("username", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column(
            "department_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("mobile", sa.String(length=20), nullable=True),
        sa.Column("is_active", sa.Boolean(), nullable=False),
        sa.Column("failed_logins", sa.Integer(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_id"],
            ["department.id"],
            name=op.f("fk_user_account_department_id_department"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_account")),
        sa.UniqueConstraint("username", name=op.f("uq_user_account_username")),
    )
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_user_account_created_at"), ["created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_user_account_department_id"), ["department_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_user_account_name"), ["name"], unique=False)

    op.create_table(
        "attachment",
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column(
            "record_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user_account.id"], name=op.f("fk_attachment_owner_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attachment")),
    )
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attachment_created_at"), ["created_at"], unique=False)
        batch_op.create_index("ix_attachment_entity_record", ["entity", "record_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attachment_owner_id"), ["owner_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_attachment_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_attachment_filename"), ["filename"], unique=False)

    op.create_table(
        "customer",
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("short_name", sa.String(length=64), nullable=True),
        sa.Column("uscc", sa.String(length=18), nullable=True),
        sa.Column("industry", sa.String(length=64), nullable=True),
        sa.Column("province", sa.String(length=32), nullable=True),
        sa.Column("city", sa.String(length=32), nullable=True),
        sa.Column("district", sa.String(length=32), nullable=True),
        sa.Column("address", sa.String(length=200), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("level", sa.String(length=8), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=True),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column("parent_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "tags",
            sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql"),
            nullable=False,
        ),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("last_activity_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("next_follow_up_on", sa.Date(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("name_key", sa.String(length=100), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user_account.id"], name=op.f("fk_customer_owner_id_user_account")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id"], ["customer.id"], name=op.f("fk_customer_parent_id_customer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer")),
    )
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_customer_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_customer_last_activity_at"), ["last_activity_at"], unique=False
        )
        batch_op.create_index("ix_customer_name_id", ["name", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_customer_name_key"), ["name_key"], unique=False)
        batch_op.create_index("ix_customer_owner_name_id", ["owner_id", "name", "id"], unique=False)
        batch_op.create_index("ix_customer_level_id", ["level", "id"], unique=False)
        batch_op.create_index("ix_customer_updated_at_id", ["updated_at", "id"], unique=False)
        batch_op.create_index(
            "ix_customer_province_name_id", ["province", "name", "id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_customer_uscc"), ["uscc"], unique=False)

    op.create_table(
        "user_session",
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.Column("user_agent", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"], name=op.f("fk_user_session_user_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_user_session")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_user_session_token_hash")),
    )
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_session_user_id"), ["user_id"], unique=False)

    op.create_table(
        "contact",
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("title", sa.String(length=64), nullable=True),
        sa.Column("mobile", sa.String(length=20), nullable=True),
        sa.Column("phone", sa.String(length=32), nullable=True),
        sa.Column("email", sa.String(length=254), nullable=True),
        sa.Column("wechat", sa.String(length=64), nullable=True),
        sa.Column("decision_role", sa.String(length=16), nullable=True),
        sa.Column("is_primary", sa.Boolean(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_contact_customer_id_customer")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact")),
    )
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contact_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_contact_customer_id"), ["customer_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_contact_name"), ["name"], unique=False)

    op.create_table(
        "activity",
        sa.Column(
            "customer_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column(
            "contact_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True
        ),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("next_follow_up_on", sa.Date(), nullable=True),
        sa.Column("owner_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=True),
        sa.Column(
            "id",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["contact_id"], ["contact.id"], name=op.f("fk_activity_contact_id_contact")
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customer.id"], name=op.f("fk_activity_customer_id_customer")
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["user_account.id"], name=op.f("fk_activity_owner_id_user_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity")),
    )
    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_activity_contact_id"), ["contact_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_activity_created_at"), ["created_at"], unique=False)
        batch_op.create_index(
            "ix_activity_customer_occurred", ["customer_id", "occurred_at", "id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_activity_next_follow_up_on"), ["next_follow_up_on"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_activity_occurred_at"), ["occurred_at"], unique=False)
        batch_op.create_index(
            "ix_activity_owner_occurred", ["owner_id", "occurred_at", "id"], unique=False
        )

    _search_indexes()


def _search_indexes() -> None:
    """PostgreSQL: trigram indexes make "contains" search fast, Chinese included (pg_trgm
    treats CJK as word characters only when the database's LC_CTYPE is not C; the server
    checks that at start-up)."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table in ("customer", "contact"):
        op.execute(
            f"CREATE INDEX ix_{table}_search_trgm ON {table} USING gin (search_text gin_trgm_ops)"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_customer_search_trgm")
        op.execute("DROP INDEX IF EXISTS ix_contact_search_trgm")

    with op.batch_alter_table("activity", schema=None) as batch_op:
        batch_op.drop_index("ix_activity_owner_occurred")
        batch_op.drop_index(batch_op.f("ix_activity_occurred_at"))
        batch_op.drop_index(batch_op.f("ix_activity_next_follow_up_on"))
        batch_op.drop_index("ix_activity_customer_occurred")
        batch_op.drop_index(batch_op.f("ix_activity_created_at"))
        batch_op.drop_index(batch_op.f("ix_activity_contact_id"))

    op.drop_table("activity")
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contact_name"))
        batch_op.drop_index(batch_op.f("ix_contact_customer_id"))
        batch_op.drop_index(batch_op.f("ix_contact_created_at"))

    op.drop_table("contact")
    with op.batch_alter_table("user_session", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_session_user_id"))

    op.drop_table("user_session")
    with op.batch_alter_table("customer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_customer_uscc"))
        batch_op.drop_index("ix_customer_province_name_id")
        batch_op.drop_index("ix_customer_owner_name_id")
        batch_op.drop_index("ix_customer_level_id")
        batch_op.drop_index("ix_customer_updated_at_id")
        batch_op.drop_index(batch_op.f("ix_customer_name_key"))
        batch_op.drop_index("ix_customer_name_id")
        batch_op.drop_index(batch_op.f("ix_customer_last_activity_at"))
        batch_op.drop_index(batch_op.f("ix_customer_created_at"))

    op.drop_table("customer")
    with op.batch_alter_table("attachment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attachment_sha256"))
        batch_op.drop_index(batch_op.f("ix_attachment_filename"))
        batch_op.drop_index(batch_op.f("ix_attachment_owner_id"))
        batch_op.drop_index("ix_attachment_entity_record")
        batch_op.drop_index(batch_op.f("ix_attachment_created_at"))

    op.drop_table("attachment")
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_account_name"))
        batch_op.drop_index(batch_op.f("ix_user_account_department_id"))
        batch_op.drop_index(batch_op.f("ix_user_account_created_at"))

    op.drop_table("user_account")
    with op.batch_alter_table("department", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_department_parent_id"))
        batch_op.drop_index(batch_op.f("ix_department_name"))
        batch_op.drop_index(batch_op.f("ix_department_created_at"))

    op.drop_table("department")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_log_user_id"))
        batch_op.drop_index("ix_audit_log_entity_record")
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
