"""``crm-server run`` with two worker processes, for real: the server as a child process on
the suite's database (SQLite, or PostgreSQL in ``make test-postgres``), answering over
verified TLS. Which worker answered a connection is read from the access log, whose lines
start with the worker's process id; which processes are workers, from ``/proc``.

What must hold across the workers: a session made on one is valid on the other, wrong
passwords count towards one lockout whichever worker saw them, the audit chain stays one
chain, a killed worker is replaced, and SIGTERM lets a request in flight finish before every
process exits."""

from __future__ import annotations

import asyncio
import http.client
import json
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from builders import customer
from crm_server import cli, serve, supervisor
from crm_server.db.audit import verify_chain
from crm_server.db.engine import make_engine, make_session_factory, pool_options
from crm_server.settings import Settings
from databases import fresh_database

ADMIN, PASSWORD = "boss", "correct horse 42"
ACCESS_LINE = re.compile(r"^\[(\d+)\] .*127\.0\.0\.1:(\d+) - \"")
STARTED = 600  # attempts of 0.1 s to wait for a process to come or go


@dataclass
class Server:
    process: subprocess.Popen[str]
    port: int
    log: Path
    data_dir: Path

    def connect(self) -> http.client.HTTPSConnection:
        context = ssl.create_default_context(cafile=str(self.data_dir / "tls/ca.crt"))
        return http.client.HTTPSConnection("127.0.0.1", self.port, context=context, timeout=30)

    def workers(self) -> set[int]:
        """The live child processes of the server, from ``/proc``."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return {int(pid) for pid in children.read_text().split()}

    def answered_by(self, connection: http.client.HTTPSConnection) -> int:
        """The process that answered on ``connection``: its access-log line names it."""
        assert connection.sock is not None
        local_port = connection.sock.getsockname()[1]
        for line in self.log.read_text("utf-8").splitlines():
            found = ACCESS_LINE.match(line)
            if found and int(found[2]) == local_port:
                return int(found[1])
        raise AssertionError(f"no access-log line for client port {local_port}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _call(connection: http.client.HTTPSConnection, method: str, path: str,
          body: dict[str, Any] | None = None, token: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    payload = json.dumps(body).encode() if body is not None else None
    connection.request(method, f"/api/v1{path}", body=payload, headers=headers)
    response = connection.getresponse()
    raw = response.read()
    return response.status, json.loads(raw) if raw else None


def _wait_for(predicate: Callable[[], bool], what: str) -> None:
    """Poll ``predicate`` (a process coming up or going away) for at most a minute."""
    for _ in range(STARTED):
        if predicate():
            return
        threading.Event().wait(0.1)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A data directory made by ``crm-server init`` on the suite's kind of database."""
    directory = tmp_path_factory.mktemp("workers") / "crm"
    with fresh_database() as url, pytest.MonkeyPatch.context() as patch:
        patch.setenv("ADMIN_PW", PASSWORD)
        argv = ["init", str(directory), "--bind", "127.0.0.1", "--admin", ADMIN,
                "--database-url", url, "--admin-password-env", "ADMIN_PW"]
        assert cli.main(argv) == 0
        yield directory


def _start(data_dir: Path, log: Path) -> Server:
    port = _free_port()
    environment = {**os.environ, "CRM_PORT": str(port), "CRM_WORKERS": "2",
                   "CRM_LOG_LEVEL": "info"}
    command = [sys.executable, "-m", "crm_server.cli", "run", "--data-dir", str(data_dir)]
    with log.open("w") as output:
        process = subprocess.Popen(command, env=environment, stdout=output,
                                   stderr=subprocess.STDOUT, text=True)
    server = Server(process, port, log, data_dir)
    _wait_for(lambda: log.read_text().count("Application startup complete") == 2,
              "two workers to start")
    return server


def _stop(server: Server) -> None:
    if server.process.poll() is None:
        server.process.kill()
        server.process.wait(10)


@pytest.fixture(scope="module")
def server(data_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    started = _start(data_dir, tmp_path_factory.mktemp("log") / "server.log")
    yield started
    workers = started.workers()
    started.process.terminate()
    assert started.process.wait(30) == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


@contextmanager
def _one_per_worker(server: Server) -> Iterator[list[http.client.HTTPSConnection]]:
    """Two kept-alive connections answered by different workers (new ones until so)."""
    by_worker: dict[int, http.client.HTTPSConnection] = {}
    try:
        for _ in range(100):
            connection = server.connect()
            assert _call(connection, "GET", "/health")[0] == 200
            if by_worker.setdefault(server.answered_by(connection), connection) is not connection:
                connection.close()
            if len(by_worker) == 2:
                break
        assert set(by_worker) == server.workers(), "no connection went to the other worker"
        yield list(by_worker.values())
    finally:
        for connection in by_worker.values():
            connection.close()


def _fresh(server: Server, method: str, path: str, body: dict[str, Any] | None = None,
           token: str | None = None) -> tuple[int, int]:
    """A request on a new connection: its status and the worker that answered it."""
    connection = server.connect()
    try:
        status = _call(connection, method, path, body, token)[0]
        return status, server.answered_by(connection)
    finally:
        connection.close()


def _sign_in(connection: http.client.HTTPSConnection, username: str, password: str) -> int:
    return _call(connection, "POST", "/auth/login",
                 {"username": username, "password": password})[0]


def _token(server: Server) -> str:
    connection = server.connect()
    try:
        status, signed_in = _call(connection, "POST", "/auth/login",
                                  {"username": ADMIN, "password": PASSWORD})
    finally:
        connection.close()
    assert status == 200
    return str(signed_in["token"])


def test_a_session_made_on_one_worker_is_valid_on_the_other(server: Server) -> None:
    with _one_per_worker(server) as (first, second):
        status, signed_in = _call(first, "POST", "/auth/login",
                                  {"username": ADMIN, "password": PASSWORD})
        assert status == 200
        token = signed_in["token"]
        assert _call(second, "GET", "/customers", token=token)[0] == 200
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda _: _fresh(server, "GET", "/customers", token=token),
                                range(40)))
    assert {status for status, _ in answers} == {200}
    assert {pid for _, pid in answers} == server.workers()


def test_wrong_passwords_count_towards_one_lockout_across_workers(server: Server) -> None:
    """Alternating workers, neither sees the threshold (5) alone, yet the 5th locks."""
    username = f"nobody{_free_port()}"
    with _one_per_worker(server) as pair:
        answers = [_sign_in(pair[n % 2], username, "wrong password") for n in range(6)]
    assert answers == [401, 401, 401, 401, 423, 423]


def test_concurrent_writes_on_both_workers_keep_one_audit_chain(server: Server) -> None:
    token = _token(server)
    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(
            lambda _: _fresh(server, "POST", "/customers", customer(), token), range(24)))
    assert {status for status, _ in answers} == {201}
    assert len({pid for _, pid in answers}) == 2
    settings = cli.load(server.data_dir)
    engine = make_engine(settings.effective_database_url)
    try:
        with make_session_factory(engine)() as session:
            assert verify_chain(session) is None
    finally:
        engine.dispose()


def test_a_killed_worker_is_replaced(server: Server) -> None:
    before = server.workers()
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    _wait_for(lambda: len(server.workers() - before) == 1, "a replacement worker")
    assert victim not in server.workers() and len(server.workers()) == 2
    _wait_for(lambda: server.log.read_text().count("Application startup complete") == 3,
              "the replacement to start")
    with _one_per_worker(server) as pair:
        assert {server.answered_by(connection) for connection in pair} == server.workers()


def test_sigterm_lets_a_request_in_flight_finish_then_everything_exits(
    data_dir: Path, tmp_path: Path
) -> None:
    server = _start(data_dir, tmp_path / "server.log")
    try:
        workers = server.workers()
        in_flight = server.connect()
        body = json.dumps({"username": ADMIN, "password": PASSWORD}).encode()
        in_flight.putrequest("POST", "/api/v1/auth/login")
        in_flight.putheader("Content-Type", "application/json")
        in_flight.putheader("Content-Length", str(len(body)))
        in_flight.endheaders(body[:10])
        server.process.send_signal(signal.SIGTERM)
        _wait_for(lambda: not _accepts(server.port), "the port to close")
        in_flight.send(body[10:])
        assert in_flight.getresponse().status == 200
        in_flight.close()
        assert server.process.wait(30) == 0
        assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
    finally:
        _stop(server)


def _accepts(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except ConnectionRefusedError:
        return False
    return True


def test_a_worker_that_cannot_serve_stops_the_server(tmp_path: Path) -> None:
    """Replacing it would fail the same way: the parent stops the others and fails."""
    script = (
        "import socket, time\n"
        "from crm_server import supervisor\n"
        "listener = socket.create_server(('127.0.0.1', 0))\n"
        "def work(listener):\n"
        "    time.sleep(0.5)\n"
        "    return False\n"
        "supervisor.serve(2, listener, work, 5)\n"
    )
    finished = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              timeout=30, check=False)
    assert finished.returncode == 1
    assert "WorkerFailedError: worker process" in finished.stderr


def test_the_default_number_of_workers(tmp_path: Path) -> None:
    assert Settings(data_dir=tmp_path).worker_count == 1  # SQLite
    on_postgres = Settings(data_dir=tmp_path, database_url="postgresql+psycopg2://crm@/crm")
    assert 2 <= on_postgres.worker_count <= 8
    assert on_postgres.worker_count >= min(8, len(os.sched_getaffinity(0)))
    assert Settings(data_dir=tmp_path, workers=3).worker_count == 3


def test_each_worker_gets_its_share_of_the_database_connections(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, workers=3, database_connections=60)
    assert settings.connections_per_worker == 20
    assert pool_options(20) == {"pool_size": 10, "max_overflow": 10}
    assert pool_options(3)["pool_size"] + pool_options(3)["max_overflow"] == 3


def test_run_refuses_more_workers_than_connections_can_serve(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def never(*_: object) -> None:
        raise AssertionError("the server started")

    monkeypatch.setattr(supervisor, "serve", never)
    monkeypatch.setenv("CRM_WORKERS", "40")
    assert cli.main(["run", "--data-dir", str(data_dir)]) == 1
    assert "database_connections = 60 leaves fewer than 2" in capsys.readouterr().err


def test_connections_accepted_on_the_shared_socket_are_sent_without_delay(
    tmp_path: Path,
) -> None:
    """asyncio turns Nagle's algorithm off only on connections from a socket that names
    TCP as its protocol; with it on, each response waited ~40 ms for the client's ACK."""
    listener = serve.listen(Settings(data_dir=tmp_path, port=_free_port()))
    nodelay: list[int] = []

    class Record(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            nodelay.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def accept_one() -> None:
        server = await asyncio.get_running_loop().create_server(Record, sock=listener)
        port = listener.getsockname()[1]
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
        while not nodelay:
            await asyncio.sleep(0.01)
        writer.close()
        server.close()

    asyncio.run(asyncio.wait_for(accept_one(), 10))
    assert nodelay == [1]
