"""Runs queued jobs in the server process, off the request path.

Each server process (each uvicorn worker) has one runner, started and stopped with the app
(``app.lifespan``): a dispatcher thread claims queued jobs (``jobs.claim``) while one of its
``settings.job_threads`` worker threads is free, and keeps the heartbeat of the jobs it runs.
It wakes when a job is started through this process and otherwise every ``POLL_SECONDS``,
for jobs started through another. The runner has an engine of its own, so jobs never take
the connections requests wait for.

A job runs in a unit of work as its starter (``kit.unit.started_by``: the system for the
scheduler's jobs); its progress is written in short transactions of its own, so the client
sees it while the work runs. Every ``TICK_SECONDS`` the dispatcher also ticks the scheduler
(``kit.scheduler``), which queues the periodic tasks' runs that are due — no request needed.
Running jobs whose runner is gone — silent past ``STALE_AFTER``, or claimed by a process of
this machine that no longer exists (the server was restarted) — are marked failed when a
runner starts and every ``REAP_SECONDS`` after. On stop, running jobs are interrupted at
their next progress call and end failed ("the server stopped").
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from crm_common.errors import ApiError
from crm_common.i18n import N_
from crm_common.schemas.job import JobState
from crm_server.db.engine import make_engine, make_session_factory, pool_options
from crm_server.kit import jobs, scheduler
from crm_server.kit.unit import started_by
from crm_server.models import Job
from crm_server.settings import Settings

POLL_SECONDS = 2.0
HEARTBEAT_SECONDS = 10.0
STALE_AFTER = timedelta(minutes=2)  # many heartbeats missed: the runner is gone
REAP_SECONDS = 30.0
TICK_SECONDS = 30.0
STOP_SECONDS = 5.0  # how long stopping waits for running jobs to notice (a batch or so)
STOPPED_ERROR = N_("The server stopped while the job ran; start it again")
FAILED_ERROR = N_("The job failed unexpectedly; the server log has the details")

log = logging.getLogger(__name__)


def process_claim() -> str:
    """This runner's name in ``job.claimed_by``: host, process id and a token of its own."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


# The runners alive in this process (tests serve one app twice; a process may have several).
LIVE: set[str] = set()


def dead_here(claim: str) -> bool:
    """Whether ``claim`` names a runner of this machine whose process is gone, or a runner
    of this very process that is no more (its process id came round again)."""
    host, _, rest = claim.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit() or claim in LIVE:
        return False
    if int(pid_text) == os.getpid():
        return True
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, another user's
        return False
    return False


class Reporter:
    """A running job's ``Progress``: a cancel asked for is noticed before the batch is
    committed (so it is rolled back), the progress written after (SQLite admits one writer:
    the work must not hold the write lock while the progress is written)."""

    def __init__(self, runner: JobRunner, job_id: int, session: Session, job: Job) -> None:
        self.runner, self.job_id, self.session = runner, job_id, session
        self.started_at = job.started_at
        self.done = 0  # committed

    def __call__(self, done: int, total: int | None = None, commit: bool = True) -> None:
        if self.runner.stopping:
            raise jobs.Interrupted
        with self.runner.short() as session:
            if jobs.cancel_requested(session, self.job_id, self.runner.claim_id):
                raise jobs.Cancelled
        if not commit:
            if self.session.get_bind().dialect.name == "sqlite":
                return  # its one writer is this transaction, until it ends
        else:
            self.session.commit()
            self.done = done
        with self.runner.short() as session:
            jobs.report(session, self.job_id, self.runner.claim_id, done, total,
                        self.started_at)


class JobRunner:
    def __init__(self, settings: Settings, threads: int) -> None:
        self.settings = settings
        self.engine = make_engine(settings.effective_database_url,
                                  settings.statement_timeout_seconds,
                                  **pool_options(2 * threads + 1))
        self.factory = make_session_factory(self.engine)
        self.claim_id = process_claim()
        self._pool = ThreadPoolExecutor(threads, thread_name_prefix="crm-job")
        self._free = threading.Semaphore(threads)
        self._running: set[Future[None]] = set()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._dispatcher = threading.Thread(target=self._loop, name="crm-jobs", daemon=True)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    @contextmanager
    def short(self) -> Iterator[Session]:
        """A short transaction of the runner's own (claims, progress, heartbeats)."""
        with self.factory.begin() as session:
            yield session

    def start(self) -> None:
        LIVE.add(self.claim_id)
        self._dispatcher.start()

    def wake(self) -> None:
        """A job was queued: look now rather than at the next poll."""
        self._wake.set()

    def stop(self) -> None:
        """Stop claiming, interrupt running jobs at their next progress call, wait for them
        a while, close the engine."""
        self._stop.set()
        self._wake.set()
        self._dispatcher.join(STOP_SECONDS)
        wait(list(self._running), STOP_SECONDS)
        self._pool.shutdown(wait=False, cancel_futures=True)
        LIVE.discard(self.claim_id)
        self.engine.dispose()

    # --- the dispatcher ------------------------------------------------------------------

    def _loop(self) -> None:
        next_reap = next_beat = next_tick = 0.0
        while not self._stop.is_set():
            self._wake.clear()
            now = time.monotonic()
            if now >= next_tick:
                next_tick = now + TICK_SECONDS
                self._tick()
            try:
                if now >= next_reap:
                    self.reap()
                    next_reap = now + REAP_SECONDS
                if now >= next_beat and self._running:
                    with self.short() as session:
                        jobs.heartbeat(session, self.claim_id)
                    next_beat = now + HEARTBEAT_SECONDS
                self._dispatch()
            except Exception:  # the database may be down: try again at the next round
                log.exception("job runner: a round failed")
            self._wake.wait(POLL_SECONDS)

    def _tick(self) -> None:
        """Queue the scheduled runs that are due; a failure (the database is down, a task
        is broken) is logged and tried again at the next tick, and never stops dispatch."""
        try:
            scheduler.tick(self.factory)
        except Exception:
            log.exception("job runner: the scheduler's tick failed")

    def reap(self) -> int:
        with self.short() as session:
            return jobs.fail_abandoned(session, STALE_AFTER, dead_here)

    def _dispatch(self) -> None:
        while not self._stop.is_set() and self._free.acquire(blocking=False):
            with self.short() as session:
                job_id = jobs.claim(session, self.claim_id)
            if job_id is None:
                self._free.release()
                return
            future = self._pool.submit(self.run, job_id)
            self._running.add(future)
            future.add_done_callback(self._finished)

    def _finished(self, future: Future[None]) -> None:
        self._running.discard(future)
        self._free.release()
        self._wake.set()  # a thread is free: the queue may hold more

    # --- one job -------------------------------------------------------------------------

    def run(self, job_id: int) -> None:
        """Run a job this runner claimed, to its end."""
        with self.short() as session:
            job = session.get(Job, job_id)
        assert job is not None, "a claimed job exists"
        reporter: Reporter | None = None
        try:
            kind = jobs.KINDS[job.kind]
            with started_by(self.factory, self.settings, job.started_by_id) as (work, user):
                reporter = Reporter(self, job_id, work, job)
                result = kind.run(work, user, kind.params.model_validate(job.params),
                                  reporter)
            self._end(job_id, JobState.SUCCEEDED, result=result)
        except jobs.Cancelled:
            self._end(job_id, JobState.CANCELLED, done=reporter.done if reporter else 0)
        except jobs.Interrupted:
            self._end(job_id, JobState.FAILED, error=STOPPED_ERROR)
        except ApiError as error:  # refused: the starter may no longer do this
            self._end(job_id, JobState.FAILED, error=error.detail)
        except Exception:
            log.exception("job %s (%s) failed", job_id, job.kind)
            self._end(job_id, JobState.FAILED, error=FAILED_ERROR)

    def _end(self, job_id: int, state: JobState, **values: Any) -> None:
        try:
            with self.short() as session:
                jobs.finish(session, job_id, self.claim_id, state, **values)
        except Exception:  # the database went away: the job is reaped as abandoned later
            log.exception("job %s: its end could not be recorded", job_id)
