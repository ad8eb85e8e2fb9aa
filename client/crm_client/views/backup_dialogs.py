"""The backup screen's dialogs: the options of a backup or a verification, the second
confirmation of a restore (typing the backup's name), and the download of an archive with
its progress bar.

A download runs on the task runner's pool and streams to disk (``ApiClient.download_backup``);
Cancel, closing the dialog, or a failure leave no file behind.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from crm_client.api.errors import DownloadCancelled
from crm_client.core.failures import describe_failure
from crm_client.core.i18n import _
from crm_client.core.tasks import TransferProgress
from crm_client.widgets.banner import Banner, BannerLevel
from crm_common.schemas.backups import BackupInfo

if TYPE_CHECKING:
    from crm_client.core.context import AppContext

DIALOG_WIDTH = 460


class OptionDialog(QDialog):
    """An explanation, one option (unchecked at first) and a Start button: "back up now"
    (include the TLS private keys) and "verify" (restore test)."""

    def __init__(self, title: str, text: str, option: str, option_tip: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(DIALOG_WIDTH)
        explanation = QLabel(text, self)
        explanation.setWordWrap(True)
        self.option = QCheckBox(option, self)
        self.option.setToolTip(option_tip)
        buttons = QDialogButtonBox(self)
        self.start_button = buttons.addButton(_("Start"), QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(explanation)
        layout.addWidget(self.option)
        layout.addWidget(buttons)


def restore_warning(backup: BackupInfo, parent: QWidget) -> QMessageBox:
    """The first confirmation of a restore: what it replaces, and that everyone is cut off."""
    text = _("Restoring {name} replaces every record, file and setting on the server with the "
             "state of {time}. Whatever was entered since is lost (a safety backup of the "
             "current state is taken first). The server restarts and everyone is signed out."
             ).format(name=backup.name, time=backup.created_at.astimezone().strftime(
                 "%Y-%m-%d %H:%M"))
    box = QMessageBox(QMessageBox.Icon.Warning, _("Restore a backup"), text,
                      QMessageBox.StandardButton.Cancel, parent)
    box.addButton(_("Continue…"), QMessageBox.ButtonRole.AcceptRole)
    box.setDefaultButton(QMessageBox.StandardButton.Cancel)
    return box


class RestoreConfirmDialog(QDialog):
    """The second confirmation: the backup's name typed again; Restore stays disabled until
    it matches exactly."""

    def __init__(self, backup: BackupInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.backup = backup
        self.setWindowTitle(_("Confirm the restore"))
        self.setMinimumWidth(DIALOG_WIDTH)
        prompt = QLabel(_("To restore, type the name of the backup:\n{name}").format(
            name=backup.name), self)
        prompt.setWordWrap(True)
        prompt.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.name_edit = QLineEdit(self)
        self.name_edit.setPlaceholderText(backup.name)
        buttons = QDialogButtonBox(self)
        self.restore_button = buttons.addButton(_("Restore"),
                                                QDialogButtonBox.ButtonRole.AcceptRole)
        self.restore_button.setEnabled(False)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel).setDefault(True)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.name_edit.textChanged.connect(
            lambda text: self.restore_button.setEnabled(text == backup.name))
        layout = QVBoxLayout(self)
        layout.addWidget(prompt)
        layout.addWidget(self.name_edit)
        layout.addWidget(buttons)

    @property
    def typed(self) -> str:
        return self.name_edit.text()


class DownloadDialog(QDialog):
    """Downloads one backup to ``target`` with a progress bar; ``sig_done(sha256)`` when the
    file is complete. Cancel or closing stops it and deletes what arrived."""

    sig_done = Signal(str)

    def __init__(self, ctx: AppContext, backup: BackupInfo, target: Path,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.backup, self.target = ctx, backup, target
        self._cancelled = threading.Event()
        self._progress = TransferProgress(self)
        self.setWindowTitle(_("Download a backup"))
        self.setMinimumWidth(DIALOG_WIDTH)
        self.label = QLabel(_("Saving {name} as {path}…").format(name=backup.name,
                                                                path=target), self)
        self.label.setWordWrap(True)
        self.banner = Banner(self)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setRange(0, max(backup.size, 1))
        self._progress.sig_received.connect(self.progress_bar.setValue)
        self.close_button = QPushButton(_("Cancel"), self)
        self.close_button.clicked.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.label)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.banner)
        layout.addWidget(self.close_button, 0, Qt.AlignmentFlag.AlignRight)

    def start(self) -> None:
        name, target, cancelled = self.backup.name, self.target, self._cancelled
        progress = self._progress.sig_received.emit
        (self.ctx.tasks.query(self, lambda api: api.download_backup(name, target, progress,
                                                                    cancelled))
         .success(self._done)
         .failure(self._failed)
         .run())

    def _done(self, sha256: str) -> None:
        self.progress_bar.setValue(self.progress_bar.maximum())
        self.label.setText(_("Saved {name} as {path}.").format(name=self.backup.name,
                                                              path=self.target))
        self.close_button.setText(_("Close"))
        self.sig_done.emit(sha256)

    def _failed(self, error: BaseException) -> bool:
        if not isinstance(error, DownloadCancelled):
            self.banner.show_message(_("The download failed: {reason}").format(
                reason=describe_failure(error).message), None, BannerLevel.ERROR)
            self.close_button.setText(_("Close"))
        return True

    def reject(self) -> None:
        self._cancelled.set()  # a download still running stops and deletes its file
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._cancelled.set()
        super().closeEvent(event)
