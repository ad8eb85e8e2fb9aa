"""Upgrading a database that holds data: the foundation's users keep their role as one of
the built-in roles, the roles migration goes down and up again, search texts are rebuilt
by field (0005) and back, and names already stored sort in pinyin order afterwards (0006)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, text

from crm_common.cleansing import pinyin
from crm_server.db.engine import make_engine
from crm_server.db.migrate import alembic_config, upgrade_engine
from crm_server.kit.search import SEPARATOR
from crm_server.settings import load_settings
from databases import fresh_database

NOW = "2026-01-01 00:00:00+00:00"


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    with fresh_database() as url:
        built = make_engine(load_settings(tmp_path, database_url=url).effective_database_url)
        yield built
        built.dispose()


def _foundation_data(engine: Engine) -> None:
    """A department, two users with the foundation's roles, and a customer owned by one of
    them (its foreign key is what a table copy would trip over)."""
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO department (id, name, sort_order, version, created_at, updated_at) "
            "VALUES (1, '销售部', 0, 1, :now, :now)"), {"now": NOW})
        for user_id, username, role in ((1, "boss", "admin"), (2, "rep", "sales")):
            connection.execute(text(
                "INSERT INTO user_account (id, username, name, password_hash, department_id, "
                "role, is_active, failed_logins, version, created_at, updated_at) VALUES "
                "(:id, :username, :username, 'x', 1, :role, true, 0, 1, :now, :now)"),
                {"id": user_id, "username": username, "role": role, "now": NOW})
        connection.execute(text(
            "INSERT INTO customer (name, level, status, owner_id, tags, search_text, name_key, "
            "version, created_at, updated_at) VALUES ('恒瑞精密', 'C', 'potential', 2, '[]', "
            "'', '', 1, :now, :now)"), {"now": NOW})


def _roles(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        return dict(connection.execute(text(
            "SELECT u.username, r.key FROM user_account u JOIN user_role ur ON ur.user_id = u.id "
            "JOIN role r ON r.id = ur.role_id")).all())


def test_users_keep_their_role_through_the_roles_migration(engine: Engine) -> None:
    upgrade_engine(engine, "0003")
    _foundation_data(engine)
    upgrade_engine(engine)
    assert _roles(engine) == {"boss": "administrator", "rep": "sales_rep"}
    with engine.begin() as connection:
        config = alembic_config(str(engine.url))
        config.attributes["connection"] = connection
        command.downgrade(config, "0003")
    with engine.connect() as connection:
        back = dict(connection.execute(text("SELECT username, role FROM user_account")).all())
    assert back == {"boss": "admin", "rep": "sales"}
    upgrade_engine(engine)
    assert _roles(engine) == {"boss": "administrator", "rep": "sales_rep"}


def _names_in_order(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(text(
            "SELECT name FROM customer ORDER BY name, id")).scalars())


def _sound(engine: Engine) -> bool:
    """SQLite's own check that every index holds its rows in the order its collation says."""
    if engine.dialect.name != "sqlite":
        return True
    with engine.connect() as connection:
        return connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"


def test_stored_names_sort_in_pinyin_order_after_upgrading(engine: Engine) -> None:
    upgrade_engine(engine, "0003")
    _foundation_data(engine)
    upgrade_engine(engine, "0004")
    with engine.begin() as connection:
        for name in ("上海华晨", "伟业机电", "东莞长安", "佛山南海"):
            connection.execute(text(
                "INSERT INTO customer (name, level, status, owner_id, tags, search_text, "
                "name_key, version, created_at, updated_at) VALUES (:name, 'C', 'potential', "
                "2, '[]', '', '', 1, :now, :now)"), {"name": name, "now": NOW})
    upgrade_engine(engine)
    pinyin = ["东莞长安", "佛山南海", "恒瑞精密", "上海华晨", "伟业机电"]
    assert _names_in_order(engine) == pinyin and _sound(engine)
    with engine.begin() as connection:
        config = alembic_config(str(engine.url))
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
    assert _sound(engine)
    upgrade_engine(engine)
    assert _names_in_order(engine) == pinyin and _sound(engine)


def _search_texts(engine: Engine) -> dict[str, str]:
    with engine.connect() as connection:
        return dict(connection.execute(text(
            "SELECT name, search_text FROM customer UNION ALL "
            "SELECT name, search_text FROM contact")).all())


def test_search_text_is_rebuilt_by_field_and_back(engine: Engine) -> None:
    upgrade_engine(engine, "0004")
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO customer (id, name, short_name, uscc, phone, level, status, tags, "
            "search_text, name_key, version, created_at, updated_at) VALUES (1, '恒瑞精密', "
            "'恒瑞', '91310000MA1FL8XQ30', '021-64445555', 'C', 'potential', '[]', "
            "'恒瑞精密 hrjm', '', 1, :now, :now)"), {"now": NOW})
        for contact_id, name, mobile, gone in ((1, '周工', '13912345678', None),
                                               (2, '吴工', '13800001111', NOW)):
            connection.execute(text(
                "INSERT INTO contact (id, customer_id, name, mobile, email, is_primary, "
                "search_text, version, created_at, updated_at, deleted_at) VALUES (:id, 1, "
                ":name, :mobile, 'zhou@example.com', false, '', 1, :now, :now, :gone)"),
                {"id": contact_id, "name": name, "mobile": mobile, "now": NOW, "gone": gone})
    upgrade_engine(engine)
    texts = _search_texts(engine)
    assert texts["恒瑞精密"].split(SEPARATOR) == [
        "恒瑞精密 hrjm", "恒瑞 hr", "91310000ma1fl8xq30 913100001830",
        "021-64445555 02164445555", "13912345678", ""]  # the deleted contact's mobile is out
    assert texts["周工"].split(SEPARATOR) == ["周工 zg", "13912345678", "",
                                              "zhou@example.com zhouexamplecom"]
    with engine.begin() as connection:
        config = alembic_config(str(engine.url))
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
    assert SEPARATOR not in "".join(_search_texts(engine).values())
    assert "hrjm" in _search_texts(engine)["恒瑞精密"]


def test_every_migration_puts_the_name_indexes_in_the_installed_pinyin_order(
        engine: Engine) -> None:
    """A newer pinyin dictionary may order a name differently from the one its index was
    built with; migrating (every upgrade does) rebuilds the indexes in the current order."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's ICU collation is versioned by PostgreSQL itself")
    upgrade_engine(engine, "0003")
    _foundation_data(engine)
    upgrade_engine(engine)
    raw = sqlite3.connect(engine.url.database or "")
    raw.create_collation("pinyin", lambda left, right: pinyin.compare(right, left))
    with raw:  # written while the collation ordered names the other way round
        raw.execute("UPDATE customer SET name = '伟业机电'")
        raw.executemany(
            "INSERT INTO customer (name, level, status, owner_id, tags, search_text, name_key,"
            " version, created_at, updated_at) VALUES (?, 'C', 'potential', 2, '[]', '', '',"
            " 1, ?, ?)", [(name, NOW, NOW) for name in ("上海华晨", "东莞长安", "佛山南海")])
    raw.close()
    engine.dispose()
    assert not _sound(engine)
    upgrade_engine(engine)
    assert _sound(engine)
    assert _names_in_order(engine) == ["东莞长安", "佛山南海", "上海华晨", "伟业机电"]
