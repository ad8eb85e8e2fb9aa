"""The end-to-end server: ONE real ``crm-server`` process over TLS per test process, made the
way IT makes it (``crm-server init`` on a fresh database and data directory, then
``crm-server run``), shared by every end-to-end test module. Tests make their own users and
records with unique names instead of relying on an empty database.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

import builders
from crm_client.api.client import ApiClient
from databases import fresh_database
from serving import crm_server_cli


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(url: str, process: subprocess.Popen[str], ca: str) -> None:
    deadline = time.monotonic() + 60
    with closing(ApiClient(url, ca)) as probe:
        while time.monotonic() < deadline:
            assert process.poll() is None, "the server exited; see server.log"
            try:
                probe.health()
                return
            except Exception:
                time.sleep(0.2)
    raise AssertionError("server did not come up")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """``(url, data_dir)`` of the running server; its CA is ``data_dir/tls/ca.crt``."""
    data = tmp_path_factory.mktemp("e2e") / "data"
    port = _free_port()
    env = {**os.environ, "E2E_builders.ADMIN_PASSWORD": builders.ADMIN_PASSWORD}
    env.pop("CRM_DATABASE_URL", None)
    with fresh_database() as database_url:
        made = crm_server_cli("init", str(data), "--bind", "127.0.0.1", "--port", str(port),
                              "--host", "127.0.0.1", "--admin", "admin", "--admin-password-env",
                              "E2E_builders.ADMIN_PASSWORD", "--database-url", database_url,
                              env=env)
        assert made.returncode == 0, made.stderr
        yield from _serve(data, port)


def _die_with_parent() -> None:
    """In the server child (Linux): get SIGTERM when pytest dies, even by a hard crash (a Qt
    abort) that skips the fixture's teardown, so no server is left running."""
    import ctypes
    import signal

    pr_set_pdeathsig = 1
    ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _serve(data: Path, port: int) -> Iterator[tuple[str, Path]]:
    log = (data.parent / "server.log").open("w")  # a pipe nobody reads would fill and block
    process = subprocess.Popen([sys.executable, "-m", "crm_server.cli", "run", "--data-dir",
                                str(data)], text=True, stdout=log, stderr=subprocess.STDOUT,
                               preexec_fn=_die_with_parent if sys.platform == "linux" else None)
    url = f"https://127.0.0.1:{port}"
    try:
        _wait_until_up(url, process, (data / "tls" / "ca.crt").read_text("ascii"))
        yield url, data
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        finally:
            log.close()


@pytest.fixture
def server_admin(server: tuple[str, Path]) -> Iterator[ApiClient]:
    """An ``ApiClient`` signed in as the administrator ``crm-server init`` created."""
    url, data = server
    api = ApiClient(url, (data / "tls" / "ca.crt").read_text("ascii"), language="en")
    api.login("admin", builders.ADMIN_PASSWORD)
    yield api
    api.close()

