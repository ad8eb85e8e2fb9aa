"""Throwaway databases for tests: PostgreSQL when ``CRM_TEST_DATABASE_URL`` names a server
(CI starts one), else the embedded SQLite file of the test's data directory."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
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
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
