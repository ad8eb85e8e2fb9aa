"""Start the desktop client: ``crm-client`` / ``python -m crm_client.app``.

Sets up Qt (high-DPI, the native style on Windows and Fusion elsewhere, a font with Chinese
glyphs — the system's, else the one a Windows bundle carries — translations), then runs the
session: sign in → main window → (sign out → sign in …). Two unattended modes serve demos and
packaging: ``--smoke PNG`` signs in, opens the customer list and the first customer's 360°
view, saves a screenshot and exits; ``--check-startup`` builds the sign-in dialog and exits.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QSettings, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase, QGuiApplication, QPalette
from PySide6.QtWidgets import (
    QApplication,
    QProxyStyle,
    QStyle,
    QStyleHintReturn,
    QStyleOption,
    QWidget,
)

import crm_client
from crm_client.api.client import ApiClient, normalise_base_url
from crm_client.core.changes import ChangeBus
from crm_client.core.context import AppContext
from crm_client.core.i18n import _, set_language
from crm_client.core.icons import ACCENT, icon
from crm_client.core.settings import ClientSettings, Deployment
from crm_client.core.tasks import TaskRunner
from crm_client.domains.customer360 import Customer360View
from crm_client.views.entity_list import EntityListView
from crm_client.views.main_window import MainWindow
from crm_client.views.sign_in import SignInDialog
from crm_common.schemas.auth import Me

UI_FONTS = (
    "Microsoft YaHei UI",
    "Microsoft YaHei",
    "PingFang SC",
    "Noto Sans CJK SC",
    "Source Han Sans SC",
    "WenQuanYi Micro Hei",
)
# A Windows bundle carries a CJK font for machines without one (Wine, trimmed images):
# installer/windows/build.sh puts it here. Linux bundles use the system's (fontconfig).
BUNDLED_FONTS = Path(crm_client.__file__).parent / "fonts"
SMOKE_TIMEOUT_MS = 60_000
SMOKE_SETTLE_MS = 500  # let the 360 view's tabs paint before the screenshot


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="crm-client", description="CRM desktop client")
    parser.add_argument("--server", help="server address, e.g. https://crm.company.local:8443")
    parser.add_argument(
        "--ca-file", type=Path, help="trust this CA certificate (PEM) for --server without asking"
    )
    parser.add_argument("--user", help="user name to sign in with")
    parser.add_argument("--password", help="demo only: sign in automatically")
    parser.add_argument(
        "--language",
        choices=("system", "zh_CN", "en"),
        help="user interface language (default: from settings)",
    )
    parser.add_argument(
        "--smoke",
        type=Path,
        metavar="PNG",
        help="unattended demo: sign in, open a customer, save a screenshot",
    )
    parser.add_argument(
        "--check-startup",
        action="store_true",
        help="build the sign-in dialog and exit (packaging test)",
    )
    return parser.parse_args(argv)


class CrmStyle(QProxyStyle):
    """The base style, with the Windows habit of dialog buttons without icons everywhere."""

    def styleHint(
        self,
        hint: QStyle.StyleHint,
        option: QStyleOption | None = None,
        widget: QWidget | None = None,
        return_data: QStyleHintReturn | None = None,
    ) -> int:
        if hint == QStyle.StyleHint.SH_DialogButtonBox_ButtonsHaveIcons:
            return 0
        return super().styleHint(hint, option, widget, return_data)


def create_application() -> QApplication:
    existing = QApplication.instance()
    if isinstance(existing, QApplication):
        return existing
    QGuiApplication.setHighDpiScaleFactorRoundingPolicy(
        Qt.HighDpiScaleFactorRoundingPolicy.PassThrough
    )
    app = QApplication([sys.argv[0]])
    app.setOrganizationName("CRM")
    app.setApplicationName("CRM Client")
    app.setApplicationVersion(crm_client.__version__)
    # Windows: Qt's native style for the running version (windows11 on 11, windowsvista on
    # 10: the former draws arrows with a font only Windows 11 has). Elsewhere Fusion.
    app.setStyle(CrmStyle() if sys.platform == "win32" else CrmStyle("Fusion"))
    _apply_look(app)
    if sys.platform == "win32":  # own taskbar group and icon instead of python.exe's
        import ctypes

        ctypes.windll.shell32.SetCurrentProcessExplicitAppUserModelID("CRM.Client")
    return app


def ui_font_family() -> str | None:
    """The first of ``UI_FONTS`` installed, else the bundled font's family (loaded now)."""
    families = set(QFontDatabase.families())
    for family in UI_FONTS:
        if family in families:
            return family
    for path in sorted(BUNDLED_FONTS.glob("*.tt[cf]")) + sorted(BUNDLED_FONTS.glob("*.otf")):
        loaded = QFontDatabase.applicationFontFamilies(QFontDatabase.addApplicationFont(str(path)))
        for family in UI_FONTS:
            if family in loaded:
                return family
    return None


def _apply_look(app: QApplication) -> None:
    family = ui_font_family()
    if family is not None:
        font = QFont(app.font())
        font.setFamilies([family])
        app.setFont(font)
    palette = app.palette()
    palette.setColor(QPalette.ColorRole.Highlight, QColor(ACCENT))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.Link, QColor(ACCENT))
    app.setPalette(palette)
    app.setWindowIcon(icon("customer", ACCENT))


class ClientSession(QObject):
    """Sign in → main window → sign out → sign in again, until the person quits.

    ``sig_main_window(window)`` when a main window opens (used by the smoke run)."""

    sig_main_window = Signal(object)

    def __init__(self, settings: ClientSettings, args: argparse.Namespace) -> None:
        super().__init__()
        self.settings = settings
        self.args = args
        self.context: AppContext | None = None
        self.window: MainWindow | None = None
        self.sign_in_dialog: SignInDialog | None = None
        self._retiring: list[AppContext] = []

    def start(self, auto_sign_in: bool = False) -> None:
        dialog = SignInDialog(self.settings, server=self.args.server, username=self.args.user)
        dialog.sig_signed_in.connect(self._signed_in)
        dialog.rejected.connect(self._cancelled)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.sign_in_dialog = dialog
        dialog.show()
        if auto_sign_in and self.args.password:
            dialog.password_edit.setText(self.args.password)
            QTimer.singleShot(0, dialog.sign_in)

    def _cancelled(self) -> None:
        if self.window is None:
            QApplication.quit()

    def _signed_in(self, api: ApiClient, me: Me) -> None:
        self.sign_in_dialog = None
        changes = ChangeBus(self)
        tasks = TaskRunner(api, changes, self)
        self.context = AppContext(api, self.settings, me, changes, tasks)
        window = MainWindow(self.context)
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        window.sig_signed_out.connect(self._signed_out)
        window.destroyed.connect(self._window_gone)
        self.window = window
        window.show()
        self.sig_main_window.emit(window)

    def _window_gone(self) -> None:
        self.window = None

    def _signed_out(self) -> None:
        """Revoke the token off the GUI thread, then let the old session go."""
        context, self.context, self.window = self.context, None, None
        if context is not None:
            self._retiring.append(context)
            (
                context.tasks.query(context.tasks, lambda api: api.logout())
                .failure(lambda _error: True)
                .finished(lambda: self._retire(context))
                .run()
            )
        self.start()

    def _retire(self, context: AppContext) -> None:
        self._retiring.remove(context)
        context.api.close()
        context.tasks.deleteLater()


class SmokeRun(QObject):
    """The unattended demo: every step waits for a signal, any failure or a 60 s timeout
    ends the run with exit code 1 and a message."""

    def __init__(self, session: ClientSession, target: Path) -> None:
        super().__init__()
        self.session = session
        self.target = target
        self.step = "sign in"
        self.window: MainWindow | None = None
        self._timeout = QTimer(self)
        self._timeout.setSingleShot(True)
        self._timeout.timeout.connect(lambda: self.fail(f"timed out during: {self.step}"))
        session.sig_main_window.connect(self._main_window)

    def start(self) -> None:
        self._timeout.start(SMOKE_TIMEOUT_MS)
        self.session.start(auto_sign_in=True)
        dialog = self.session.sign_in_dialog
        assert dialog is not None
        dialog.sig_failed.connect(lambda text: self.fail(f"sign-in failed: {text}"))

    def _main_window(self, window: MainWindow) -> None:
        self.window = window
        window.ctx.tasks.sig_unhandled_failure.connect(lambda error: self.fail(repr(error)))
        self.step = "customer list"
        customers = window.show_page("customer")
        assert isinstance(customers, EntityListView)
        customers.sig_loaded.connect(lambda: self._list_loaded(customers))

    def _list_loaded(self, customers: EntityListView) -> None:
        if self.step != "customer list":
            return
        if customers.model.rowCount() == 0:
            self.fail("the customer list is empty")
            return
        self.step = "customer 360 view"
        customers.open_row(0)
        assert self.window is not None
        view = self.window.tabs.currentWidget()
        assert isinstance(view, Customer360View)
        view.sig_loaded.connect(lambda: QTimer.singleShot(SMOKE_SETTLE_MS, self._capture))

    def _capture(self) -> None:
        if self.step != "customer 360 view" or self.window is None:
            return
        self.step = "screenshot"
        self.target.parent.mkdir(parents=True, exist_ok=True)
        if not self.window.grab().save(str(self.target)):
            self.fail(f"could not write {self.target}")
            return
        print(f"smoke: screenshot saved to {self.target}")
        self._timeout.stop()  # the run is over: no late "timed out" exit of a later loop
        QApplication.exit(0)

    def fail(self, message: str) -> None:
        self._timeout.stop()
        print(f"smoke: FAILED: {message}", file=sys.stderr)
        QApplication.exit(1)


def _pre_trust(settings: ClientSettings, args: argparse.Namespace) -> str | None:
    """``--ca-file``: pin that CA for ``--server``. Returns an error message or None."""
    if args.ca_file is None:
        return None
    if not args.server:
        return _("--ca-file needs --server")
    try:
        settings.trust(normalise_base_url(args.server), args.ca_file.read_text("ascii"))
    except (OSError, ValueError) as exc:
        return _("Cannot use {path}: {reason}").format(path=args.ca_file, reason=exc)
    return None


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    app = create_application()
    store = None
    if args.smoke:  # unattended runs leave the person's own settings alone
        store = QSettings(str(Path(tempfile.mkdtemp()) / "smoke.ini"), QSettings.Format.IniFormat)
    settings = ClientSettings(store, Deployment.load())
    set_language(args.language or settings.language)
    problem = _pre_trust(settings, args)
    if problem:
        print(problem, file=sys.stderr)
        return 2
    if args.check_startup:
        SignInDialog(settings, server=args.server, username=args.user)
        print("sign-in dialog ready")
        return 0
    session = ClientSession(settings, args)
    if args.smoke:
        if not ((args.server or settings.deployment.server) and args.user and args.password):
            print("smoke: needs --server (or a pre-set one), --user and --password",
                  file=sys.stderr)
            return 2
        smoke = SmokeRun(session, args.smoke)
        smoke.start()
        return app.exec()
    session.start(auto_sign_in=True)
    return app.exec()


if __name__ == "__main__":
    sys.exit(main())
