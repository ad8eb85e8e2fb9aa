"""Engine and session factory. SQLite gets the pragmas a multi-user server needs and the
pinyin collation its name columns are declared with."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from crm_common.cleansing.pinyin import compare as pinyin_compare
from crm_server.db.types import PINYIN_COLLATION


def _sqlite_setup(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.create_collation(PINYIN_COLLATION, pinyin_compare)
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
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10, **options)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, autoflush=False)
