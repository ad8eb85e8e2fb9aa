"""Background jobs: started through the API with the kind's right, run off the request path
by the server's runner as their starter, progress visible, cancellable, failed when their
server died, and run once however many runners share the database."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.orm import Session

import builders
from crm_server.db import migrate
from crm_server.db.engine import make_engine, make_session_factory
from crm_server.db.types import utcnow
from crm_server.domains.people import create_user
from crm_server.kit import jobs
from crm_server.kit.job_runner import JobRunner
from crm_server.models import AuditEntry, Customer, Job
from crm_server.security.principal import Principal
from crm_server.settings import load_settings
from databases import fresh_database
from job_gates import GATES, finished, wait_for
from serving import crm_server_cli

API = "/api/v1"
Headers = dict[str, str]
TALLY: list[int] = []


class Named(BaseModel):
    name: str


def _gated(session: Session, user: Principal, params: Named,
           progress: jobs.Progress) -> dict[str, Any]:
    """Writes a customer per batch; waits for the test before its second batch."""
    session.add(Customer(name=f"{params.name}-1", tags=[], owner_id=user.user_id))
    progress(1, 2)
    GATES[params.name].wait(20)
    session.add(Customer(name=f"{params.name}-2", tags=[], owner_id=user.user_id))
    session.flush()
    progress(2, 2)
    return {"written": 2}


class Numbered(BaseModel):
    n: int


def _tally(session: Session, user: Principal, params: Numbered,
           progress: jobs.Progress) -> dict[str, Any]:
    TALLY.append(params.n)
    progress(1, 1)
    return {}


jobs.register_kind(jobs.JobKind("test_gated", "Gated", Named, _gated, lambda _user: True))
jobs.register_kind(jobs.JobKind("test_tally", "Tally", Numbered, _tally, lambda _user: True))


def _search_text(app: Any, customer_id: int, set_to: str | None = None) -> str:
    with app.state.session_factory.begin() as session:
        if set_to is not None:
            session.execute(update(Customer).where(Customer.id == customer_id)
                            .values(search_text=set_to))
        return str(session.scalar(select(Customer.search_text)
                                  .where(Customer.id == customer_id)))


def test_an_administrator_recomputes_the_search_text_in_a_job(
        api: Any, app: Any, admin: Headers) -> None:
    made = api.post(f"{API}/customers", headers=admin, json=builders.customer()).json()
    good = _search_text(app, made["id"])
    _search_text(app, made["id"], set_to="stale")
    started = api.post(f"{API}/jobs", headers=admin,
                       json={"kind": "recompute_search", "params": {"entity": "customer"}})
    assert started.status_code == 201, started.text
    assert started.json()["kind_label"] == "Recompute search text"
    job = finished(api, admin, started.json()["id"])
    assert job["state"] == "succeeded", job
    assert job["result"]["changed"] >= 1
    assert job["done"] == job["total"] == job["result"]["records"] > 0
    assert job["started_by_name"] and job["finished_at"] and job["rate"] is not None
    assert _search_text(app, made["id"]) == good


def test_starting_a_job_is_checked(api: Any, admin: Headers, rep: Headers) -> None:
    recompute = {"kind": "recompute_search", "params": {"entity": "customer"}}
    refused = api.post(f"{API}/jobs", headers=rep, json=recompute)
    assert refused.status_code == 403, refused.text
    cases = [({"kind": "nothing", "params": {}}, "kind"),
             ({"kind": "recompute_search", "params": {"entity": "audit"}}, "params.entity"),
             ({"kind": "recompute_search", "params": {"entity": "customer", "x": 1}},
              "params.x"),
             ({"kind": "recompute_search", "params": []}, "params")]
    for payload, field in cases:
        answer = api.post(f"{API}/jobs", headers=admin, json=payload)
        assert answer.status_code == 422, answer.text
        assert field in answer.json()["fields"], answer.text
    assert api.post(f"{API}/jobs/1/cancel", headers=admin, json={}).status_code in (200, 404)
    assert api.post(f"{API}/jobs/abc/cancel", headers=admin).status_code == 422


def test_a_job_runs_as_its_starter_shows_progress_and_is_cancelled_at_its_next_batch(
        api: Any, app: Any, admin: Headers, gate: str,
        person: Callable[..., tuple[int, Headers]]) -> None:
    starter_id, starter = person("sales_rep")
    _, other = person("sales_rep")
    job = api.post(f"{API}/jobs", headers=starter,
                   json={"kind": "test_gated", "params": {"name": gate}}).json()
    wait_for(lambda: api.get(f"{API}/jobs/{job['id']}", headers=starter).json()["done"] == 1,
             "the first batch")
    assert api.get(f"{API}/jobs/{job['id']}", headers=other).status_code == 404
    listed = api.get(f"{API}/jobs", headers=other, params={"limit": 500}).json()["items"]
    assert job["id"] not in [j["id"] for j in listed]
    assert job["id"] in [j["id"] for j in api.get(
        f"{API}/jobs", headers=admin, params={"limit": 500}).json()["items"]]
    assert api.post(f"{API}/jobs/{job['id']}/cancel", headers=other).status_code == 404
    asked = api.post(f"{API}/jobs/{job['id']}/cancel", headers=starter)
    assert asked.status_code == 200 and asked.json()["cancel_requested"]
    GATES[gate].set()
    ended = finished(api, starter, job["id"])
    assert ended["state"] == "cancelled" and ended["done"] == 1
    with app.state.session_factory() as session:
        names = dict(session.execute(select(Customer.name, Customer.id)
                                     .where(Customer.name.like(f"{gate}-%"))).all())
        assert list(names) == [f"{gate}-1"]  # the second batch was rolled back
        audited = session.scalars(select(AuditEntry.user_id).where(
            AuditEntry.entity == "customer", AuditEntry.record_id == names[f"{gate}-1"]))
        assert list(audited) == [starter_id]


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_running_jobs_whose_server_is_gone_are_marked_failed(
        api: Any, app: Any, admin: Headers) -> None:
    runner = next(iter(app.state.job_runners))
    admin_id = api.get(f"{API}/me", headers=admin).json()["user"]["id"]
    here, now = socket.gethostname(), utcnow()
    claims = {
        "restarted": (f"{here}:{_dead_pid()}:aaaa", now),
        "silent": ("elsewhere:1:bbbb", now - timedelta(minutes=10)),
        "alive": ("elsewhere:1:cccc", now),
        "this process, earlier": (f"{here}:{os.getpid()}:dddd", now),
    }
    with app.state.session_factory.begin() as session:
        rows = {label: Job(kind="test_tally", params={"n": 0}, started_by_id=admin_id,
                           state="running", claimed_by=claim, heartbeat_at=beat,
                           created_at=now, done=0, cancel_requested=False)
                for label, (claim, beat) in claims.items()}
        session.add_all(rows.values())
    runner.reap()
    with app.state.session_factory.begin() as session:
        states = {label: session.get(Job, row.id) for label, row in rows.items()}
        assert {label: job.state for label, job in states.items() if job} == {
            "restarted": "failed", "silent": "failed", "alive": "running",
            "this process, earlier": "failed"}
        assert states["restarted"].error == jobs.STALE_ERROR  # type: ignore[union-attr]
        states["alive"].state = "failed"  # type: ignore[union-attr]


@pytest.fixture
def other_database(tmp_path: Any) -> Iterator[Any]:
    """Settings of a database of its own (PostgreSQL in the PostgreSQL suite), migrated,
    with one user, and no runner of the app's."""
    with fresh_database() as url:
        settings = load_settings(tmp_path, database_url=url)
        migrate.upgrade(settings)
        engine = make_engine(settings.effective_database_url)
        with make_session_factory(engine).begin() as session:
            user = create_user(session, "jobs", "任务", "password123", roles=("sales_rep",))
        engine.dispose()
        yield settings, user.id


def _queue(settings: Any, user_id: int, count: int) -> list[int]:
    engine = make_engine(settings.effective_database_url)
    with make_session_factory(engine).begin() as session:
        queued = [Job(kind="test_tally", params={"n": n}, started_by_id=user_id,
                      state="queued", created_at=utcnow(), done=0, cancel_requested=False)
                  for n in range(count)]
        session.add_all(queued)
        session.flush()
        ids = [job.id for job in queued]
    engine.dispose()
    return ids


def test_two_runners_on_one_database_never_claim_or_run_a_job_twice(
        other_database: Any) -> None:
    settings, user_id = other_database
    queued = _queue(settings, user_id, 60)
    runners = [JobRunner(settings, 2), JobRunner(settings, 2)]
    claimed: dict[str, list[int]] = {runner.claim_id: [] for runner in runners}
    start = threading.Barrier(len(runners))

    def take_all(runner: JobRunner) -> None:
        start.wait()
        while True:
            with runner.short() as session:
                job_id = jobs.claim(session, runner.claim_id)
            if job_id is None:
                return
            claimed[runner.claim_id].append(job_id)

    threads = [threading.Thread(target=take_all, args=(r,)) for r in runners]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    taken = [job_id for ids in claimed.values() for job_id in ids]
    assert sorted(taken) == queued  # every job, each once
    for runner in runners:
        for job_id in claimed[runner.claim_id]:
            runner.run(job_id)  # as the runner's thread would
    TALLY.clear()
    queued = _queue(settings, user_id, 40)
    for runner in runners:
        runner.start()
    try:
        factory = make_session_factory(runners[0].engine)

        def all_done() -> bool:
            with factory() as session:
                return session.scalar(select(Job.id).where(
                    Job.id.in_(queued), Job.state != "succeeded").limit(1)) is None

        wait_for(all_done, "the runners to run every job", 60)
    finally:
        for runner in runners:
            runner.stop()
    assert sorted(TALLY) == list(range(40))


def test_a_queued_job_is_cancelled_at_once(other_database: Any) -> None:
    settings, user_id = other_database
    [job_id] = _queue(settings, user_id, 1)
    engine = make_engine(settings.effective_database_url)
    with make_session_factory(engine).begin() as session:
        jobs.request_cancel(session, jobs.locked(session, job_id))
    with make_session_factory(engine)() as session:
        job = session.get(Job, job_id)
        assert job is not None and job.state == "cancelled" and job.finished_at
        assert not job.cancel_requested
    engine.dispose()


def test_a_stopping_server_interrupts_its_running_job_and_marks_it_failed(
        other_database: Any, gate: str) -> None:
    settings, user_id = other_database
    runner = JobRunner(settings, 1)
    with runner.short() as session:
        job = jobs.start(session, Principal(user_id, "jobs", "任务", None), "test_gated",
                         {"name": gate})
    runner.start()

    def state() -> tuple[str, int, str | None]:
        with runner.short() as session:
            found = session.get(Job, job.id)
            assert found is not None
            return found.state, found.done, found.error

    wait_for(lambda: state()[:2] == ("running", 1), "the first batch")
    stopping = threading.Thread(target=runner.stop)
    stopping.start()
    wait_for(lambda: runner.stopping, "the runner to stop claiming")
    GATES[gate].set()
    stopping.join(30)
    engine = make_engine(settings.effective_database_url)
    with make_session_factory(engine)() as session:
        ended = session.get(Job, job.id)
        assert ended is not None and ended.state == "failed"
        assert ended.error == "The server stopped while the job ran; start it again"
        assert session.scalar(select(Customer.id).where(
            Customer.name == f"{gate}-2")) is None  # its batch was rolled back
    engine.dispose()


def test_the_command_line_recomputes_the_search_text(api: Any, app: Any, admin: Headers,
                                                      settings: Any) -> None:
    made = api.post(f"{API}/customers", headers=admin, json=builders.customer()).json()
    good = _search_text(app, made["id"])
    _search_text(app, made["id"], set_to="stale")
    env = {**os.environ, "CRM_DATABASE_URL": settings.database_url}
    done = crm_server_cli("recompute-search", "customer", "--data-dir",
                          str(settings.data_dir), env=env)
    assert done.returncode == 0, done.stderr
    assert "changed" in done.stdout
    assert _search_text(app, made["id"]) == good
    refused = crm_server_cli("recompute-search", "audit", "--data-dir",
                             str(settings.data_dir), env=env)
    assert refused.returncode == 1
    assert "keeps no search text" in refused.stderr
