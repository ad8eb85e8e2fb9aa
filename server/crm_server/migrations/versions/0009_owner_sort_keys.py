"""A sales rep's own customers in every sort order and filter: ``(owner_id, key, id)``.

A sales rep sees the customers they own (about 16,000 each of a million). Sorted by name
they had an index of ``(owner_id, name, id)``; sorted by level, province, last follow-up,
created or updated time, or filtered by level, status or province, PostgreSQL read all of
the rep's customers, or walked the whole table's order and threw away 59 rows of 60:
50,000 to 250,000 buffers a page under load. Each index below is that order within one
owner; partial (``deleted_at IS NULL``, as every list but the recycle bin reads), so a
filtered list's total is counted from the index alone.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

KEYS = ("level", "status", "province", "last_activity_at", "created_at", "updated_at")
LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    for key in KEYS:
        op.create_index(f"ix_customer_owner_{key}_id", "customer", ["owner_id", key, "id"],
                        postgresql_where=LIVE, sqlite_where=LIVE)


def downgrade() -> None:
    for key in KEYS:
        op.drop_index(f"ix_customer_owner_{key}_id", table_name="customer")
