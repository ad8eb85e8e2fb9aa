"""Names sort in pinyin order on SQLite too.

SQLite has no ICU; the server registers a ``pinyin`` collation on every connection
(``crm_server.db.engine``), and here the name columns are declared with it, as they are
declared ``zh-x-icu`` on PostgreSQL (migration 0003). The collation is the column's own, so
ORDER BY, the keyset comparisons and the ``(name, id)`` indexes agree on one order.

SQLite cannot change a column's collation with ALTER TABLE, and copying the tables (Alembic's
batch mode) would break the foreign keys that point at them inside the migration's
transaction. The collation does not change how rows are stored, only how indexes are
ordered, so the table definitions are edited in place (SQLite's documented
``writable_schema`` procedure) and every index on those columns is rebuilt. Nothing to do on
PostgreSQL.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

COLLATION = "pinyin"

# (table, column, length) of every name people sort by.
NAMES = (
    ("customer", "name", 100),
    ("customer", "province", 32),
    ("contact", "name", 64),
    ("user_account", "name", 64),
    ("department", "name", 100),
    ("role", "name", 64),
)


def upgrade() -> None:
    _declare(collated=True)


def downgrade() -> None:
    _declare(collated=False)


def _declare(*, collated: bool) -> None:
    bind = op.get_bind()
    if bind.dialect.name != "sqlite":
        return
    tables = sorted({table for table, _, _ in NAMES})
    definitions = {table: _table_sql(bind, table) for table in tables}
    for table, column, length in NAMES:
        definitions[table] = _recollate(definitions[table], column, length, collated)
    version = bind.exec_driver_sql("PRAGMA schema_version").scalar_one()
    bind.exec_driver_sql("PRAGMA writable_schema=ON")
    for table, sql in definitions.items():
        bind.execute(sa.text("UPDATE sqlite_master SET sql = :sql "
                             "WHERE type = 'table' AND name = :table"),
                     {"sql": sql, "table": table})
    bind.exec_driver_sql(f"PRAGMA schema_version={int(version) + 1}")
    # RESET makes this connection read the edited definitions before the indexes are rebuilt.
    bind.exec_driver_sql("PRAGMA writable_schema=RESET")
    _check_reloaded(bind, collated)
    for table in tables:
        bind.exec_driver_sql(f"REINDEX {table}")


def _table_sql(bind: sa.Connection, table: str) -> str:
    return str(bind.execute(sa.text("SELECT sql FROM sqlite_master "
                                    "WHERE type = 'table' AND name = :table"),
                            {"table": table}).scalar_one())


def _recollate(sql: str, column: str, length: int, collated: bool) -> str:
    """``sql`` with ``column``'s declaration given (or relieved of) the pinyin collation;
    anything but exactly one match means the table is not what this migration knows."""
    plain = rf"(\n\s*{column} VARCHAR\({length}\))"
    pattern, replacement = ((plain + r"(?= NOT NULL|,)", rf"\1 COLLATE {COLLATION}")
                            if collated else (plain + rf" COLLATE {COLLATION}", r"\1"))
    edited, count = re.subn(pattern, replacement, sql)
    if count != 1:
        raise RuntimeError(f"unexpected definition of column {column}: {sql}")
    return edited


def _check_reloaded(bind: sa.Connection, collated: bool) -> None:
    """Refuse to rebuild indexes from a schema this connection has not reloaded (an SQLite
    without ``writable_schema=RESET``): they would be built in the old order."""
    expected = COLLATION if collated else "BINARY"
    info = bind.exec_driver_sql("PRAGMA index_xinfo(ix_customer_name_id)").all()
    if info[0][4] != expected:
        raise RuntimeError(f"SQLite did not reload the schema (collation {info[0][4]})")
