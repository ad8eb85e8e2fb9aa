"""Periodic tasks run by the server, each run exactly once however many processes serve.

A task is declared once in code (``register_task``): its name, label, default schedule
(``crm_common.schedules``: ``daily 02:00``, ``weekly sun 03:00``, ``every 15m``, ``off``)
and the ``schedulable`` job kind it queues, with fixed parameters. A run *is* a job of that
kind, started by nobody (``kit.jobs.queue``): its progress, cancel, result and error are
the job's, and it runs as the system.

Its state is a ``scheduled_task`` row (administrators change the schedule there; None keeps
the declared default). Every job runner ticks the scheduler about every 30 seconds
(``kit.job_runner``). A tick asks, per task, for the latest slot at or before now; when the
row's ``last_slot`` is older, it claims the slot with one conditional UPDATE (``last_slot``
older than the slot): whichever process's UPDATE changed the row won, and queues the job in
that same transaction — the others' UPDATE, run after the winner's commit (PostgreSQL
re-reads the row it waited for; SQLite has one writer at a time), changes nothing.

So a slot missed while the server was down runs once when it is back (the latest slot is
claimed, the ones before it are passed over), never once per missed slot. A task new to the
database, or whose schedule an administrator changes, counts its current slot as done: it
first runs at its next slot, never for the time before it existed.

Slots are reckoned in the server's zone (``server_zone``), as IT set the machine's clock.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from crm_common.schedules import Schedule, parse
from crm_server.db.types import utcnow
from crm_server.kit import jobs
from crm_server.models.scheduled_task import ScheduledTask

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Task:
    """A periodic task: runs ``job_kind`` (a ``schedulable`` kind) with ``params`` when
    its schedule says. ``label`` is English, marked with ``N_`` (the client translates)."""

    name: str
    label: str
    default_schedule: str
    job_kind: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def schedule(self, override: str | None) -> Schedule:
        """The schedule in force: the administrator's ``override``, else the default."""
        return parse(override or self.default_schedule)


TASKS: dict[str, Task] = {}


def register_task(task: Task) -> Task:
    """Declare ``task``, after its job kind; ``ValueError`` for a name taken or too long, a
    bad default schedule, or a kind unknown, not ``schedulable`` or refusing the params."""
    if task.name in TASKS:
        raise ValueError(f"scheduled task {task.name!r} registered twice")
    if len(task.name) > ScheduledTask.name.type.length:
        raise ValueError(f"scheduled task name {task.name!r} is too long")
    parse(task.default_schedule)
    kind = jobs.KINDS.get(task.job_kind)
    if kind is None or not kind.schedulable:
        raise ValueError(f"scheduled task {task.name!r}: no schedulable kind {task.job_kind!r}")
    kind.params.model_validate(dict(task.params))  # a ValidationError is a ValueError
    TASKS[task.name] = task
    return task


def server_zone() -> tzinfo:
    """The zone of the server's wall clock: ``TZ`` when it names a zone, else the
    machine's ``/etc/localtime``, else UTC."""
    name = os.environ.get("TZ", "").lstrip(":")
    try:
        if name:
            return ZoneInfo(name)
        with Path("/etc/localtime").open("rb") as local:
            return ZoneInfo.from_file(local, key="localtime")
    except (OSError, ValueError, ZoneInfoNotFoundError):
        return UTC


# --- the tick ----------------------------------------------------------------------------

def tick(factory: sessionmaker[Session], now: datetime | None = None,
         zone: tzinfo | None = None) -> list[int]:
    """Queue the runs that are due at ``now`` (default: the clock) and this process claims;
    the ids of the jobs queued. Each claim is a transaction of its own, whose first
    statement is the claim (on SQLite it thus takes the write lock before reading)."""
    now, zone = now or utcnow(), zone or server_zone()
    with factory.begin() as session:
        rows = {row.name: row for row in session.execute(
            select(ScheduledTask.name, ScheduledTask.schedule, ScheduledTask.last_slot))}
    _add_missing(factory, [task for name, task in TASKS.items() if name not in rows], now,
                 zone)
    queued = []
    for name, row in rows.items():
        task = TASKS.get(name)  # None: a task of another version sharing the database
        slot = _due(task, row.schedule, row.last_slot, now, zone) if task else None
        if task is None or slot is None:
            continue
        with factory.begin() as session:
            job_id = claim(session, task, slot)
        if job_id is not None:
            queued.append(job_id)
    return queued


def _due(task: Task, override: str | None, last: datetime | None, now: datetime,
         zone: tzinfo) -> datetime | None:
    """The slot ``task`` should run for now, if it has not yet."""
    slot = task.schedule(override).last_slot(now, zone)
    return None if slot is None or (last is not None and last >= slot) else slot


def _add_missing(factory: sessionmaker[Session], tasks: list[Task], now: datetime,
                 zone: tzinfo) -> None:
    """A row for each of ``tasks``, its current slot counted as done. Another process may
    add the same row meanwhile: the unique name keeps one, and the loser moves on."""
    for task in tasks:
        try:
            with factory.begin() as session:
                session.execute(insert(ScheduledTask).values(
                    name=task.name, version=1, created_at=now, updated_at=now,
                    last_slot=task.schedule(None).last_slot(now, zone)))
        except IntegrityError:
            continue


def claim(session: Session, task: Task, slot: datetime) -> int | None:
    """Claim ``slot`` of ``task`` and queue its job: the job's id, or None when the slot
    was claimed already (by another process, or earlier). One conditional UPDATE decides."""
    won = session.execute(
        update(ScheduledTask)
        .where(ScheduledTask.name == task.name,
               or_(ScheduledTask.last_slot.is_(None), ScheduledTask.last_slot < slot))
        .values(last_slot=slot).execution_options(synchronize_session=False))
    if won.rowcount != 1:  # type: ignore[attr-defined]
        return None
    kind = jobs.KINDS[task.job_kind]
    job = jobs.queue(session, kind, kind.params.model_validate(dict(task.params)), None)
    session.execute(update(ScheduledTask).where(ScheduledTask.name == task.name)
                    .values(last_job_id=job.id).execution_options(synchronize_session=False))
    log.info("scheduled task %s: slot %s queued job %s", task.name, slot.isoformat(), job.id)
    return job.id
