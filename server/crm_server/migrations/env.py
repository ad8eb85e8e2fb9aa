"""Alembic environment: the connection comes from ``crm_server.db.migrate`` (config
attribute ``connection``, already inside the one transaction of the whole upgrade) or from
the URL it set; SQLite uses batch mode for ALTERs. ``transaction_per_migration`` stays off:
an upgrade over several revisions commits all of them or none."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection

import crm_server.models  # noqa: F401 - registers every table on Base.metadata
from crm_server.db.base import Base
from crm_server.db.engine import make_engine
from crm_server.db.migrate import include_object
from crm_server.db.types import UTCDateTime

config = context.config


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """How autogenerate writes the project's own column types: as the plain SQLAlchemy
    types they create in the database, so a generated migration needs no hand edit and
    never imports model code (which later releases change)."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
        render_item=render_item,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as fresh:
        _run(fresh)
    engine.dispose()


run_migrations_online()
