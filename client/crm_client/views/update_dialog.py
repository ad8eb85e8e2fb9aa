"""Client updates: a quiet check after sign-in, Help › Check for updates…, and the dialog
that offers a newer installer, downloads it with a progress bar, checks it
(``core.updates``) and starts it.

Only a frozen Windows client updates itself (``Installation.updatable``). The quiet check
says nothing unless there is an update: a failure only goes to the log. The explicit one
also says "up to date", and shows failures.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QLocale, QObject, Qt
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

import crm_client
from crm_client.api.errors import DownloadCancelled
from crm_client.api.trust import grouped_fingerprint
from crm_client.core import updates
from crm_client.core.context import AppContext
from crm_client.core.failures import describe_failure
from crm_client.core.i18n import _
from crm_client.core.tasks import TransferProgress
from crm_client.core.updates import Installation, UpdateRefused, Verified
from crm_client.views.sign_in import monospace_font
from crm_client.widgets.banner import Banner, BannerLevel
from crm_common.errors import NotFound
from crm_common.schemas.release import ClientRelease

log = logging.getLogger(__name__)

Launcher = Callable[[Path], None]
MIN_WIDTH = 480


class UpdateDialog(QDialog):
    """Offer → download (progress, Cancel) → checked → Install now (starts the installer
    with ``launcher`` and quits the client with ``quit_app``)."""

    def __init__(self, ctx: AppContext, release: ClientRelease, installation: Installation,
                 launcher: Launcher, quit_app: Callable[[], None],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.release, self.installation = ctx, release, installation
        self.launcher, self.quit_app = launcher, quit_app
        self.verified: Verified | None = None
        self._cancelled = threading.Event()
        self._progress = TransferProgress(self)
        self.setWindowTitle(_("Client update"))
        self.setMinimumWidth(MIN_WIDTH)  # the banner's text wraps in it
        self.banner = Banner(self)
        self.progress_bar = QProgressBar(self)
        self.progress_bar.setRange(0, max(release.size, 1))
        self.progress_bar.hide()
        self._progress.sig_received.connect(self.progress_bar.setValue)
        self.buttons = QDialogButtonBox(self)
        self.download_button = self._button(_("&Download"), self.download,
                                            QDialogButtonBox.ButtonRole.AcceptRole)
        self.install_button = self._button(_("&Install now"), self.install,
                                           QDialogButtonBox.ButtonRole.AcceptRole)
        self.install_button.hide()
        self.cancel_button = self._button(_("Later"), self.reject,
                                          QDialogButtonBox.ButtonRole.RejectRole)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(_("A new version of the CRM client is available.")))
        layout.addLayout(self._facts())
        layout.addWidget(self.banner)
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.buttons)
        if not release.signed:
            self.banner.show_message(_("This installer is unsigned: nothing shows who made "
                                       "it. Install it only if your IT department expects "
                                       "an unsigned build."), None, BannerLevel.WARNING)

    def _button(self, text: str, slot: Callable[[], None],
                role: QDialogButtonBox.ButtonRole) -> QPushButton:
        button = self.buttons.addButton(text, role)
        button.clicked.connect(lambda _checked=False: slot())
        return button

    def _facts(self) -> QFormLayout:
        release = self.release
        form = QFormLayout()
        form.addRow(_("Version:"), QLabel(_("{current} → {new}").format(
            current=crm_client.__version__, new=release.version)))
        form.addRow(_("Size:"), QLabel(QLocale().formattedDataSize(
            release.size, 1, QLocale.DataSizeFormat.DataSizeTraditionalFormat)))
        if release.signed:
            signer = QLabel(release.signer_name or _("(no name)"))
            signer.setToolTip(grouped_fingerprint(release.signer_fingerprint or ""))
            form.addRow(_("Signed by:"), signer)
            fingerprint = QLabel(grouped_fingerprint(release.signer_fingerprint or "", 16))
            fingerprint.setFont(monospace_font())
            fingerprint.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(_("Certificate\n(SHA-256):"), fingerprint)
        else:
            form.addRow(_("Signed by:"), QLabel(_("nobody (unsigned)")))
        return form

    # --- steps ---------------------------------------------------------------------------------

    def download(self) -> None:
        """Download and check the installer off the GUI thread."""
        release, installation = self.release, self.installation
        progress, cancelled = self._progress.sig_received.emit, self._cancelled
        cancelled.clear()
        self.download_button.setEnabled(False)
        self.cancel_button.setText(_("Cancel"))
        self.progress_bar.setValue(0)
        self.progress_bar.show()
        self.banner.show_message(_("Downloading version {version}…").format(
            version=release.version), None, BannerLevel.INFO)
        (
            self.ctx.tasks.query(self, lambda api: updates.fetch(
                api, release, installation, progress, cancelled))
            .success(self._downloaded)
            .failure(self._download_failed)
            .run()
        )

    def _downloaded(self, verified: Verified) -> None:
        self.verified = verified
        self.progress_bar.setValue(self.progress_bar.maximum())
        self.download_button.hide()
        self.install_button.show()
        self.install_button.setDefault(True)
        self.cancel_button.setText(_("Later"))
        if verified.signer is None:
            text = _("Checked: the file is the one the server announced. It is unsigned; "
                     "install it only if your IT department expects an unsigned build.")
            self.banner.show_message(text, None, BannerLevel.WARNING)
        else:
            text = _("Checked: the file is the one the server announced, signed by {signer}.")
            self.banner.show_message(text.format(signer=verified.signer.common_name), None,
                                     BannerLevel.INFO)

    def _download_failed(self, error: BaseException) -> bool:
        self.progress_bar.hide()
        self.download_button.setEnabled(True)
        self.cancel_button.setText(_("Later"))
        if isinstance(error, DownloadCancelled):
            text = _("The download was cancelled.")
        elif isinstance(error, UpdateRefused):
            text = str(error)
        else:
            text = _("The download failed: {reason}").format(
                reason=describe_failure(error).message)
        log.warning("client update %s not installed: %r", self.release.file_name, error)
        self.banner.show_message(text, None, BannerLevel.ERROR)
        return True

    def install(self) -> None:
        """Start the checked installer, then quit so it can replace this client."""
        assert self.verified is not None
        self.launcher(self.verified.path)
        self.accept()
        self.quit_app()

    def reject(self) -> None:
        self._cancelled.set()  # a download still running stops and deletes its file
        super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        self._cancelled.set()
        super().closeEvent(event)


class UpdateChecker(QObject):
    """Asks the server for its newest installer and offers it when it is newer.
    ``installation``, ``launcher`` and ``quit_app`` are what tests replace."""

    def __init__(self, ctx: AppContext, parent: QWidget,
                 installation: Installation | None = None,
                 launcher: Launcher = updates.launch_installer,
                 quit_app: Callable[[], None] = QApplication.quit) -> None:
        super().__init__(parent)
        self.ctx, self.window = ctx, parent
        self.installation = installation or Installation()
        self.launcher, self.quit_app = launcher, quit_app
        self.dialog: UpdateDialog | None = None
        self.message: QMessageBox | None = None

    def check_quietly(self) -> None:
        """After sign-in: offer an update if there is one, say nothing otherwise (and clear
        away the downloads of earlier updates)."""
        if self.installation.updatable:
            updates.remove_old_downloads()
            self._check(explicit=False)

    def check(self) -> None:
        """Help › Check for updates…: also says when there is nothing to install."""
        if self.installation.updatable:
            self._check(explicit=True)
        else:
            self._tell(_("This client was not installed with the Windows installer, so it "
                         "does not update itself. Its version is {version}.").format(
                             version=crm_client.__version__))

    def _check(self, explicit: bool) -> None:
        (
            self.ctx.tasks.query(self.window, lambda api: api.client_release())
            .success(lambda release: self._found(release, explicit))
            .failure(lambda error: self._failed(error, explicit))
            .run()
        )

    def _found(self, release: ClientRelease, explicit: bool) -> None:
        if updates.is_newer(release):
            self.offer(release)
        elif explicit:
            self._tell(_("This client is up to date (version {version}).").format(
                version=crm_client.__version__))

    def _failed(self, error: BaseException, explicit: bool) -> bool:
        if isinstance(error, NotFound) and explicit:
            self._tell(_("This client is up to date (version {version}); the server offers "
                         "no installer.").format(version=crm_client.__version__))
            return True
        if not explicit:
            log.info("update check failed: %r", error)
        return not explicit  # an explicit check shows the failure like any other

    def offer(self, release: ClientRelease) -> UpdateDialog:
        """The update dialog for ``release``; the one already open (perhaps downloading)
        is raised instead."""
        if self.dialog is not None:
            self.dialog.raise_()
            return self.dialog
        dialog = UpdateDialog(self.ctx, release, self.installation, self.launcher,
                              self.quit_app, self.window)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(self._dialog_closed)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _dialog_closed(self) -> None:
        self.dialog = None

    def _tell(self, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Information, _("Check for updates"), text,
                          QMessageBox.StandardButton.Ok, self.window)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(self._message_closed)
        self.message = box
        box.open()

    def _message_closed(self) -> None:
        self.message = None
