"""A migration that fails half-way changes nothing, on SQLite as on PostgreSQL: the schema
(tables, columns, indexes, foreign keys), ``alembic_version`` and every row stay as they
were, also when the failure comes after other revisions of the same upgrade ran.

The failing migrations are extra scripts in the test's directory, added to the product's
through Alembic's ``version_locations`` on the configuration the test builds."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from alembic.config import Config
from sqlalchemy import Engine, inspect, text

from crm_server.db.engine import make_engine
from crm_server.db.migrate import (
    MIGRATIONS,
    alembic_config,
    apply_migrations,
    engine_revision,
    head_revision,
    upgrade_engine,
)
from crm_server.settings import load_settings
from databases import fresh_database

NOW = "2026-01-01 00:00:00+00:00"

SCRIPT = '''"""A migration that fails after changing the schema and the data."""
import sqlalchemy as sa
from alembic import op

revision = "9001"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("scratch_note", sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("body", sa.String(50)))
    op.create_index("ix_scratch_note_body", "scratch_note", ["body"])
    with op.batch_alter_table("customer") as batch:
        batch.add_column(sa.Column("nickname", sa.String(50)))
    op.execute("INSERT INTO scratch_note (body) VALUES ('a'), ('b')")
    op.execute("UPDATE customer SET nickname = 'x', name = 'renamed'")
    {ending}


def downgrade() -> None:
    pass
'''
RAISES = 'raise RuntimeError("the migration fails half-way")'
# Deletes a customer its contact still points at: SQLite's foreign keys are off during the
# migration, so only the check before COMMIT finds it; PostgreSQL refuses at once.
ORPHANS = 'op.execute("DELETE FROM customer")'


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    with fresh_database() as url:
        built = make_engine(load_settings(tmp_path, database_url=url).effective_database_url)
        yield built
        built.dispose()


def _config(engine: Engine, directory: Path, down: str, ending: str) -> Config:
    """The product's migrations plus one failing script after ``down``."""
    directory.mkdir()
    (directory / "9001_fails.py").write_text(SCRIPT.format(down=down, ending=ending),
                                             encoding="utf-8")
    config = alembic_config(str(engine.url))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations",
                           os.pathsep.join([str(MIGRATIONS / "versions"), str(directory)]))
    return config


def _data(engine: Engine) -> None:
    """A department, a user, a customer owned by the user and a contact of the customer."""
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO department (id, name, sort_order, version, created_at, updated_at) "
            "VALUES (1, '销售部', 0, 1, :now, :now)"), {"now": NOW})
        connection.execute(text(
            "INSERT INTO user_account (id, username, name, password_hash, department_id, "
            "is_active, failed_logins, version, created_at, updated_at) VALUES "
            "(1, 'rep', '销售', 'x', 1, true, 0, 1, :now, :now)"), {"now": NOW})
        connection.execute(text(
            "INSERT INTO customer (id, name, level, status, owner_id, tags, search_text, "
            "name_key, version, created_at, updated_at) VALUES (1, '恒瑞精密', 'C', "
            "'potential', 1, '[]', '', '', 1, :now, :now)"), {"now": NOW})
        connection.execute(text(
            "INSERT INTO contact (id, customer_id, name, is_primary, search_text, version, "
            "created_at, updated_at) VALUES (1, 1, '王经理', true, '', 1, :now, :now)"),
            {"now": NOW})


def _state(engine: Engine) -> dict[str, Any]:
    """Every table's columns, indexes, foreign keys and rows."""
    state: dict[str, Any] = {}
    with engine.connect() as connection:
        inspector = inspect(connection)
        for table in sorted(inspector.get_table_names()):
            columns = [(column["name"], str(column["type"]), column["nullable"])
                       for column in inspector.get_columns(table)]
            indexes = sorted((index["name"] or "", tuple(index["column_names"]))
                             for index in inspector.get_indexes(table))
            keys = sorted(repr(key) for key in inspector.get_foreign_keys(table))
            rows = sorted(repr(tuple(row))
                          for row in connection.execute(text(f'SELECT * FROM "{table}"')))
            state[table] = (columns, indexes, keys, rows)
    return state


def test_a_migration_failing_half_way_changes_nothing(engine: Engine, tmp_path: Path) -> None:
    upgrade_engine(engine)
    _data(engine)
    before = _state(engine)
    config = _config(engine, tmp_path / "extra", str(head_revision()), RAISES)
    with pytest.raises(RuntimeError, match="fails half-way"):
        apply_migrations(engine, config, "9001")
    assert _state(engine) == before
    assert "scratch_note" not in before and engine_revision(engine) == head_revision()


def test_a_failure_after_other_revisions_keeps_the_database_at_its_revision(
        engine: Engine, tmp_path: Path) -> None:
    upgrade_engine(engine, "0013")
    _data(engine)
    before = _state(engine)
    config = _config(engine, tmp_path / "extra", str(head_revision()), RAISES)
    with pytest.raises(RuntimeError, match="fails half-way"):
        apply_migrations(engine, config, "9001")
    assert _state(engine) == before
    assert engine_revision(engine) == "0013" and "import_batch" not in before


def test_a_migration_leaving_rows_pointing_nowhere_is_refused(
        engine: Engine, tmp_path: Path) -> None:
    upgrade_engine(engine)
    _data(engine)
    before = _state(engine)
    config = _config(engine, tmp_path / "extra", str(head_revision()), ORPHANS)
    with pytest.raises(Exception, match=r"pointing nowhere|foreign key"):
        apply_migrations(engine, config, "9001")
    assert _state(engine) == before


def test_the_connection_enforces_foreign_keys_again_after_a_migration(engine: Engine) -> None:
    upgrade_engine(engine)
    _data(engine)
    with pytest.raises(Exception, match=r"(?i)foreign key"), engine.begin() as connection:
        connection.execute(text("DELETE FROM customer"))


def test_seeding_again_changes_nothing(engine: Engine) -> None:
    """What runs after the migrations can run again: a second upgrade after a failure
    between the migrations and the seeding finishes the work without doubling it."""
    upgrade_engine(engine)
    _data(engine)
    before = _state(engine)
    upgrade_engine(engine)
    after = _state(engine)
    versions = ("access_version",)
    assert {table: value for table, value in after.items() if table not in versions} == {
        table: value for table, value in before.items() if table not in versions}
