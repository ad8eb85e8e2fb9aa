"""the access version: one counter of changes to users, roles, departments and the policy

Every server process caches the principal of each signed-in session (its roles' merged
grants, its department subtree and the people in it). The counter is bumped in the
transaction of every change those are made of and read with each session token, so a
cached principal is used only while nothing it was made of has changed, on any process.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    table = op.create_table(
        "access_version",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_access_version")),
    )
    op.bulk_insert(table, [{"id": 1, "value": 0}])


def downgrade() -> None:
    op.drop_table("access_version")
