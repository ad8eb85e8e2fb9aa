"""``RestoreProgressDialog``: what the administrator sees once a restore was requested.

The restore job first verifies the archive (the job's progress shows), then arms the restore
and the server restarts into it: the client loses the connection for a while. The dialog says
"the server is restoring and restarting", asks ``/health`` once a second (once per call, so a
server that went away is noticed rather than waited for) until it answers again, then asks
the administrator to sign in again (``sig_sign_in_again``): the data of every open screen
is from before the restore. A job that fails (a damaged archive, the wrong key) changed
nothing, and the dialog says why. A server not started by ``crm-server run`` cannot restart
itself: the restore is then armed for its next start, and the dialog says so.

Whether the server really went away is seen from a failed call. A restart so quick that no
call failed is taken for done after ``RESTART_GRACE_S`` of answers following the job's end.
"""

from __future__ import annotations

import time
from enum import Enum, auto
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from crm_client.core.i18n import N_, _
from crm_client.views.jobs_panel import ending_text
from crm_common.entities import entity
from crm_common.schemas.job import JobRead, JobState

if TYPE_CHECKING:
    from crm_client.core.context import AppContext

JOB = entity("job")
POLL_MS = 1000
RESTART_GRACE_S = 60.0
WIDTH = 460


class Phase(Enum):
    CHECKING = auto()  # the job verifies the archive
    RESTARTING = auto()  # the job armed the restore; the server restarts into it
    BACK = auto()  # the server answers again: sign in
    ARMED = auto()  # armed, but this server does not restart itself: at its next start
    FAILED = auto()  # the job failed; nothing changed


PHASE_TEXTS = {
    Phase.CHECKING: N_("Checking the backup before restoring it…"),
    Phase.RESTARTING: N_("The server is restoring the backup and restarting. This can take a "
                         "few minutes; the connection is lost meanwhile."),
    Phase.BACK: N_("The backup was restored and the server is running again. Sign in again: "
                   "what the screens show is from before the restore."),
    Phase.ARMED: N_("The backup was checked and the restore is prepared. This server does not "
                    "restart by itself: the restore happens when IT restarts the CRM service."),
}


class RestoreProgressDialog(QDialog):
    """Follows the restore job ``job`` to the server's return. ``sig_sign_in_again`` when
    the administrator clicks "Sign in again"."""

    sig_sign_in_again = Signal()

    def __init__(self, ctx: AppContext, job: JobRead, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.job = ctx, job
        self.phase = Phase.CHECKING
        self.went_away = False
        self._ended_at: float | None = None
        self._timer = QTimer(self, singleShot=True, interval=POLL_MS)
        self._timer.timeout.connect(self._poll)
        self.setWindowTitle(_("Restore a backup"))
        self.setMinimumWidth(WIDTH)
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setRange(0, 0)
        self.buttons = QDialogButtonBox(self)
        self.sign_in_button = QPushButton(_("Sign in again"), self)
        self.sign_in_button.clicked.connect(self._sign_in_again)
        self.buttons.addButton(self.sign_in_button, QDialogButtonBox.ButtonRole.AcceptRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.buttons)
        self._show_phase()
        self._timer.start()

    # --- phases -----------------------------------------------------------------------------

    def _show_phase(self) -> None:
        if self.phase is Phase.FAILED:
            text = _("Nothing was restored: {reason}").format(reason=ending_text(self.job))
        else:
            text = _(PHASE_TEXTS[self.phase])
        self.label.setText(text)
        waiting = self.phase in (Phase.CHECKING, Phase.RESTARTING)
        self.progress_bar.setVisible(waiting)
        self.sign_in_button.setVisible(self.phase is Phase.BACK)
        self.close_button.setVisible(self.phase in (Phase.FAILED, Phase.ARMED))

    def _enter(self, phase: Phase) -> None:
        self.phase = phase
        self._show_phase()
        if phase is Phase.RESTARTING and self._ended_at is None:
            self._ended_at = time.monotonic()
        if phase in (Phase.CHECKING, Phase.RESTARTING):
            self._timer.start()

    # --- polling ----------------------------------------------------------------------------

    def _poll(self) -> None:
        if self.phase is Phase.CHECKING:
            job_id = self.job.id
            (self.ctx.tasks.query(self, lambda api: api.get(JOB, job_id))
             .success(self._job_read)
             .failure(self._gone)
             .run())
        elif self.phase is Phase.RESTARTING:
            (self.ctx.tasks.query(self, lambda api: api.health(retry=False))
             .success(lambda _health: self._answered())
             .failure(self._gone)
             .run())

    def _job_read(self, job: object) -> None:
        if not isinstance(job, JobRead):
            return
        self.job = job
        if job.state is JobState.SUCCEEDED:
            restarts = (job.result or {}).get("restart", True)
            self._enter(Phase.RESTARTING if restarts else Phase.ARMED)
        elif job.finished:
            self._enter(Phase.FAILED)
        else:
            self._timer.start()

    def _gone(self, _error: BaseException) -> bool:
        """The server went away (or, back, no longer knows this session): it restarts."""
        self.went_away = True
        self._enter(Phase.RESTARTING)
        return True

    def _answered(self) -> None:
        quick = self._ended_at is not None and (
            time.monotonic() - self._ended_at >= RESTART_GRACE_S)
        self._enter(Phase.BACK if self.went_away or quick else Phase.RESTARTING)

    def _sign_in_again(self) -> None:
        self.accept()
        self.sig_sign_in_again.emit()

    def reject(self) -> None:
        """Closed only when the server is not going away."""
        if self.phase in (Phase.FAILED, Phase.ARMED):
            super().reject()
