"""Two real ``crm-server run`` processes on one PostgreSQL database, both ticking the
scheduler: each due slot of a task queues one job, never two.

The servers import tests/scheduled_probe.py (a task every 5 minutes, and a tick every round
of the runner instead of every 30 seconds). Rather than wait for real slots, the test makes
one due again by setting the task's last slot back a day (as a missed slot looks), three
times: both processes see it due, one claims it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from crm_server import cli
from crm_server.db.engine import make_engine, make_session_factory
from crm_server.db.types import utcnow
from crm_server.models import Job, ScheduledTask
from crm_server.settings import load_settings
from databases import fresh_database
from job_gates import wait_for

pytestmark = pytest.mark.postgres
TESTS = Path(__file__).resolve().parents[1]
TASK, KIND = "probe", "probe_run"  # tests/scheduled_probe.py
ROUNDS = 3
QUIET_SECONDS = 6.0  # several rounds of both runners (POLL_SECONDS apart)
START = ("import sys, scheduled_probe; from crm_server.cli import main; "
         "sys.exit(main(sys.argv[1:]))")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def data_dir(tmp_path: Path) -> Iterator[Path]:
    directory = tmp_path / "crm"
    with fresh_database() as url, pytest.MonkeyPatch.context() as patch:
        assert url, "PostgreSQL only: two processes on one database"
        patch.setenv("ADMIN_PW", "correct horse 42")
        assert cli.main(["init", str(directory), "--bind", "127.0.0.1", "--admin", "boss",
                         "--database-url", url, "--admin-password-env", "ADMIN_PW"]) == 0
        yield directory


@pytest.fixture
def factory(data_dir: Path) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(load_settings(data_dir).effective_database_url)
    yield make_session_factory(engine)
    engine.dispose()


def _start(data_dir: Path) -> tuple[subprocess.Popen[bytes], Path]:
    port = _free_port()
    log = data_dir / f"server-{port}.log"
    env = {**os.environ, "CRM_PORT": str(port), "CRM_WORKERS": "1",
           "PYTHONPATH": os.pathsep.join([str(TESTS), os.environ.get("PYTHONPATH", "")])}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-c", START, "run", "--data-dir", str(data_dir)],
            env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    return process, log


@pytest.fixture
def servers(data_dir: Path, factory: sessionmaker[Session]) -> Iterator[None]:
    """Both servers, started once the task's row says a slot was missed."""
    with factory.begin() as session:
        session.execute(insert(ScheduledTask).values(
            name=TASK, version=1, created_at=utcnow(), updated_at=utcnow(),
            last_slot=utcnow() - timedelta(days=1)))
    started = [_start(data_dir) for _ in range(2)]
    try:
        for process, log in started:
            wait_for(lambda p=process, f=log: "Application startup complete" in f.read_text()
                     or p.poll() is not None, "a server to start", 60)
            assert process.poll() is None, log.read_text()
        yield
    finally:
        for process, _ in started:
            process.terminate()
            process.wait(30)


def _runs(factory: sessionmaker[Session]) -> list[Any]:
    with factory() as session:
        return list(session.execute(select(Job.id, Job.state, Job.started_by_id, Job.result)
                                    .where(Job.kind == KIND).order_by(Job.id)))


def test_two_servers_on_one_database_queue_one_job_per_slot(
        factory: sessionmaker[Session], servers: None) -> None:
    for round_ in range(1, ROUNDS + 1):
        if round_ > 1:
            with factory.begin() as session:
                session.execute(update(ScheduledTask).where(ScheduledTask.name == TASK)
                                .values(last_slot=utcnow() - timedelta(days=1)))
        wait_for(lambda r=round_: len(_runs(factory)) >= r, f"run {round_}", 60)
    quiet_until = time.monotonic() + QUIET_SECONDS
    while time.monotonic() < quiet_until:  # both keep ticking: no second job for a slot
        assert len(_runs(factory)) == ROUNDS
        threading.Event().wait(0.5)

    def ended() -> list[Any]:
        runs = _runs(factory)
        return runs if all(r.state == "succeeded" for r in runs) else []

    runs = wait_for(ended, "the runs to end", 60)
    assert len(runs) == ROUNDS
    assert all(r.started_by_id is None and r.result["ran_as"] is None for r in runs)
