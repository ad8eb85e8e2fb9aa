"""Throwaway databases for tests: PostgreSQL when ``CRM_TEST_DATABASE_URL`` names a server
(CI starts one), else the embedded SQLite file of the test's data directory."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, exc, text
from sqlalchemy.engine import make_url


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new, empty database URL: a throwaway PostgreSQL database (UTF-8, C.UTF-8 character
    type, as deploy_onprem/pg-setup.sh makes them) when ``CRM_TEST_DATABASE_URL`` is set,
    else "" (SQLite in the data directory)."""
    base = os.environ.get("CRM_TEST_DATABASE_URL", "")
    if not base:
        yield ""
        return
    name = f"crm_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(
            f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' "
            "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"))
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        _drop(admin, name)
        admin.dispose()


def _drop(admin: Engine, name: str) -> None:
    """Drop the database, its connections with it. An autovacuum worker busy in it cannot be
    terminated by a role that is not superuser (PostgreSQL 15: "must be a member of the role
    whose process is being terminated"): it is done in moments, so ask again."""
    for attempt in range(40):
        try:
            with admin.connect() as connection:
                connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            return
        except exc.ProgrammingError as error:
            if "must be a member of the role" not in str(error) or attempt == 39:
                raise
            time.sleep(0.25)
