"""Engine and session factory. SQLite gets the pragmas a multi-user server needs, the
pinyin collation its name columns are declared with, and the SQL functions of PostgreSQL the
queries use that it lacks (``split_part``).

No request waits for the database without end: connecting gives up after
``CONNECT_TIMEOUT`` seconds, a checked-out pool waits ``POOL_TIMEOUT`` seconds for a free
connection, PostgreSQL cancels a statement after the server's ``statement_timeout`` and TCP
keepalives notice a database host that vanished mid-query; SQLite waits ``busy_timeout`` for
a lock. ``pool_pre_ping`` replaces a pooled connection the database closed (a restart) before
a request uses it, and a connection that breaks mid-request is invalidated with every other
connection of the pool, so the requests after a restart reconnect by themselves.
``unavailable`` tells such failures (answered 503) from faults of a request or of the code.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, delete, event, exc, false, text
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


CONNECT_TIMEOUT = 5  # seconds to open a connection to PostgreSQL
# Seconds a request waits for a pooled connection: below the desktop client's 15 s timeout,
# so a swamped server answers 503 (and the client retries a read) instead of going silent.
POOL_TIMEOUT = 10
# A dead PostgreSQL host is noticed after about 10 + 3 × 5 seconds of silence.
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5,
              "keepalives_count": 3}
SQLITE_BUSY_MESSAGES = ("database is locked", "database table is locked")


def unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database cannot serve now — down, restarting, unreachable,
    the connection lost, every connection busy, a statement cancelled by its timeout, SQLite
    locked past its busy timeout — so the same request may succeed a little later. Other
    errors (a bad statement, a constraint) are faults, not outages."""
    if isinstance(error, exc.TimeoutError):  # no pooled connection became free in time
        return True
    if not isinstance(error, exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if isinstance(error.orig, sqlite3.Error):  # its OperationalError also means bad SQL
        return any(message in str(error.orig) for message in SQLITE_BUSY_MESSAGES)
    return isinstance(error, exc.OperationalError | exc.InterfaceError)


def _sqlite_setup(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.create_collation(PINYIN_COLLATION, pinyin_compare)
    dbapi_connection.create_function("split_part", 3, split_part, deterministic=True)
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str, statement_timeout: int = 0, **options: Any) -> Engine:
    """An engine for ``url``; SQLite connections enforce foreign keys and wait on locks.
    ``statement_timeout`` (seconds, 0 for none) bounds each PostgreSQL statement: the server
    sets it for requests, not for migrations or maintenance."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False},
                               pool_timeout=POOL_TIMEOUT, **options)
        event.listen(engine, "connect", _sqlite_setup)
        return engine
    # JIT compiling pays off for long analytical queries; here it added ~8 ms to a search
    # of 100 ms and more to the walks over a million rows the planner costs high.
    settings = ["-c jit=off"]
    if statement_timeout:
        settings.append(f"-c statement_timeout={statement_timeout * 1000}")
    connect_args: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT, **KEEPALIVES,
                                    "options": " ".join(settings)}
    return create_engine(url, pool_pre_ping=True, pool_timeout=POOL_TIMEOUT,
                         connect_args=connect_args, **{**pool_options(20), **options})


def pool_options(connections: int) -> dict[str, int]:
    """A pool of at most ``connections``: half kept open, the rest opened for bursts and
    closed again when returned. A request that finds them all busy waits ``POOL_TIMEOUT``,
    then gets ``sqlalchemy.exc.TimeoutError`` (answered 503, ``errors``)."""
    kept = max(1, connections // 2)
    return {"pool_size": kept, "max_overflow": connections - kept}


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False, autoflush=False)


def serialise(connection: Connection, model: type[Any], space: int, key: str = "") -> None:
    """Make every other transaction that asks for ``(space, key)`` wait until this one ends.
    PostgreSQL takes an advisory transaction lock; SQLite admits one writer at a time, and a
    write that changes nothing (in ``model``'s table) makes this transaction it."""
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:space, hashtext(:key))"),
                           {"space": space, "key": key})
    else:
        connection.execute(delete(model).where(false()))
