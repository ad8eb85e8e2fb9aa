"""``BackupWarning``: administrators learn that the backups failed or are stale.

The server's ``/health`` says how the backups stand (``Health.backup``). For administrators
the main window reads it after sign-in and every ``CHECK_MS`` afterwards; the backup screen
passes on what its list says (``show_health``). While the backups are failed or stale a red
item sits in the status bar, and once per sign-in a banner says so; both open the backup
screen (``sig_open``). No modal box: the warning must not stand in the way every minute.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QToolButton, QWidget

from crm_client.core.i18n import N_, _
from crm_client.core.icons import icon
from crm_client.widgets.banner import Banner, BannerLevel
from crm_common.schemas.auth import Health
from crm_common.schemas.backups import BackupHealth

if TYPE_CHECKING:
    from crm_client.core.context import AppContext

CHECK_MS = 10 * 60 * 1000
RED = "#cf1322"
SHORT = {BackupHealth.FAILED: N_("Backup failed"), BackupHealth.STALE: N_("Backups stale")}
HEALTH_TEXTS = {
    BackupHealth.FAILED: N_("The last backup or its verification failed."),
    BackupHealth.STALE: N_("No good backup is younger than two days."),
    BackupHealth.NONE: N_("No backup was made yet."),
}


def health_text(health: BackupHealth, detail: str | None) -> str:
    """What is wrong with backups that stand as ``health`` (not ``ok``), and why."""
    summary = _(HEALTH_TEXTS[health])
    return f"{summary} ({_(detail)})" if detail and health is not BackupHealth.NONE else summary


class BackupWarning(QObject):
    """The status bar's ``button`` and the window's ``banner``; ``sig_open`` when either is
    clicked. Checks only for administrators."""

    sig_open = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget) -> None:
        super().__init__(parent)
        self.ctx, self.window = ctx, parent
        self.health = BackupHealth.NONE
        self._told = False  # the banner shows once per sign-in
        self.banner = Banner(parent)
        self.banner.sig_action.connect(self._open)
        self.button = QToolButton(parent)
        self.button.setObjectName("backupWarning")
        self.button.setIcon(icon("warning", RED))
        self.button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.button.setAutoRaise(True)
        self.button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.button.setStyleSheet(f"QToolButton#backupWarning {{ color: {RED}; }}")
        self.button.clicked.connect(self._open)
        self.button.hide()
        self._timer = QTimer(self, interval=CHECK_MS)
        self._timer.timeout.connect(self.check)
        if ctx.administers:
            self._timer.start()
            self.check()

    def check(self) -> None:
        """Read ``/health`` (quietly: a failure is the offline banner's business)."""
        (self.ctx.tasks.query(self.window, lambda api: api.health())
         .success(self._arrived)
         .failure(lambda _error: True)
         .run())

    def _arrived(self, health: Health) -> None:
        self.show_health(health.backup, health.backup_detail)

    def show_health(self, health: BackupHealth, detail: str | None) -> None:
        """Show (or clear) the warning for backups that stand as ``health``."""
        self.health = health
        if health not in SHORT:
            self.button.hide()
            self.banner.clear()
            return
        text = health_text(health, detail)
        self.button.setText(_(SHORT[health]))
        self.button.setToolTip(text + "\n" + _("Click to open the backup screen."))
        self.button.show()
        if not self._told or self.banner.isVisible():  # once, but never out of date
            self._told = True
            self.banner.show_message(text, _("Open backups"), BannerLevel.ERROR)

    def _open(self) -> None:
        self.banner.clear()
        self.sig_open.emit()
