"""The database the migrations build is the one the models describe, and the registry's
promises hold on the server: every listed column exists, every sort key is indexed."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from crm_common.entities import REGISTRY, EntitySpec, Kind
from crm_server.db.base import Base
from crm_server.db.migrate import SEARCH_INDEXES, include_object
from crm_server.kit.binding import binding


def test_migrations_match_the_models(app: Any) -> None:
    with app.state.engine.connect() as connection:
        context = MigrationContext.configure(connection,
                                             opts={"include_object": include_object})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


@pytest.mark.parametrize("spec", list(REGISTRY.values()), ids=lambda s: s.key)
def test_every_sort_key_has_a_keyset_index(app: Any, spec: EntitySpec) -> None:
    """Keyset paging reads one index range only when an index starts with (key, id), or the
    key is unique, or a timestamp where ties are rare (ARCHITECTURE §5a)."""
    table = binding(spec.key).model.__tablename__
    inspector = inspect(app.state.engine)
    indexes = inspector.get_indexes(table)
    unique = [c["column_names"] for c in inspector.get_unique_constraints(table)]
    unique += [i["column_names"] for i in indexes if i["unique"]]
    keyset = {tuple(i["column_names"][:2]) for i in indexes}
    single = {i["column_names"][0] for i in indexes}
    for key in spec.sort_fields - {"id"}:
        timestamp = key in single and spec.field(key).kind is Kind.DATETIME
        assert (key, "id") in keyset or [key] in unique or timestamp, f"{table}.{key}"


def test_postgres_refuses_a_c_locale_database() -> None:
    from crm_server.app import DatabaseLocaleError, check_database

    class FakeConnection:
        def __enter__(self) -> FakeConnection:
            return self

        def __exit__(self, *args: object) -> None:
            return None

        def execute(self, *_: object) -> Any:
            class Result:
                def scalar(self) -> str:
                    return "C"
            return Result()

    class FakeEngine:
        class dialect:
            name = "postgresql"

        def connect(self) -> FakeConnection:
            return FakeConnection()

    with pytest.raises(DatabaseLocaleError, match="LC_CTYPE"):
        check_database(FakeEngine())  # type: ignore[arg-type]


def test_health_reports_database_and_migration(api: Any) -> None:
    health = api.get("/api/v1/health").json()
    assert health["status"] == "ok" and health["database"] == "ok"
    assert health["migration"] == health["expected_migration"] is not None


def test_openapi_lists_every_entity(api: Any) -> None:
    paths = api.get("/api/v1/openapi.json").json()["paths"]
    for spec in REGISTRY.values():
        assert f"/api/v1/{spec.path}" in paths
        assert f"/api/v1/{spec.path}/{{record_id}}" in paths


def test_every_searchable_table_has_its_search_indexes(app: Any) -> None:
    """On PostgreSQL the trigram and pair indexes of each searchable entity's table come
    from the registry after every upgrade (``ensure_search_indexes``), a new entity's too;
    SQLite searches with LIKE and has none."""
    inspector = inspect(app.state.engine)
    postgres = app.state.engine.dialect.name == "postgresql"
    for spec in REGISTRY.values():
        if not spec.searchable:
            continue
        table = binding(spec.key).model.__tablename__
        names = {index["name"] for index in inspector.get_indexes(table)}
        expected = {f"ix_{table}_{suffix}" for suffix in SEARCH_INDEXES}
        assert (expected <= names) is postgres, (table, names)
