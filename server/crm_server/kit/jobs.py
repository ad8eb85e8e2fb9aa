"""Background jobs: their kinds, and every change of a job row but the work itself.

A kind is declared once (``register_kind``): its name, label, parameters (a pydantic model),
who may start it and the function doing the work. That function gets a unit of work done as
the job's starter (``kit.unit.acting_as``: the same principal, scope, field rights and audit
as their requests), the parameters and a ``Progress`` to call after each batch: each call is
a batch boundary, where a cancel is noticed (``Cancelled``) and the work so far committed.

A ``schedulable`` kind may also be queued by the scheduler (``kit.scheduler``): such a job
has no starter and runs as the system itself (``unit_of_work`` with no principal), its
function getting None as the principal. Users still start it as ``may_start`` says (an
administrator's "back up now"), and then it runs as them.

Starting a job only queues its row; a runner (``kit.job_runner``) claims it with one
conditional UPDATE (``claim``: on PostgreSQL the row is picked ``FOR UPDATE SKIP LOCKED``),
so however many server processes share the database, a job runs once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Protocol

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ValidationError
from sqlalchemy import ColumnElement, select, update
from sqlalchemy.orm import Session

from crm_common.errors import Forbidden, NotFound, ValidationFailed
from crm_common.i18n import N_
from crm_common.schemas.job import JobState
from crm_server.db import audit
from crm_server.db.types import utcnow
from crm_server.models import Job
from crm_server.security.principal import Principal


class Cancelled(Exception):
    """Raised by a job's progress call once a cancel was asked for: the current batch is
    rolled back and the job ends "cancelled"."""


class Interrupted(Exception):
    """Raised by a job's progress call when its runner stops (the server shuts down) or lost
    the job (another server declared it dead): the current batch is rolled back."""


class Progress(Protocol):
    def __call__(self, done: int, total: int | None = None, commit: bool = True) -> None:
        """``done`` of ``total`` items are through: commit them (a batch boundary). With
        ``commit=False`` (work that must end all at once) only a cancel is looked for and
        the progress shown where the database lets another connection write meanwhile."""


@dataclass(frozen=True)
class JobKind:
    """``run(session, principal, params, progress)`` does the work and returns the job's
    result (a small JSON object); ``may_start`` says who may start it. The principal is the
    starter's ``Principal``, or None for the scheduler's job of a ``schedulable`` kind (so
    only such a kind's function need take None; the type says ``Any`` to let the others
    declare ``Principal``)."""

    name: str
    label: str
    params: type[BaseModel]
    run: Callable[[Session, Any, Any, Progress], dict[str, Any]]
    may_start: Callable[[Principal], bool]
    schedulable: bool = False


KINDS: dict[str, JobKind] = {}


def register_kind(kind: JobKind) -> JobKind:
    if kind.name in KINDS:
        raise ValueError(f"job kind {kind.name!r} registered twice")
    KINDS[kind.name] = kind
    return kind


def administrators(user: Principal) -> bool:
    return user.is_admin


def parse_params(kind: JobKind, raw: dict[str, Any]) -> BaseModel:
    """The kind's parameters from ``raw``; field errors (under ``params.``) as a 422."""
    try:
        return kind.params.model_validate(raw)
    except ValidationError as error:
        raise RequestValidationError(
            [{**e, "loc": ("params", *e["loc"])} for e in error.errors()]) from None


def start(session: Session, user: Principal, name: str, raw: dict[str, Any]) -> Job:
    """Queue a job of kind ``name`` started by ``user`` (an audited act); 422 for an unknown
    kind or bad parameters, 403 when the kind is not the user's to start."""
    kind = KINDS.get(name)
    if kind is None:
        raise ValidationFailed(N_("Please correct the marked fields"),
                               {"kind": N_("Not one of the allowed values")})
    if not kind.may_start(user):
        raise Forbidden(N_("Your role may not start this job"))
    return queue(session, kind, parse_params(kind, raw), user.user_id)


def queue(session: Session, kind: JobKind, params: BaseModel, started_by_id: int | None) -> Job:
    """Queue a job of ``kind`` with checked ``params``, started by user ``started_by_id``
    (None: the scheduler, for a ``schedulable`` kind), and audit it."""
    if started_by_id is None and not kind.schedulable:
        raise ValueError(f"job kind {kind.name!r} is not schedulable")
    values = params.model_dump(mode="json")
    job = Job(kind=kind.name, params=values, started_by_id=started_by_id,
              state=JobState.QUEUED, done=0, cancel_requested=False, created_at=utcnow())
    session.add(job)
    session.flush()
    audit.append(session, [audit.entry(session, "create", "job", job.id, [
        {"field": "kind", "old": None, "new": kind.name},
        {"field": "params", "old": None, "new": values}])])
    return job


def request_cancel(session: Session, job: Job) -> None:
    """A queued job is cancelled at once; a running one is asked to stop at its next
    progress call; a finished one stays as it ended."""
    if job.state == JobState.QUEUED:
        job.state, job.finished_at = JobState.CANCELLED, utcnow()
    elif job.state == JobState.RUNNING:
        job.cancel_requested = True
    session.flush()


def locked(session: Session, job_id: int) -> Job:
    """The job row, held until the transaction ends (a runner's claim waits meanwhile)."""
    job = session.scalars(select(Job).where(Job.id == job_id).with_for_update()).first()
    if job is None:
        raise NotFound(N_("The record does not exist or was deleted"))
    return job


# --- the runner's side -----------------------------------------------------------------------

def claim(session: Session, runner: str) -> int | None:
    """Take the oldest queued job of a kind this process knows (a server of another version
    may share the database) for ``runner``: its id, or None when none is left. One
    statement, whose ``state = 'queued'`` condition is checked again on the row it updates;
    PostgreSQL skips rows another runner is claiming, SQLite has one writer at a time."""
    oldest = (select(Job.id).where(Job.state == JobState.QUEUED, Job.kind.in_(sorted(KINDS)))
              .order_by(Job.id).limit(1).with_for_update(skip_locked=True).scalar_subquery())
    now = utcnow()
    return session.scalar(
        update(Job).where(Job.id == oldest, Job.state == JobState.QUEUED)
        .values(state=JobState.RUNNING, claimed_by=runner, started_at=now, heartbeat_at=now)
        .returning(Job.id))


def _mine(job_id: int, runner: str) -> ColumnElement[bool]:
    return (Job.id == job_id) & (Job.claimed_by == runner) & (Job.state == JobState.RUNNING)


def cancel_requested(session: Session, job_id: int, runner: str) -> bool:
    """Whether the job was asked to stop; ``Interrupted`` when it is no longer this
    runner's (declared dead by another server meanwhile)."""
    found = session.scalar(select(Job.cancel_requested).where(_mine(job_id, runner)))
    if found is None:
        raise Interrupted
    return bool(found)


def rate(done: int, started_at: datetime | None, now: datetime) -> Decimal | None:
    """Items per second since the job started, one place."""
    if started_at is None or done <= 0:
        return None
    seconds = max((now - started_at).total_seconds(), 0.001)
    return Decimal(done / seconds).quantize(Decimal("0.1"))


def report(session: Session, job_id: int, runner: str, done: int, total: int | None,
           started_at: datetime | None) -> None:
    now = utcnow()
    session.execute(update(Job).where(_mine(job_id, runner)).values(
        done=done, total=total, rate=rate(done, started_at, now), heartbeat_at=now))


def finish(session: Session, job_id: int, runner: str, state: JobState,
           **values: Any) -> None:
    """End the job (if still this runner's) in ``state`` with ``values`` (result, error…)."""
    session.execute(update(Job).where(_mine(job_id, runner)).values(
        state=state, finished_at=utcnow(), **values))


def heartbeat(session: Session, runner: str) -> None:
    session.execute(update(Job).where(Job.claimed_by == runner,
                                      Job.state == JobState.RUNNING)
                    .values(heartbeat_at=utcnow()))


STALE_ERROR = N_("The server running this job stopped before it ended")


def fail_abandoned(session: Session, stale_after: timedelta,
                   dead: Callable[[str], bool]) -> int:
    """Mark failed the running jobs whose runner is gone: silent for ``stale_after``, or
    ``dead`` by its claim (a process of this machine that no longer exists). The number."""
    cutoff = utcnow() - stale_after
    running = session.execute(select(Job.id, Job.claimed_by, Job.heartbeat_at).where(
        Job.state == JobState.RUNNING)).all()
    abandoned = [job_id for job_id, claimed_by, beat in running
                 if beat is None or beat < cutoff or dead(claimed_by or "")]
    if abandoned:
        session.execute(update(Job).where(Job.id.in_(abandoned),
                                          Job.state == JobState.RUNNING)
                        .values(state=JobState.FAILED, finished_at=utcnow(),
                                error=STALE_ERROR))
    return len(abandoned)
