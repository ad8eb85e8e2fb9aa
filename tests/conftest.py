"""Shared fixtures: a migrated database (SQLite, or PostgreSQL when
``CRM_TEST_DATABASE_URL`` is set), the app in-process, and a real TLS server in a thread.

Each pytest process (xdist worker) gets its own data directory and database, built by the
real Alembic migrations; tests make their own records with unique names instead of relying
on an emptied database.
"""

from __future__ import annotations

import os
import shutil
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from crm_server.app import create_app
from crm_server.db import migrate
from crm_server.settings import Settings, load_settings
from databases import fresh_database
from serving import serving
from signed_pe import CodeSigner, make_signer

pytest_plugins = ["job_gates"]  # the ``gate`` fixture of the job tests

# Qt tests run unattended, also as plain ``pytest`` without ``make``'s environment (without a
# display Qt would abort). Set before pytest-qt creates the QApplication; an explicit
# QT_QPA_PLATFORM still wins.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def database_url() -> Iterator[str]:
    """A fresh, empty database for this test process."""
    with fresh_database() as url:
        yield url


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory, database_url: str) -> Settings:
    data_dir = tmp_path_factory.mktemp("data")
    built = load_settings(data_dir, database_url=database_url, port=_free_port(),
                          attachment_max_mb=1, log_level="warning")
    migrate.upgrade(built)
    from crm_server.security.tls import ensure_tls

    ensure_tls(built, ["localhost", "127.0.0.1"])
    from crm_server.demo import seed

    seed(built)
    return built


@pytest.fixture(scope="session")
def app(settings: Settings) -> Any:
    return create_app(settings)


@pytest.fixture(scope="session")
def api(app: Any) -> Iterator[Any]:
    """In-process HTTP client for API tests (no TLS; the TLS path has its own tests)."""
    from fastapi.testclient import TestClient

    with TestClient(app, base_url="https://testserver") as client:
        yield client


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    ca_pem: str
    data_dir: Path
    settings: Settings


@pytest.fixture(scope="session")
def live_server(settings: Settings, app: Any) -> Iterator[LiveServer]:
    """The real app served over TLS by uvicorn on a free port, in a thread."""
    with serving(settings, app) as base_url:
        ca = settings.path(settings.tls_ca_cert).read_text("ascii")
        yield LiveServer(base_url, ca, settings.data_dir, settings)


@pytest.fixture(scope="session")
def code_signer(tmp_path_factory: pytest.TempPathFactory) -> CodeSigner:
    """The company's (throwaway) code-signing certificate."""
    return make_signer(tmp_path_factory.mktemp("signer"), "Example Trading Co")


@pytest.fixture(scope="session")
def other_signer(tmp_path_factory: pytest.TempPathFactory) -> CodeSigner:
    """Someone else's code-signing certificate."""
    return make_signer(tmp_path_factory.mktemp("other_signer"), "Someone Else Ltd")


@pytest.fixture
def client_folder(settings: Settings) -> Iterator[Path]:
    """The server's folder of client installers, empty before and after each test."""
    from crm_server.domains.client_updates import folder

    path = folder(settings)
    shutil.rmtree(path, ignore_errors=True)
    yield path
    shutil.rmtree(path, ignore_errors=True)
