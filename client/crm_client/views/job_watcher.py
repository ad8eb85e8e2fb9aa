"""``JobWatcher``: start one background job and follow it until it ends, for a screen that
shows that job's own progress (the import wizard's dry run, commit and undo).

Every call goes through the task runner, so the GUI thread never waits. The job is read
every ``POLL_MS`` while it runs; a poll that fails is tried again at the next tick (the
runner's offline banner says why). Starting a job is a change of the "job" entity, so the
jobs panel lists it at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QTimer, Signal

from crm_client.api.errors import ServerUnreachable
from crm_client.core.i18n import _
from crm_client.views.jobs_panel import rate_text, time_left
from crm_common.entities import entity
from crm_common.errors import Unavailable
from crm_common.schemas.job import JobRead

if TYPE_CHECKING:
    from crm_client.core.context import AppContext

JOB = entity("job")
POLL_MS = 500


def progress_text(job: JobRead) -> str:
    """"1,200 / 5,000 rows · 850 /s · 5 s left" (what is known of it so far)."""
    if not job.total:
        return _("Waiting to start…") if job.started_at is None else _("Reading the file…")
    parts = [_("{done} / {total} rows").format(done=f"{job.done:,}", total=f"{job.total:,}")]
    parts += [text for text in (rate_text(job), time_left(job)) if text]
    if len(parts) == 3:
        parts[2] = _("{time} left").format(time=parts[2])
    return " · ".join(parts)


class JobWatcher(QObject):
    """``sig_progress(job)`` at each reading of an unfinished job, ``sig_ended(job)`` once
    when it has ended (succeeded, failed or cancelled), ``sig_lost()`` when it could not be
    started or followed (the runner has explained why)."""

    sig_progress = Signal(object)
    sig_ended = Signal(object)
    sig_lost = Signal()

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.job: JobRead | None = None
        self._generation = 0  # answers about a job forgotten since are dropped
        self._timer = QTimer(self, singleShot=True, interval=POLL_MS)
        self._timer.timeout.connect(self._poll)

    @property
    def running(self) -> bool:
        return self.job is not None and not self.job.finished

    def start(self, kind: str, params: Mapping[str, Any]) -> None:
        """Start a job of ``kind``; a job followed so far is forgotten (not cancelled)."""
        self.forget()
        body, generation = dict(params), self._generation
        (self.ctx.tasks.mutation(self, lambda api: api.start_job(kind, body), JOB.key,
                                 lambda job: [job.id])
         .success(lambda job: self._arrived(generation, job))
         .failure(lambda _error: self._start_failed(generation))
         .with_progress(_("Starting the job…"))
         .run())

    def cancel(self) -> None:
        """Ask the server to cancel the job (it stops at its next batch)."""
        if self.job is None or self.job.finished:
            return
        job_id = self.job.id
        (self.ctx.tasks.mutation(self, lambda api: api.cancel_job(job_id), JOB.key,
                                 lambda job: [job.id])
         .with_progress(_("Cancelling the job…"))
         .run())

    def forget(self) -> None:
        """Stop following the job; answers still under way are dropped."""
        self._timer.stop()
        self._generation += 1
        self.job = None

    def _start_failed(self, generation: int) -> bool:
        if generation == self._generation:
            self.sig_lost.emit()
        return False  # the runner explains the refusal

    def _poll(self) -> None:
        if self.job is None:
            return
        job_id, generation = self.job.id, self._generation
        (self.ctx.tasks.query(self, lambda api: api.get(JOB, job_id))
         .success(lambda job: self._arrived(generation, job))
         .failure(lambda error: self._poll_failed(generation, error))
         .run())

    def _poll_failed(self, generation: int, error: BaseException) -> bool:
        """Off line: try again at the next tick (the banner says why); anything else ends
        the watch (the runner shows the message)."""
        if generation != self._generation:
            return True
        if isinstance(error, ServerUnreachable | Unavailable):
            self._timer.start()
        else:
            self.sig_lost.emit()
        return False

    def _arrived(self, generation: int, job: Any) -> None:
        if generation != self._generation or not isinstance(job, JobRead):
            return
        self.job = job
        if job.finished:
            self.sig_ended.emit(job)
            return
        self.sig_progress.emit(job)
        self._timer.start()
