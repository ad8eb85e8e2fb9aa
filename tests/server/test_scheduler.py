"""The scheduler: each slot of a periodic task queues one job however many processes tick
at once, a missed slot runs once, a new or changed task does not run for time already past,
the runner ticks with no request, and administrators read and change the tasks through the
generic ``scheduled_task`` entity (on SQLite, and on PostgreSQL in ``make test-postgres``)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

import builders
from crm_common.schemas.base import Input
from crm_server.db import migrate
from crm_server.db.engine import make_engine, make_session_factory, pool_options
from crm_server.db.types import utcnow
from crm_server.domains.people import create_user
from crm_server.kit import jobs, scheduler
from crm_server.kit.job_runner import JobRunner
from crm_server.kit.scheduler import Task
from crm_server.models import ImportBatch, Job, ScheduledTask
from crm_server.settings import Settings, load_settings
from databases import fresh_database
from job_gates import finished, wait_for

API = "/api/v1"
Headers = dict[str, str]
ZONE = ZoneInfo("Asia/Shanghai")
KIND = "test_scheduled"


class Note(Input):
    note: str = ""


def _report(session: Session, user: Any, params: Note,
            progress: jobs.Progress) -> dict[str, Any]:
    """Says who it ran as: a user's id, or None for the system."""
    progress(1, 1)
    return {"ran_as": None if user is None else user.user_id, "note": params.note}


jobs.register_kind(jobs.JobKind(KIND, "Scheduled test", Note, _report, jobs.administrators,
                                schedulable=True))


def at(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=ZONE).astimezone(UTC)  # type: ignore[misc]


@pytest.fixture
def task(monkeypatch: pytest.MonkeyPatch) -> Task:
    """A task every 15 minutes, registered for this test only."""
    made = Task(f"test_{builders.unique()}", "Test task", "every 15m", KIND, {"note": "定时"})
    monkeypatch.setitem(scheduler.TASKS, made.name, made)
    return made


@pytest.fixture(autouse=True)
def only_test_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    """The product's own tasks (the nightly backup…) undeclared for the test: they would
    queue jobs of their own at the moments the tests tick."""
    for name in list(scheduler.TASKS):
        monkeypatch.delitem(scheduler.TASKS, name)


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[Settings, sessionmaker[Session]]]:
    """A migrated database of its own (no runner of the app's ticks it)."""
    with fresh_database() as url:
        settings = load_settings(tmp_path, database_url=url)
        migrate.upgrade(settings)
        engine = make_engine(settings.effective_database_url, **pool_options(20))
        yield settings, make_session_factory(engine)
        engine.dispose()


def _jobs(factory: sessionmaker[Session]) -> list[Job]:
    with factory() as session:
        return list(session.scalars(select(Job).where(Job.kind == KIND).order_by(Job.id)))


def _row(factory: sessionmaker[Session], name: str) -> ScheduledTask:
    with factory() as session:
        found = session.scalar(select(ScheduledTask).where(ScheduledTask.name == name))
    assert found is not None
    return found


def _set(factory: sessionmaker[Session], name: str, **values: Any) -> None:
    with factory.begin() as session:
        session.execute(update(ScheduledTask).where(ScheduledTask.name == name)
                        .values(**values))


def test_a_new_task_first_runs_at_its_next_slot(database: Any, task: Task) -> None:
    _, factory = database
    assert scheduler.tick(factory, at(2027, 1, 1, 10, 7), ZONE) == []
    assert _row(factory, task.name).last_slot == at(2027, 1, 1, 10, 0)  # counted as done
    assert scheduler.tick(factory, at(2027, 1, 1, 10, 14, 59), ZONE) == []
    [job_id] = scheduler.tick(factory, at(2027, 1, 1, 10, 15), ZONE)
    [job] = _jobs(factory)
    assert (job.id, job.started_by_id, job.state, job.params) == (
        job_id, None, "queued", {"note": "定时"})
    row = _row(factory, task.name)
    assert (row.last_slot, row.last_job_id) == (at(2027, 1, 1, 10, 15), job_id)
    assert scheduler.tick(factory, at(2027, 1, 1, 10, 29), ZONE) == []


def test_missed_slots_run_once_not_once_each(database: Any, monkeypatch: pytest.MonkeyPatch
                                             ) -> None:
    _, factory = database
    nightly = Task("test_nightly", "Nightly", "daily 02:00", KIND)
    monkeypatch.setitem(scheduler.TASKS, nightly.name, nightly)
    scheduler.tick(factory, at(2027, 2, 26, 1, 0), ZONE)
    assert len(scheduler.tick(factory, at(2027, 2, 26, 2, 0), ZONE)) == 1
    # the server is down for three nights; back on the fourth morning: one run, not three
    back = at(2027, 3, 1, 9, 30)
    assert len(scheduler.tick(factory, back, ZONE)) == 1
    assert scheduler.tick(factory, back + timedelta(minutes=1), ZONE) == []
    assert len(_jobs(factory)) == 2
    assert _row(factory, nightly.name).last_slot == at(2027, 3, 1, 2, 0)


def _tick_together(factory: sessionmaker[Session], now: datetime, tickers: int) -> list[int]:
    """The jobs queued by ``tickers`` threads ticking at the same moment, each with its
    own connection, as the runners of as many server processes would."""
    start = threading.Barrier(tickers)

    def tick() -> list[int]:
        start.wait()
        return scheduler.tick(factory, now, ZONE)

    with ThreadPoolExecutor(tickers) as pool:
        return [job_id for queued in pool.map(lambda _: tick(), range(tickers))
                for job_id in queued]


def test_many_processes_ticking_at_once_queue_one_job_per_slot(database: Any,
                                                               task: Task) -> None:
    _, factory = database
    scheduler.tick(factory, at(2027, 1, 1, 9, 59), ZONE)
    for slot in range(3):
        assert len(_tick_together(factory, at(2027, 1, 1, 10, 15 * slot, 1), 8)) == 1, slot
    made = _jobs(factory)
    assert len(made) == 3
    assert _row(factory, task.name).last_job_id == made[-1].id


def test_a_task_switched_off_or_not_declared_here_queues_nothing(
        database: Any, task: Task, monkeypatch: pytest.MonkeyPatch) -> None:
    _, factory = database
    scheduler.tick(factory, at(2027, 1, 1, 9, 0), ZONE)
    _set(factory, task.name, schedule="off")
    assert scheduler.tick(factory, at(2027, 1, 2, 9, 0), ZONE) == []
    _set(factory, task.name, schedule=None)
    monkeypatch.delitem(scheduler.TASKS, task.name)  # a server of another version
    assert scheduler.tick(factory, at(2027, 1, 2, 9, 0), ZONE) == []
    assert _jobs(factory) == []


@pytest.mark.parametrize("bad", [
    Task("x" * 65, "Long", "daily 02:00", KIND),
    Task("test_bad", "Bad", "daily 25:00", KIND),
    Task("test_bad", "Bad", "daily 02:00", "no_such_kind"),
    Task("test_bad", "Bad", "daily 02:00", "recompute_search", {"entity": "customer"}),
    Task("test_bad", "Bad", "daily 02:00", KIND, {"note": 1, "other": 2}),
], ids=["long name", "bad schedule", "unknown kind", "not schedulable", "bad params"])
def test_a_bad_declaration_is_refused(bad: Task) -> None:
    with pytest.raises(ValueError):
        scheduler.register_task(bad)
    assert bad.name not in scheduler.TASKS


def test_the_runner_ticks_with_no_request_and_runs_the_job_as_the_system(
        database: Any, task: Task) -> None:
    settings, factory = database
    scheduler.tick(factory)
    _set(factory, task.name, last_slot=utcnow() - timedelta(days=1))  # a slot was missed
    runner = JobRunner(settings, 1)
    runner.start()
    try:
        [job] = wait_for(lambda: [j for j in _jobs(factory) if j.state == "succeeded"],
                         "the scheduled job to run")
    finally:
        runner.stop()
    assert job.started_by_id is None
    assert job.result == {"ran_as": None, "note": "定时"}


def test_the_migration_keeps_jobs_imports_refer_to(tmp_path: Path) -> None:
    """0015 rebuilds the job table on SQLite: rows other tables refer to stay as they were,
    and the foreign keys still hold."""
    with fresh_database() as url:
        settings = load_settings(tmp_path, database_url=url)
        migrate.upgrade(settings, "0014")
        engine = make_engine(settings.effective_database_url)
        with make_session_factory(engine).begin() as session:
            user = create_user(session, "migrated", "迁移", "password123")
            job = Job(kind="import", params={}, started_by_id=user.id, state="succeeded",
                      done=0, cancel_requested=False, created_at=utcnow())
            session.add(job)
            session.flush()
            session.add(ImportBatch(entity="customer", file_name="a.xlsx", stored_name="a",
                                    size=1, sha256="0" * 64, owner_id=user.id,
                                    job_id=job.id))
        migrate.upgrade(settings)
        with engine.connect() as connection:
            assert connection.execute(select(ImportBatch.job_id)).scalar() == job.id
            assert connection.execute(select(Job.started_by_id)).scalar() == user.id
            if engine.dialect.name == "sqlite":
                assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        engine.dispose()


# --- what administrators see and change ----------------------------------------------------

@pytest.fixture
def listed(app: Any, task: Task) -> dict[str, Any]:
    """The task's row in the app's database, as the scheduler makes it."""
    scheduler.tick(app.state.session_factory)
    return {"name": task.name}


def _find(api: Any, headers: Headers, name: str) -> dict[str, Any]:
    rows = api.get(f"{API}/scheduled-tasks", headers=headers, params={"limit": 500}).json()
    [found] = [row for row in rows["items"] if row["name"] == name]
    return found  # type: ignore[no-any-return]


def test_administrators_see_each_task_and_change_its_schedule(
        api: Any, admin: Headers, listed: dict[str, Any]) -> None:
    row = _find(api, admin, listed["name"])
    assert (row["label"], row["schedule"], row["effective_schedule"], row["default_schedule"],
            row["enabled"]) == ("Test task", None, "every 15m", "every 15m", True)
    assert row["next_run_at"] and row["last_state"] is None
    url = f"{API}/scheduled-tasks/{row['id']}"
    changed = api.patch(url, headers=admin, json={"version": row["version"],
                                                  "schedule": " Weekly SUN 3:00 "})
    assert changed.status_code == 200, changed.text
    assert changed.json()["schedule"] == changed.json()["effective_schedule"] == (
        "weekly sun 03:00")
    assert datetime.fromisoformat(changed.json()["next_run_at"]).astimezone(
        scheduler.server_zone()).weekday() == 6
    off = api.patch(url, headers=admin, json={"version": changed.json()["version"],
                                              "schedule": "off"}).json()
    assert (off["enabled"], off["next_run_at"]) == (False, None)
    back = api.patch(url, headers=admin, json={"version": off["version"], "schedule": ""})
    assert back.json()["schedule"] is None and back.json()["effective_schedule"] == "every 15m"
    history = api.get(f"{url}/history", headers=admin).json()
    assert [entry["changes"][0]["new"] for entry in history[:3]] == [
        None, "off", "weekly sun 03:00"]


def test_a_bad_schedule_is_a_422_naming_the_field(api: Any, admin: Headers,
                                                  listed: dict[str, Any]) -> None:
    row = _find(api, admin, listed["name"])
    url = f"{API}/scheduled-tasks/{row['id']}"
    for bad in ("every 1m", "daily 2am", "weekly someday 03:00"):
        refused = api.patch(url, headers=admin, json={"version": row["version"],
                                                      "schedule": bad})
        assert refused.status_code == 422, refused.text
        assert "schedule" in refused.json()["fields"], refused.text
    for read_only in ({"name": "renamed"}, {"last_slot": "2027-01-01T00:00:00Z"}):
        refused = api.patch(url, headers=admin, json={"version": row["version"], **read_only})
        assert refused.status_code == 422, refused.text
    deleted = api.delete(url, headers=admin, params={"version": row["version"]})
    assert deleted.status_code == 403, deleted.text
    assert api.post(f"{API}/scheduled-tasks", headers=admin, json={}).status_code == 405


def test_other_roles_may_not_read_or_change_tasks(api: Any, admin: Headers, rep: Headers,
                                                  listed: dict[str, Any]) -> None:
    row = _find(api, admin, listed["name"])
    assert api.get(f"{API}/scheduled-tasks", headers=rep).status_code == 403
    changed = api.patch(f"{API}/scheduled-tasks/{row['id']}", headers=rep,
                        json={"version": row["version"], "schedule": "off"})
    assert changed.status_code in (403, 404)
    assert _find(api, admin, listed["name"])["schedule"] is None


def test_the_last_run_shows_and_system_jobs_are_the_administrators(
        api: Any, app: Any, admin: Headers, rep: Headers, task: Task,
        listed: dict[str, Any]) -> None:
    with app.state.session_factory.begin() as session:
        job_id = scheduler.claim(session, task, utcnow())
    assert job_id is not None
    for runner in app.state.job_runners:
        runner.wake()
    job = finished(api, admin, job_id)
    assert (job["state"], job["started_by_id"], job["started_by_name"]) == (
        "succeeded", None, None)
    assert job["kind_label"] == "Scheduled test"
    row = _find(api, admin, listed["name"])
    assert (row["last_job_id"], row["last_state"], row["last_error"]) == (
        job_id, "succeeded", None)
    assert row["last_result"] == {"ran_as": None, "note": "定时"} and row["last_finished_at"]
    mine = api.get(f"{API}/jobs", headers=admin, params={"limit": 500, "sort": "-id"}).json()
    assert job_id in [j["id"] for j in mine["items"]]
    assert api.get(f"{API}/jobs/{job_id}", headers=rep).status_code == 404
    theirs = api.get(f"{API}/jobs", headers=rep, params={"limit": 500}).json()
    assert job_id not in [j["id"] for j in theirs["items"]]
    assert api.post(f"{API}/jobs/{job_id}/cancel", headers=rep).status_code == 404


def test_a_user_starts_a_schedulable_kind_as_themselves(api: Any, admin: Headers) -> None:
    started = api.post(f"{API}/jobs", headers=admin, json={"kind": KIND, "params": {}})
    assert started.status_code == 201, started.text
    job = finished(api, admin, started.json()["id"])
    assert job["state"] == "succeeded" and job["result"]["ran_as"] == job["started_by_id"]


def test_only_a_schedulable_kind_is_queued_with_no_starter(app: Any) -> None:
    with app.state.session_factory() as session, pytest.raises(ValueError):
        jobs.queue(session, jobs.KINDS["recompute_search"],
                   jobs.KINDS["recompute_search"].params.model_validate(
                       {"entity": "customer"}), None)
