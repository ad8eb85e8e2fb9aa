"""search text by field: one segment per search field

A search must match only on what the asking role may read. The search text of customers and
contacts was one run of words from all their search fields; it becomes one segment per entry
of the entity's ``search_fields``, in that order, joined by the ASCII unit separator
(``crm_server.kit.search``), so a search can keep to the segments of readable fields. Every
row is rebuilt by the server's own builders, in batches by id. On PostgreSQL the two search
indexes of each table are dropped for the rebuild and made again afterwards (updating a
million rows through a GIN index costs far more than building it), then analysed.

The search text is derived: should its builders change later, a later migration rebuilds it
again, and running this one with them merely builds the newer layout sooner.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from crm_server.domains.customers import contact_search_text, customer_search_text
from crm_server.kit.search import SEPARATOR

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BATCH = 5_000
TABLES = ("customer", "contact")
INDEXES = {
    "search_trgm": "USING gin (search_text gin_trgm_ops)",
    "search_pairs": "USING gin (crm_cjk_pairs(search_text))",
}

customer = sa.table("customer", sa.column("id", sa.BigInteger), sa.column("name"),
                    sa.column("short_name"), sa.column("uscc"), sa.column("phone"),
                    sa.column("search_text"))
contact = sa.table("contact", sa.column("id", sa.BigInteger),
                   sa.column("customer_id", sa.BigInteger), sa.column("name"),
                   sa.column("mobile"), sa.column("phone"), sa.column("email"),
                   sa.column("deleted_at"), sa.column("search_text"))


def _postgresql() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    if _postgresql():
        for table in TABLES:
            for suffix in INDEXES:
                op.execute(f"DROP INDEX IF EXISTS ix_{table}_{suffix}")
    _rebuild(contact, lambda rows: {row.id: contact_search_text(row) for row in rows})
    _rebuild(customer, _customer_texts)
    if _postgresql():
        for table in TABLES:
            for suffix, method in INDEXES.items():
                op.execute(f"CREATE INDEX ix_{table}_{suffix} ON {table} {method}")
        op.execute(f"ANALYZE {', '.join(TABLES)}")


def _customer_texts(rows: Sequence[Any]) -> dict[int, str]:
    """The search texts of a batch of customers, with their live contacts' phones."""
    phones: dict[int, list[Any]] = defaultdict(list)
    for row in op.get_bind().execute(
            sa.select(contact.c.customer_id, contact.c.mobile, contact.c.phone)
            .where(contact.c.customer_id.in_([row.id for row in rows]),
                   contact.c.deleted_at.is_(None)).order_by(contact.c.id)):
        phones[row.customer_id].append(row)
    return {row.id: customer_search_text(row, phones[row.id]) for row in rows}


def _rebuild(table: Any, texts: Callable[[Sequence[Any]], dict[int, str]]) -> None:
    """Every row's search text, ``BATCH`` rows at a time in id order."""
    bind = op.get_bind()
    columns = [c for c in table.c if c.name != "search_text"]
    last = 0
    while rows := bind.execute(sa.select(*columns).where(table.c.id > last)
                               .order_by(table.c.id).limit(BATCH)).all():
        _write(table, texts(rows))
        last = rows[-1].id


def _write(table: Any, texts: dict[int, str]) -> None:
    """One statement per batch on PostgreSQL (an UPDATE from a VALUES list: psycopg2 would
    send an executemany row by row); SQLite, in process, takes the executemany."""
    bind = op.get_bind()
    if not _postgresql():
        bind.execute(table.update().where(table.c.id == sa.bindparam("key"))
                     .values(search_text=sa.bindparam("text")),
                     [{"key": key, "text": text} for key, text in texts.items()])
        return
    batch = sa.values(sa.column("key", sa.BigInteger), sa.column("text", sa.Text),
                      name="batch").data(list(texts.items()))
    bind.execute(table.update().where(table.c.id == batch.c.key)
                 .values(search_text=batch.c.text))


def downgrade() -> None:
    """Back to one run of words: the segments joined by spaces, as the old search read."""
    for table in (customer, contact):
        op.execute(table.update().values(
            search_text=sa.func.replace(table.c.search_text, SEPARATOR, " ")))
