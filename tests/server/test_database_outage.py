"""PostgreSQL restarts and stops under a few concurrent writers and a reader, through the real
server over TLS: while the database is away every request is answered 503 with
``Retry-After`` (never 500, never left hanging), the requests after it is back succeed, every
follow-up answered 201 has its row, every failed one has none, and the audit chain verifies.

The test runs its own cluster (the suite's shared one must not be restarted), so it is in the
PostgreSQL run only (``make test-postgres``), whose system packages bring the binaries.
"""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import exc, select, text

import builders
from crm_server.app import create_app
from crm_server.db import migrate
from crm_server.db.audit import verify_chain
from crm_server.db.engine import make_engine, make_session_factory, unavailable
from crm_server.demo import seed
from crm_server.models import Activity
from crm_server.security.tls import ensure_tls
from crm_server.settings import Settings, load_settings
from pg_cluster import PgCluster, free_port, pg_cluster
from serving import serving

pytestmark = pytest.mark.postgres

WRITERS = 4
# No request may take longer than this (the test is not timed: the bound only tells a
# request answered late from one that hangs).
HANG = 20.0
# The database is back for requests within this many seconds (the goal is 2 s; the bound
# leaves room for a machine shared with other test runs).
RECOVERY = 10.0


@dataclass(frozen=True)
class Outcome:
    subject: str | None  # the follow-up a write tried to create; None for a read
    status: int  # 0: no HTTP answer
    error: str | None
    retry_after: str | None
    seconds: float
    finished: float  # time.monotonic()


@dataclass
class Traffic:
    """Requests running on threads until ``stop``; outcomes in the order they finished."""

    outcomes: list[Outcome] = field(default_factory=list)
    stop: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, outcome: Outcome) -> None:
        with self.lock:
            self.outcomes.append(outcome)

    def wait_for(self, condition: Callable[[list[Outcome]], bool], timeout: float) -> float:
        """Wait until ``condition`` holds of the outcomes so far; when that was."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if condition(self.outcomes):
                    return time.monotonic()
            self.stop.wait(0.05)
        raise AssertionError(f"not reached in {timeout} s: {self.outcomes[-5:]}")


def _call(client: httpx.Client, method: str, url: str, subject: str | None,
          **kwargs: object) -> Outcome:
    started = time.monotonic()
    try:
        response = client.request(method, url, **kwargs)  # type: ignore[arg-type]
        status, headers = response.status_code, response.headers
        error = response.json().get("error") if status >= 400 else None
    except httpx.TransportError as exc:
        status, headers, error = 0, httpx.Headers(), type(exc).__name__
    finished = time.monotonic()
    return Outcome(subject, status, error, headers.get("retry-after"), finished - started,
                   finished)


def _writer(client: httpx.Client, traffic: Traffic, number: int, customer_id: int) -> None:
    count = 0
    while not traffic.stop.is_set():
        count += 1
        subject = f"停机测试 {number}-{count}"
        traffic.record(_call(client, "POST", "/activities", subject,
                             json=builders.activity(customer_id, subject=subject)))


def _reader(client: httpx.Client, traffic: Traffic) -> None:
    while not traffic.stop.is_set():
        traffic.record(_call(client, "GET", "/activities", None, params={"limit": 5}))


@contextmanager
def _traffic(base_url: str, ca_pem: str, token: str, customer_id: int) -> Iterator[Traffic]:
    traffic = Traffic()
    context = ssl.create_default_context(cadata=ca_pem)
    clients = [httpx.Client(base_url=f"{base_url}/api/v1", verify=context, timeout=HANG,
                            headers={"Authorization": f"Bearer {token}"})
               for _ in range(WRITERS + 1)]
    threads = [threading.Thread(target=_writer, args=(c, traffic, n, customer_id))
               for n, c in enumerate(clients[:WRITERS])]
    threads.append(threading.Thread(target=_reader, args=(clients[-1], traffic)))
    for thread in threads:
        thread.start()
    try:
        yield traffic
    finally:
        traffic.stop.set()
        for thread in threads:
            thread.join(HANG + 5)
        for client in clients:
            client.close()


def _settings(tmp_path: Path, cluster: PgCluster) -> Settings:
    settings = load_settings(tmp_path, database_url=cluster.url, port=free_port(),
                             log_level="error")
    migrate.upgrade(settings)
    ensure_tls(settings, ["127.0.0.1"])
    seed(settings)
    return settings


def _sign_in_and_customer(base_url: str, ca_pem: str) -> tuple[str, int]:
    context = ssl.create_default_context(cadata=ca_pem)
    with httpx.Client(base_url=f"{base_url}/api/v1", verify=context) as client:
        login = client.post("/auth/login",
                            json={"username": "sales", "password": builders.PASSWORD})
        token = login.json()["token"]
        made = client.post("/customers", json=builders.customer(),
                           headers={"Authorization": f"Bearer {token}"})
        assert made.status_code == 201, made.text
        return token, int(made.json()["id"])


def _successes_after(moment: float, count: int = 1) -> Callable[[list[Outcome]], bool]:
    return lambda outcomes: sum(
        o.finished > moment and o.status == 201 for o in outcomes) >= count


def _outage(cluster: PgCluster, traffic: Traffic) -> list[float]:
    """Restart, then stop for a few seconds and start: the seconds each time until the
    first write succeeded after PostgreSQL was back."""
    traffic.wait_for(_successes_after(0, 20), 60)
    recoveries = []
    cluster.restart()
    back = time.monotonic()
    recoveries.append(traffic.wait_for(_successes_after(back), 60) - back)
    traffic.wait_for(_successes_after(back, 10), 60)
    cluster.stop()
    down = time.monotonic()
    traffic.wait_for(lambda outcomes: any(o.status == 503 and o.finished > down
                                          for o in outcomes), 30)
    traffic.stop.wait(3)  # down for a few seconds under load
    cluster.start()
    up = time.monotonic()
    recoveries.append(traffic.wait_for(_successes_after(up), 60) - up)
    traffic.wait_for(_successes_after(up, 10), 60)
    return recoveries


def test_a_postgresql_restart_answers_503_and_loses_no_write(tmp_path: Path) -> None:
    with pg_cluster() as cluster:
        settings = _settings(tmp_path, cluster)
        with serving(settings, create_app(settings)) as base_url:
            ca_pem = settings.path(settings.tls_ca_cert).read_text("ascii")
            token, customer_id = _sign_in_and_customer(base_url, ca_pem)
            with _traffic(base_url, ca_pem, token, customer_id) as traffic:
                recoveries = _outage(cluster, traffic)
        outcomes = list(traffic.outcomes)
        engine = make_engine(cluster.url)
        try:
            with make_session_factory(engine)() as session:
                stored = list(session.scalars(select(Activity.subject).where(
                    Activity.customer_id == customer_id)))
                broken = verify_chain(session)
        finally:
            engine.dispose()

    failed = [o for o in outcomes if o.status not in (200, 201)]
    assert failed, "the outage was not seen by any request"
    assert {(o.status, o.error, o.retry_after) for o in failed} == {
        (503, "database_unavailable", "2")}, failed
    assert max(o.seconds for o in outcomes) < HANG
    assert all(recovered < RECOVERY for recovered in recoveries), recoveries
    created = [o.subject for o in outcomes if o.status == 201]
    assert sorted(stored) == sorted(created)  # each 201 has its row, each failure none
    assert broken is None


def test_a_connection_killed_mid_transaction_is_replaced_and_a_runaway_statement_ends() -> None:
    with pg_cluster() as cluster:
        engine = make_engine(cluster.url, statement_timeout=1)
        try:
            with engine.connect() as victim, engine.connect() as killer:
                victim.begin()
                pid = victim.execute(text("SELECT pg_backend_pid()")).scalar_one()
                killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                with pytest.raises(exc.DBAPIError) as killed:
                    victim.execute(text("SELECT 1"))
            assert killed.value.connection_invalidated and unavailable(killed.value)
            with engine.connect() as after:  # the pool hands out a working connection
                assert after.execute(text("SELECT 1")).scalar_one() == 1
                with pytest.raises(exc.OperationalError) as cancelled:
                    after.execute(text("SELECT pg_sleep(5)"))
            assert "statement timeout" in str(cancelled.value) and unavailable(cancelled.value)
        finally:
            engine.dispose()
