"""``BackupsView``: the administrators' backup screen, a page of the administration console.

It lists the archives in the server's backup directory (newest first: local time, size,
kind, database, version, whether the TLS private keys are in it, and how far each was proven
good, in colour, the error as tooltip), with the directory and its free space above and a
banner when the backups are failing or stale. From here an administrator backs up now,
verifies a backup (optionally with a restore test), downloads one, or restores one
(``backup_restart``). Backups and verifications are server jobs: their progress shows under
the table and in the jobs panel, and the list is read again when one ends.

``sig_health(health, detail)`` each time the list arrives, so the main window's backup
warning follows what this screen learnt; ``sig_sign_in_again`` after a restore.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QTableWidget,
    QTableWidgetItem,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from crm_client.admin.common import ConsolePage, titled_table
from crm_client.core.i18n import N_, _
from crm_client.models.formatting import CHECK_MARK, format_datetime, format_size
from crm_client.views.backup_dialogs import (
    DownloadDialog,
    OptionDialog,
    RestoreConfirmDialog,
    restore_warning,
)
from crm_client.views.backup_restart import RestoreProgressDialog
from crm_client.views.backup_warning import health_text
from crm_client.views.job_watcher import JobWatcher
from crm_client.views.jobs_panel import ending_text, job_title
from crm_client.widgets.actions import tool_action
from crm_client.widgets.banner import Banner, BannerLevel
from crm_common.entities import entity
from crm_common.schemas.backups import (
    BACKUP_JOB,
    RESTORE_JOB,
    VERIFY_JOB,
    BackupHealth,
    BackupInfo,
    BackupKind,
    BackupList,
    BackupState,
)
from crm_common.schemas.job import JobRead, JobState

if TYPE_CHECKING:
    from crm_client.core.context import AppContext

W = TypeVar("W", bound=QWidget)
JOB = entity("job")
COLUMNS = (N_("Time"), N_("Size"), N_("Kind"), N_("Database"), N_("Version"),
           N_("TLS keys"), N_("State"))
COLUMN_WIDTHS = (140, 90, 120, 100, 90, 80, 200)
STATE_COLUMN = 6
STATES = {
    BackupState.WRITTEN: (N_("Written, not verified"), "#6b7280"),
    BackupState.VERIFIED: (N_("Verified (integrity)"), "#237804"),
    BackupState.RESTORED: (N_("Verified (restored)"), "#237804"),
    BackupState.FAILED: (N_("Failed"), "#cf1322"),
}
DATABASES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
KINDS = {
    BackupKind.SCHEDULED: N_("Scheduled"),
    BackupKind.MANUAL: N_("Manual"),
    BackupKind.PRE_UPGRADE: N_("Before an upgrade"),
    BackupKind.SAFETY: N_("Before a restore"),
}


class BackupsView(ConsolePage):
    """``sig_loaded`` each time the list arrived; ``sig_health(BackupHealth, detail)``;
    ``sig_sign_in_again`` when a restore is done and the server runs again."""

    sig_loaded = Signal()
    sig_health = Signal(object, object)
    sig_sign_in_again = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("backupsView")
        self.ctx = ctx
        self.listing: BackupList | None = None
        self.dialog: QWidget | None = None  # the dialog the last action opened (tests)
        self.watcher = JobWatcher(ctx, self)
        self.watcher.sig_progress.connect(self._job_progress)
        self.watcher.sig_ended.connect(self._job_ended)
        self.watcher.sig_lost.connect(self._job_lost)
        self.banner = Banner(self)
        self.job_banner = Banner(self)
        self.directory_label = QLabel(self)
        self.directory_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.free_label = QLabel(self)
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.job_label = QLabel(self)
        self.job_bar = QProgressBar(self)
        self._make_actions()
        self._build()

    def _make_actions(self) -> None:
        keys = QKeySequence.StandardKey
        self.backup_action = tool_action(self, _("Back up now…"), "add", self.back_up_now,
                                         ["Ctrl+B"])
        self.verify_action = tool_action(self, _("Verify…"), "open", self.verify_current,
                                         ["Return", "Enter"], self.table)
        self.download_action = tool_action(self, _("Download…"), "download",
                                           self.download_current, [keys.Save])
        self.restore_action = tool_action(self, _("Restore…"), "restore",
                                          self.restore_current)
        self.refresh_action = tool_action(self, _("Refresh"), "refresh", self.load,
                                          [keys.Refresh])

    def _build(self) -> None:
        titled_table(self.table, COLUMNS, COLUMN_WIDTHS, STATE_COLUMN)
        self.table.itemSelectionChanged.connect(self._update_actions)
        self.table.doubleClicked.connect(lambda _index: self.verify_current())
        toolbar = QToolBar(self)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (self.backup_action, self.verify_action, self.download_action,
                       self.restore_action, self.refresh_action):
            toolbar.addAction(action)
        facts = QHBoxLayout()
        facts.addWidget(self.directory_label, 1)
        facts.addWidget(self.free_label)
        progress = QHBoxLayout()
        progress.addWidget(self.job_label, 1)
        progress.addWidget(self.job_bar)
        self.job_bar.setFixedWidth(240)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(toolbar)
        layout.addWidget(self.banner)
        layout.addLayout(facts)
        layout.addWidget(self.table, 1)
        layout.addLayout(progress)
        layout.addWidget(self.job_banner)
        self._show_job(None)
        self._update_actions()

    # --- the list ---------------------------------------------------------------------------

    def load(self) -> None:
        (self.ctx.tasks.query(self, lambda api: api.backups())
         .success(self._show)
         .with_progress(_("Loading backups…"))
         .run())

    def _show(self, listing: BackupList) -> None:
        selected = self.current_backup()
        self.listing = listing
        self.table.setRowCount(len(listing.items))
        for row, backup in enumerate(listing.items):
            self._fill_row(row, backup)
            if selected is not None and backup.name == selected.name:
                self.table.selectRow(row)
        self.directory_label.setText(_("Backup directory: {path}").format(
            path=listing.directory))
        self.free_label.setText(_("Free space: {size}").format(
            size=format_size(listing.free_bytes) if listing.free_bytes is not None
            else _("unknown")))
        self._show_health(listing.health, listing.detail)
        self._update_actions()
        self.sig_health.emit(listing.health, listing.detail)
        self.sig_loaded.emit()

    def _fill_row(self, row: int, backup: BackupInfo) -> None:
        state, colour = STATES[backup.state]
        proven_at = backup.restore_tested_at or backup.verified_at
        texts = (format_datetime(backup.created_at), format_size(backup.size),
                 _(KINDS[backup.kind]), DATABASES.get(backup.database, backup.database),
                 backup.version,
                 CHECK_MARK if backup.includes_tls_keys else "",
                 f"{_(state)} · {format_datetime(proven_at)}" if proven_at else _(state))
        for column, text in enumerate(texts):
            item = QTableWidgetItem(text)
            item.setToolTip(_(backup.error) if backup.error else backup.name)
            if column == STATE_COLUMN:
                item.setForeground(QBrush(QColor(colour)))
            self.table.setItem(row, column, item)

    def _show_health(self, health: BackupHealth, detail: str | None) -> None:
        if health is BackupHealth.OK:
            self.banner.clear()
            return
        level = BannerLevel.WARNING if health is BackupHealth.NONE else BannerLevel.ERROR
        self.banner.show_message(health_text(health, detail), None, level)

    def current_backup(self) -> BackupInfo | None:
        rows = self.table.selectionModel().selectedRows()
        if not rows or self.listing is None:
            return None
        return self.listing.items[rows[0].row()]

    def select_backup(self, name: str) -> None:
        for row, backup in enumerate(self.listing.items if self.listing else []):
            if backup.name == name:
                self.table.selectRow(row)

    def _update_actions(self, *_args: Any) -> None:
        backup, idle = self.current_backup(), not self.watcher.running
        self.backup_action.setEnabled(idle)
        self.verify_action.setEnabled(idle and backup is not None)
        self.download_action.setEnabled(backup is not None)
        self.restore_action.setEnabled(idle and backup is not None
                                       and backup.state is not BackupState.FAILED)

    # --- actions ----------------------------------------------------------------------------

    def back_up_now(self) -> OptionDialog:
        dialog = OptionDialog(
            _("Back up now"),
            _("Writes an encrypted archive of the database, the file store and the server's "
              "settings to the backup directory, then verifies it. Users keep working."),
            _("Include the TLS private keys"),
            _("Needed to bring the server back on a new machine with the same certificate; "
              "keep such an archive especially safe."), self)
        dialog.accepted.connect(lambda: self._start(
            BACKUP_JOB, {"include_tls_keys": dialog.option.isChecked()}))
        return self._open(dialog)

    def verify_current(self) -> OptionDialog | None:
        backup = self.current_backup()
        if backup is None or self.watcher.running:
            return None
        dialog = OptionDialog(
            _("Verify a backup"),
            _("Decrypts and checks every part of {name} and every file's SHA-256.").format(
                name=backup.name),
            _("Restore test: restore into a scratch database and compare every table "
              "(takes longer)"),
            _("Proves the backup can be restored; the live database is not touched."), self)
        dialog.accepted.connect(lambda: self._start(
            VERIFY_JOB, {"name": backup.name, "restore_test": dialog.option.isChecked()}))
        return self._open(dialog)

    def download_current(self) -> DownloadDialog | None:
        """Ask where to save the selected archive, then download it there."""
        backup = self.current_backup()
        if backup is None:
            return None
        chosen, _filter = QFileDialog.getSaveFileName(
            self, _("Download a backup"), str(Path.home() / backup.name),
            _("Backup archives (*.crmbak)"))
        return self.download_to(Path(chosen)) if chosen else None

    def download_to(self, target: Path) -> DownloadDialog | None:
        """Save the selected archive as ``target``, with its progress in a dialog."""
        backup = self.current_backup()
        if backup is None:
            return None
        dialog = DownloadDialog(self.ctx, backup, target, self)
        self._open(dialog)
        dialog.start()
        return dialog

    def restore_current(self) -> QWidget | None:
        """First confirmation (a warning), then the name typed again (the second)."""
        backup = self.current_backup()
        if backup is None or self.watcher.running:
            return None
        warning = restore_warning(backup, self)
        warning.accepted.connect(lambda: self._confirm_restore(backup))
        return self._open(warning)

    def _confirm_restore(self, backup: BackupInfo) -> RestoreConfirmDialog:
        dialog = RestoreConfirmDialog(backup, self)
        dialog.accepted.connect(lambda: self._request_restore(backup.name, dialog.typed))
        return self._open(dialog)

    def _request_restore(self, name: str, typed: str) -> None:
        params = {"name": name, "confirm": typed}
        (self.ctx.tasks.mutation(self, lambda api: api.start_job(RESTORE_JOB, params),
                                 JOB.key, lambda job: [job.id])
         .success(self._restore_started)
         .with_progress(_("Requesting the restore…"))
         .run())

    def _restore_started(self, job: JobRead) -> None:
        dialog = RestoreProgressDialog(self.ctx, job, self)
        dialog.sig_sign_in_again.connect(self.sig_sign_in_again)
        self._open(dialog)

    def _open(self, dialog: W) -> W:
        """Show ``dialog`` over this screen; it goes when closed."""
        self.dialog = dialog
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.show()
        return dialog

    # --- jobs -------------------------------------------------------------------------------

    def _start(self, kind: str, params: dict[str, Any]) -> None:
        self.job_banner.clear()
        self.watcher.start(kind, params)
        self._show_job(None, _("Starting…"))
        self._update_actions()

    def _job_progress(self, job: JobRead) -> None:
        self._show_job(job)

    def _job_ended(self, job: JobRead) -> None:
        self._show_job(None)
        level = BannerLevel.INFO if job.state is JobState.SUCCEEDED else BannerLevel.ERROR
        self.job_banner.show_message(ending_text(job), None, level)
        self._update_actions()
        self.load()

    def _job_lost(self) -> None:
        self._show_job(None)
        self._update_actions()

    def _show_job(self, job: JobRead | None, text: str = "") -> None:
        """The running job's progress under the table (hidden when none runs)."""
        running = job is not None or bool(text)
        self.job_label.setVisible(running)
        self.job_bar.setVisible(running)
        if job is None:
            self.job_label.setText(text)
            self.job_bar.setRange(0, 0)
            return
        self.job_label.setText(f"{job_title(job)}…")
        if job.total:
            self.job_bar.setRange(0, job.total)
            self.job_bar.setValue(min(job.done, job.total))
        else:
            self.job_bar.setRange(0, 0)
