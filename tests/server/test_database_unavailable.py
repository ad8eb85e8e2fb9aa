"""A database that cannot serve is a 503 with ``Retry-After`` and the shared error body, in the
request's language, never a 500; a database error that is a fault stays a 500. (The restart
of a real PostgreSQL under load is in ``test_database_outage``.)"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, exc, text

from crm_server.app import create_app
from crm_server.db.engine import unavailable
from crm_server.settings import load_settings
from pg_cluster import free_port


@pytest.fixture
def no_database(tmp_path: Path) -> TestClient:
    """The app on a PostgreSQL address where nothing listens (no ``with``: its start-up
    check would fail, as it should)."""
    url = f"postgresql+psycopg2://crm:secret@127.0.0.1:{free_port()}/crm"
    return TestClient(create_app(load_settings(tmp_path, database_url=url)),
                      base_url="https://testserver")


@pytest.mark.parametrize(("method", "path", "body"), [
    ("POST", "/api/v1/auth/login", {"username": "sales", "password": "demo1234"}),
    ("GET", "/api/v1/customers", None),
    ("POST", "/api/v1/activities", {"customer_id": 1, "type": "visit", "subject": "拜访"}),
])
def test_an_unreachable_database_is_503_with_retry_after(
        no_database: TestClient, method: str, path: str, body: Any) -> None:
    response = no_database.request(method, path, json=body, headers={
        "Authorization": "Bearer some-token", "Accept-Language": "zh-CN"})

    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"
    assert response.json() == {"error": "database_unavailable",
                               "detail": "数据库暂时不可用，请稍后重试"}


def test_health_says_degraded_instead_of_failing(no_database: TestClient) -> None:
    response = no_database.get("/api/v1/health")

    assert response.status_code == 200 and response.json()["status"] == "degraded"


def _sqlite_error(path: Path, statement: str) -> exc.DBAPIError:
    engine = create_engine(f"sqlite:///{path}", connect_args={"timeout": 0})
    try:
        with engine.connect() as connection, pytest.raises(exc.DBAPIError) as caught:
            connection.execute(text(statement))
        return caught.value
    finally:
        engine.dispose()


def test_sqlite_locked_past_its_busy_timeout_is_an_outage_bad_sql_is_not(
        tmp_path: Path) -> None:
    path = tmp_path / "locked.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (id INTEGER PRIMARY KEY)")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        locked = _sqlite_error(path, "INSERT INTO t VALUES (1)")
    finally:
        holder.execute("ROLLBACK")
        holder.close()

    assert "database is locked" in str(locked) and unavailable(locked)
    assert not unavailable(_sqlite_error(path, "SELECT * FROM no_such_table"))
    assert not unavailable(ValueError("not a database error"))
    assert unavailable(exc.TimeoutError("QueuePool limit reached"))  # every connection busy
