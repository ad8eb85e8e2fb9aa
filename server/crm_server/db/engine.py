"""Engine and session factory. SQLite gets the pragmas a multi-user server needs, the
pinyin collation its name columns are declared with, and the SQL functions of PostgreSQL the
queries use that it lacks (``split_part``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from crm_common.cleansing.pinyin import compare as pinyin_compare
from crm_server.db.types import PINYIN_COLLATION


def split_part(value: str | None, delimiter: str | None, position: int | None) -> str | None:
    """PostgreSQL's ``split_part``: the ``position``-th (1-based) field of ``value`` split at
    ``delimiter``; empty past the last field; NULL in, NULL out."""
    if value is None or delimiter is None or position is None:
        return None
    if position < 1 or not delimiter:
        raise ValueError("split_part needs a delimiter and a position of 1 or more")
    fields = value.split(delimiter)
    return fields[position - 1] if position <= len(fields) else ""


def _sqlite_setup(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.create_collation(PINYIN_COLLATION, pinyin_compare)
    dbapi_connection.create_function("split_part", 3, split_part, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str, **options: Any) -> Engine:
    """An engine for ``url``; SQLite connections enforce foreign keys and wait on locks."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **options)
        event.listen(engine, "connect", _sqlite_setup)
        return engine
    return create_engine(url, **{"pool_pre_ping": True, **pool_options(20), **options})


def pool_options(connections: int) -> dict[str, int]:
    """A pool of at most ``connections``: half kept open, the rest opened for bursts and
    closed again when returned. A request that finds them all busy waits ``pool_timeout``,
    then gets ``sqlalchemy.exc.TimeoutError``."""
    kept = max(1, connections // 2)
    return {"pool_size": kept, "max_overflow": connections - kept}


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, autoflush=False)
