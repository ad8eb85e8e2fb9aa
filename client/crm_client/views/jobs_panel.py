"""The jobs panel: the signed-in user's background jobs (``crm_server.kit.jobs``).

``JobsMonitor`` keeps the user's recent jobs: it reads them when the window opens and
whenever a job is started or cancelled from this client (the change bus), and then again
every ``POLL_MS`` while one of them is queued or running — never otherwise, so an idle
client costs the server nothing. Every read goes through the task runner.
``JobsIndicator`` is the status bar's button (how many jobs run; it opens the panel),
``JobsDialog`` the panel: each job with its progress bar, rate and time left, and Cancel.
When a job the monitor saw unfinished ends, the status bar says how it ended, and so does
the panel's banner.

Administrators start "Recompute search text" here (``RecomputeSearchDialog``), from the
panel or the administration console.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMainWindow,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crm_client.admin.common import titled_table
from crm_client.api.client import PageResult
from crm_client.core.i18n import N_, _
from crm_client.core.icons import icon
from crm_client.models.formatting import format_datetime
from crm_client.widgets.banner import Banner, BannerLevel
from crm_common.entities import REGISTRY, entity
from crm_common.permissions import Action
from crm_common.schemas.job import JobRead, JobState

if TYPE_CHECKING:
    from crm_client.core.context import AppContext

JOB = entity("job")
RECOMPUTE_SEARCH = "recompute_search"
POLL_MS = 1500
SHOWN = 50  # the newest jobs of the user the panel lists
MESSAGE_MS = 15000
COLUMNS = (N_("Job"), N_("State"), N_("Progress"), N_("Per second"), N_("Time left"),
           N_("Started"))
COLUMN_WIDTHS = (220, 80, 200, 90, 90, 130)
PROGRESS_COLUMN = 2
ENDINGS = {
    JobState.SUCCEEDED: N_("“{job}” is done"),
    JobState.FAILED: N_("“{job}” failed: {error}"),
    JobState.CANCELLED: N_("“{job}” was cancelled"),
}


def job_title(job: JobRead) -> str:
    return _(job.kind_label or job.kind)


def state_label(job: JobRead) -> str:
    return _(JOB.field("state").choice_label(job.state))


def ending_text(job: JobRead) -> str:
    """How a finished job ended, in one sentence."""
    return _(ENDINGS[job.state]).format(job=job_title(job), error=_(job.error or ""))


def time_left(job: JobRead) -> str:
    """The time a running job needs yet at its rate so far ("" when unknown)."""
    if job.state is not JobState.RUNNING or not job.total or not job.rate:
        return ""
    seconds = int((job.total - job.done) / float(job.rate))
    if seconds < 60:
        return _("{seconds} s").format(seconds=max(seconds, 1))
    if seconds < 3600:
        return _("{minutes} min").format(minutes=seconds // 60)
    return _("{hours} h {minutes} min").format(hours=seconds // 3600,
                                                minutes=seconds % 3600 // 60)


def rate_text(job: JobRead) -> str:
    return _("{rate} /s").format(rate=job.rate) if job.rate is not None else ""


class JobsMonitor(QObject):
    """``sig_jobs(list)``: the user's newest jobs, newest first, each time they arrive;
    ``sig_ended(job)``: a job seen queued or running has ended."""

    sig_jobs = Signal(list)
    sig_ended = Signal(object)

    def __init__(self, ctx: AppContext, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.jobs: list[JobRead] = []
        self._watched: set[int] = set()  # jobs whose end is to be told
        self._loading = self._again = False
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.refresh)
        ctx.changes.sig_entity_changed.connect(self._changed)

    @property
    def enabled(self) -> bool:
        return self.ctx.can(JOB.key, Action.READ)

    @property
    def running(self) -> int:
        return sum(1 for job in self.jobs if not job.finished)

    @property
    def polling(self) -> bool:
        return self._timer.isActive()

    def refresh(self) -> None:
        """Read the jobs now (once the read under way is back, if there is one)."""
        if not self.enabled:
            return
        if self._loading:
            self._again = True
            return
        self._loading, self._again = True, False
        params = {"started_by_id": self.ctx.user_id, "sort": "-id", "limit": SHOWN}
        (self.ctx.tasks.query(self, lambda api: api.list(JOB, params))
         .success(self._arrived)
         .failure(lambda _error: True)  # a poll that failed is not worth a message box
         .finished(self._loaded)
         .run())

    def _loaded(self) -> None:
        self._loading = False
        if self._again:
            self.refresh()
        elif self.running and not self._timer.isActive():
            self._timer.start(POLL_MS)

    def _arrived(self, page: PageResult) -> None:
        self._watched |= {job.id for job in self.jobs if not job.finished}
        self.jobs = [job for job in page.items if isinstance(job, JobRead)]
        for job in self.jobs:
            if job.finished and job.id in self._watched:
                self._watched.discard(job.id)
                self.sig_ended.emit(job)
        self.sig_jobs.emit(self.jobs)

    def _changed(self, key: str, ids: list[int]) -> None:
        """A job was started or cancelled here: its end is told even when it came before
        the monitor saw it running."""
        if key == JOB.key:
            self._watched.update(ids)
            self.refresh()


class JobsIndicator(QToolButton):
    """The status bar's jobs button: how many of the user's jobs run; opens the panel."""

    def __init__(self, monitor: JobsMonitor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("jobsIndicator")
        self.setIcon(icon("job"))
        self.setAutoRaise(True)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.setToolTip(_("Background jobs"))
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.monitor = monitor
        monitor.sig_jobs.connect(lambda _jobs: self._show_count())
        self._show_count()

    def _show_count(self) -> None:
        count = self.monitor.running
        self.setText(_("Jobs running: {count}").format(count=count) if count else _("Jobs"))


class JobsDialog(QDialog):
    """The panel: the user's jobs, a Cancel for the selected one, and for administrators
    "Recompute search text…"."""

    def __init__(self, ctx: AppContext, monitor: JobsMonitor,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.monitor = monitor
        self.setObjectName("jobsDialog")
        self.setWindowTitle(_("Background jobs"))
        self.banner = Banner(self)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.cancel_button = QPushButton(_("Cancel job"), self)
        self.cancel_button.clicked.connect(self.cancel_selected)
        self.recompute_button = QPushButton(_("Recompute search text…"), self)
        self.recompute_button.clicked.connect(self.open_recompute)
        self._build()
        self.recompute_button.setVisible(ctx.administers)  # after the button box showed it
        monitor.sig_jobs.connect(self.show_jobs)
        monitor.sig_ended.connect(self._ended)
        self.show_jobs(monitor.jobs)
        monitor.refresh()

    def _build(self) -> None:
        titled_table(self.table, COLUMNS, COLUMN_WIDTHS, PROGRESS_COLUMN)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(self.recompute_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.table, 1)
        layout.addWidget(buttons)
        self.resize(860, 360)
        self._update_buttons()

    def show_jobs(self, jobs: list[JobRead]) -> None:
        selected = self.selected_job()
        self.table.setRowCount(len(jobs))
        for row, job in enumerate(jobs):
            texts = (job_title(job), state_label(job), "", rate_text(job), time_left(job),
                     format_datetime(job.started_at or job.created_at))
            for column, text in enumerate(texts):
                item = QTableWidgetItem(text)
                item.setData(Qt.ItemDataRole.UserRole, job.id)
                self.table.setItem(row, column, item)
            self.table.setCellWidget(row, PROGRESS_COLUMN, _progress_bar(job))
            if selected is not None and job.id == selected.id:
                self.table.selectRow(row)
        self._update_buttons()

    def selected_job(self) -> JobRead | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        item = self.table.item(rows[0].row(), 0)
        job_id = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        return next((job for job in self.monitor.jobs if job.id == job_id), None)

    def _update_buttons(self) -> None:
        job = self.selected_job()
        self.cancel_button.setEnabled(
            job is not None and not job.finished and not job.cancel_requested)

    def cancel_selected(self) -> None:
        job = self.selected_job()
        if job is None or job.finished:
            return
        self.cancel_button.setEnabled(False)
        (self.ctx.tasks.mutation(self, lambda api: api.cancel_job(job.id), JOB.key,
                                 lambda found: [found.id])
         .with_progress(_("Cancelling the job…"))
         .run())

    def open_recompute(self) -> RecomputeSearchDialog:
        dialog = RecomputeSearchDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def _ended(self, job: JobRead) -> None:
        level = BannerLevel.INFO if job.state is JobState.SUCCEEDED else BannerLevel.WARNING
        self.banner.show_message(ending_text(job), level=level)


def _progress_bar(job: JobRead) -> QProgressBar:
    bar = QProgressBar()
    if job.total:
        bar.setRange(0, job.total)
        bar.setValue(min(job.done, job.total))
        bar.setFormat(f"{job.done:,} / {job.total:,}")
    elif job.state is JobState.RUNNING:
        bar.setRange(0, 0)  # busy: the job does not know its size yet
    else:
        bar.setRange(0, 1)
        bar.setValue(1 if job.state is JobState.SUCCEEDED else 0)
        bar.setTextVisible(False)
    return bar


class RecomputeSearchDialog(QDialog):
    """Start "recompute search text" for one searchable entity (administrators; after a
    change to how names, phones or pinyin initials are cleaned). ``sig_started(job)``."""

    sig_started = Signal(object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("recomputeSearchDialog")
        self.setWindowTitle(_("Recompute search text"))
        self.entity_combo = QComboBox(self)
        for spec in REGISTRY.values():
            if spec.searchable:
                self.entity_combo.addItem(_(spec.label_plural), spec.key)
        explanation = QLabel(_("Rebuilds what the search box finds for every record, in the "
                               "background. Run it after the rules that clean names, phone "
                               "numbers or pinyin initials changed."), self)
        explanation.setWordWrap(True)
        self.buttons = QDialogButtonBox(self)
        self.start_button = self.buttons.addButton(_("Start"),
                                                   QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.start)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(_("Records"), self.entity_combo)
        layout = QVBoxLayout(self)
        layout.addWidget(explanation)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.resize(420, 160)

    def start(self) -> None:
        params = {"entity": self.entity_combo.currentData()}
        self.start_button.setEnabled(False)
        (self.ctx.tasks.mutation(self, lambda api: api.start_job(RECOMPUTE_SEARCH, params),
                                 JOB.key, lambda job: [job.id])
         .success(self._started)
         .finished(lambda: self.start_button.setEnabled(True))
         .with_progress(_("Starting the job…"))
         .run())

    def _started(self, job: JobRead) -> None:
        self.sig_started.emit(job)
        self.accept()


class JobsPanel(QObject):
    """The main window's jobs: the monitor, the status bar's indicator and the panel."""

    def __init__(self, window: QMainWindow, ctx: AppContext) -> None:
        super().__init__(window)
        self.main_window, self.ctx = window, ctx
        self.monitor = JobsMonitor(ctx, self)
        self.indicator = JobsIndicator(self.monitor)
        self.indicator.clicked.connect(self.open)
        self.indicator.setVisible(self.monitor.enabled)
        self.dialog: JobsDialog | None = None
        self.monitor.sig_ended.connect(self._ended)
        window.statusBar().addPermanentWidget(self.indicator)
        self.monitor.refresh()

    def open(self) -> JobsDialog:
        """Show the panel (one per window)."""
        if self.dialog is None:
            self.dialog = JobsDialog(self.ctx, self.monitor, self.main_window)
            self.dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.dialog.destroyed.connect(self._closed)
        self.dialog.show()
        return self.dialog

    def _closed(self) -> None:
        self.dialog = None

    def _ended(self, job: JobRead) -> None:
        self.main_window.statusBar().showMessage(ending_text(job), MESSAGE_MS)
