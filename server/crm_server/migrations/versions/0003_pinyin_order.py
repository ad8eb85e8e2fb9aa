"""Names sort in pinyin order on PostgreSQL.

Chinese users expect 阿里 < 北京 < 上海 < 万通 (pinyin), not code-point order (万 < 上 < 北).
The ICU collation ``zh-x-icu`` gives that order to ORDER BY, the keyset comparisons and the
indexes alike, so paging stays one index range; changing a column's collation rebuilds the
indexes on it. SQLite keeps code-point order (no ICU there).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# (table, column, length) of every name people sort by.
NAMES = (
    ("customer", "name", 100),
    ("customer", "province", 32),
    ("contact", "name", 64),
    ("user_account", "name", 64),
    ("department", "name", 100),
)


def _collate(collation: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for table, column, length in NAMES:
        op.execute(f'ALTER TABLE {table} ALTER COLUMN {column} '
                   f'TYPE varchar({length}) COLLATE "{collation}"')
    # Changing a column's type drops its statistics; without them the planner guesses.
    op.execute(f"ANALYZE {', '.join(sorted({table for table, _, _ in NAMES}))}")


def upgrade() -> None:
    _collate("zh-x-icu")


def downgrade() -> None:
    _collate("default")
