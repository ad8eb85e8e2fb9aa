"""What a backup must bring back, as plain values to compare before and after: every row of
every table, every file of the store."""

from __future__ import annotations

import hashlib

from sqlalchemy import MetaData, select

from crm_server.db.engine import make_engine
from crm_server.domains.attachments import store_dir
from crm_server.settings import Settings

# A restore bumps the access version (servers drop what they cached of the replaced data).
RENEWED = "access_version"


def table_rows(settings: Settings) -> dict[str, list[str]]:
    """Every row of every table but ``RENEWED``, as sorted text."""
    engine = make_engine(settings.effective_database_url)
    try:
        meta = MetaData()
        meta.reflect(engine)
        with engine.connect() as connection:
            return {name: sorted(repr(tuple(row)) for row in connection.execute(select(t)))
                    for name, t in meta.tables.items() if name != RENEWED}
    finally:
        engine.dispose()


def stored_files(settings: Settings) -> dict[str, str]:
    """The file store: each file's path in it and SHA-256."""
    store = store_dir(settings)
    return {p.relative_to(store).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in store.rglob("*") if p.is_file()}
