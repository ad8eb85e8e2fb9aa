"""Run Alembic migrations from code (``crm-server init``/``migrate``, tests, the demo).

The Alembic configuration is built here rather than read from an ini file, so an
installed server (or a frozen one) finds its migrations inside the package.

An upgrade cannot half-apply: every migration step up to the target runs in one
transaction (``migration_transaction``), on SQLite as on PostgreSQL, so a failing step
leaves the schema, ``alembic_version`` and every row as they were. The seeding after it
(``seed_defaults``, ``reorder_names``, ``ensure_search_indexes``) runs in transactions of
its own and is safe to re-run: ``crm-server migrate`` again finishes what a failure left.
"""

from __future__ import annotations

import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, cast

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect

from crm_common.entities import REGISTRY
from crm_server.db.engine import make_engine, make_session_factory
from crm_server.db.types import PINYIN_COLLATION
from crm_server.kit.binding import binding
from crm_server.security import policy, roles, versions
from crm_server.settings import Settings

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def include_object(obj: Any, name: str | None, kind: str, reflected: bool,
                   compare_to: Any) -> bool:
    """What autogenerate compares. The search indexes (trigrams, Chinese character pairs)
    exist on PostgreSQL only and are made by hand in the migrations (the models cannot
    express them portably)."""
    return not (kind == "index" and (name or "").endswith(("_search_trgm", "_search_pairs")))


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


class MigrationError(RuntimeError):
    """A migration left the data inconsistent (a foreign key pointing nowhere); nothing of
    it was committed."""


@contextmanager
def migration_transaction(engine: Engine) -> Iterator[Connection]:
    """A connection inside one transaction that commits when the block ends and rolls back
    everything when it raises. PostgreSQL's DDL is transactional as it is. SQLite's
    pysqlite driver commits by itself before DDL, so this connection takes SQLAlchemy's
    recipe for transactional DDL on SQLite: the driver's own transaction handling off and
    an explicit BEGIN. Foreign keys follow SQLite's procedure for schema changes: off
    before BEGIN (the pragma does nothing inside a transaction, and a table copied in batch
    mode must not cascade), ``PRAGMA foreign_key_check`` before COMMIT, on again after."""
    if engine.dialect.name != "sqlite":
        with engine.begin() as connection:
            yield connection
        return
    with engine.connect() as connection:
        driver = cast(sqlite3.Connection, connection.connection.dbapi_connection)
        isolation = driver.isolation_level
        driver.isolation_level = None
        driver.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                connection.exec_driver_sql("BEGIN")
                yield connection
                _check_foreign_keys(connection)
        finally:
            driver.execute("PRAGMA foreign_keys=ON")
            driver.isolation_level = isolation


def _check_foreign_keys(connection: Connection) -> None:
    violations = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
    if violations:
        table, rowid, parent = violations[0][:3]
        raise MigrationError(
            f"the migration left {len(violations)} rows pointing nowhere "
            f"(first: {table} row {rowid} → {parent}); nothing was changed")


def apply_migrations(engine: Engine, config: Config, revision: str = "head") -> None:
    """Run ``config``'s migrations up to ``revision`` in one transaction. Alembic's
    ``transaction_per_migration`` stays off (``migrations/env.py``) and the connection
    comes in a transaction already, so no step commits on its own."""
    with migration_transaction(engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def upgrade_engine(engine: Engine, revision: str = "head") -> None:
    """Bring the database behind ``engine`` to ``revision``, all steps or none; at the
    head, also seed what the code defines (the built-in roles' grants for every entity,
    the security policy)."""
    apply_migrations(engine, alembic_config(str(engine.url)), revision)
    if revision == "head":
        seed_defaults(engine)
        reorder_names(engine)
        ensure_search_indexes(engine)


def reorder_names(engine: Engine) -> None:
    """Rebuild SQLite's name indexes in the order of the installed pinyin dictionary. A
    release may bring a pypinyin that reads a rare character differently, and an index kept
    in another order than its collation's gives wrong pages; every upgrade migrates, and at
    the sizes SQLite serves the rebuild takes moments."""
    if engine.dialect.name == "sqlite":
        with engine.begin() as connection:
            connection.exec_driver_sql(f"REINDEX {PINYIN_COLLATION}")


# The two indexes of a searchable table on PostgreSQL (``kit.search``): trigrams for terms of
# three characters or more, the pair index for two Chinese characters or two letters. The
# name in the default collation (not zh-x-icu), as the search text: the pairs' statistics
# are sorted and looked up in it (migration 0008).
SEARCH_INDEXES = {
    "search_trgm": "USING gin (search_text gin_trgm_ops)",
    "search_pairs": 'USING gin (crm_search_pairs(name COLLATE "default", search_text))',
}


def ensure_search_indexes(engine: Engine) -> None:
    """Make the search indexes of every searchable entity's table that lacks them, so an
    entity declared searchable needs nothing written by hand in its migration. Existing
    ones are left alone (a migration that changes their definition drops them first)."""
    if engine.dialect.name != "postgresql":
        return
    from crm_server.bindings import bind_all  # the bindings import the domain services

    bind_all()
    tables = [binding(spec.key).model.__tablename__ for spec in REGISTRY.values()
              if spec.searchable]
    with engine.begin() as connection:
        present = set(inspect(connection).get_table_names())
        for table in tables:
            if table not in present:
                continue
            existing = {index["name"] for index in inspect(connection).get_indexes(table)}
            made = [suffix for suffix in SEARCH_INDEXES if f"ix_{table}_{suffix}" not in existing]
            for suffix in made:
                connection.exec_driver_sql(
                    f"CREATE INDEX ix_{table}_{suffix} ON {table} {SEARCH_INDEXES[suffix]}")
            if made:
                connection.exec_driver_sql(f"ANALYZE {table}")


def seed_defaults(engine: Engine) -> None:
    """The built-in roles and the policy row; and a new access version, so servers running
    meanwhile drop what they cached of anything a migration may have rewritten."""
    with make_session_factory(engine).begin() as session:
        roles.ensure_builtin(session)
        policy.stored(session)
        versions.bump(session)


def upgrade(settings: Settings, revision: str = "head") -> None:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.effective_database_url)
    try:
        upgrade_engine(engine, revision)
    finally:
        engine.dispose()


def new_revision(message: str) -> Path:
    """Write the next migration (``NNNN_message.py``), autogenerated from the models against
    a scratch SQLite database at the current head. Its column types are rendered as plain
    SQLAlchemy types (``migrations/env.py``) and it works on PostgreSQL too (batch mode);
    the search indexes of a searchable table are made after every upgrade from the
    registry (``ensure_search_indexes``), so a plain entity's migration needs no edit."""
    head = head_revision()
    number = f"{int(head or 0) + 1:04d}"
    with tempfile.TemporaryDirectory() as scratch:
        engine = make_engine(f"sqlite:///{scratch}/head.db")
        try:
            upgrade_engine(engine)
            config = alembic_config(str(engine.url))
            script = command.revision(config, message=message, autogenerate=True,
                                      rev_id=number)
        finally:
            engine.dispose()
    if script is None or isinstance(script, list):
        raise RuntimeError("autogenerate wrote no single migration")
    return Path(script.path)


def head_revision() -> str | None:
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def engine_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def current_revision(settings: Settings) -> str | None:
    engine = make_engine(settings.effective_database_url)
    try:
        return engine_revision(engine)
    finally:
        engine.dispose()
