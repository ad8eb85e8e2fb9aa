"""The main window: navigation at the left, pages and opened records in tabs, global search.

Navigation pages (the workbench, one list per entity in the registry's navigation groups,
the administration console; ``views.navigation``) are built on first visit and kept. An
entity's page is its generic list unless it registered its own (``views.screens``).
Records with their own view (the customer 360°) open as closable tabs next to the page tab;
other records open in the generic form. The status bar shows the server, the
signed-in user (with a menu to change the password or sign out) and a busy indicator; a
banner with Retry appears while the server is unreachable. Window geometry and the last page
are remembered. A Windows client installed by the installer looks for a newer one on the
server once signed in (``views.update_dialog``).

The navigation follows the role: an entity's page only for those who may read it, the
administration console (``crm_client.admin.console``) only for administrators, who also
see a red status-bar item when the backups failed or are stale (``views.backup_warning``).
A password that must be changed (reset by an administrator, or expired) is asked for before any page
loads, and whenever the server says so.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QMenu,
    QProgressBar,
    QSizePolicy,
    QStackedWidget,
    QTabBar,
    QTabWidget,
    QToolBar,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from crm_client.admin.console import BACKUPS, console_pages
from crm_client.core.context import AppContext
from crm_client.core.i18n import _
from crm_client.core.icons import ACCENT, icon
from crm_client.models.formatting import format_tags
from crm_client.views.about_dialog import AboutDialog
from crm_client.views.backup_warning import BackupWarning
from crm_client.views.backups import BackupsView
from crm_client.views.entity_form import EntityFormDialog
from crm_client.views.entity_list import EntityListView
from crm_client.views.global_search import GlobalSearchBox
from crm_client.views.jobs_panel import JobsPanel
from crm_client.views.navigation import (
    ADMIN,
    WORKBENCH,
    nav_groups,
    navigation_keys,
    page_icon,
    page_label,
)
from crm_client.views.password_dialog import ChangePasswordDialog
from crm_client.views.screens import has_record_screen, list_screen, record_screen
from crm_client.views.settings_dialog import SettingsDialog
from crm_client.views.sign_in import SignInDialog
from crm_client.views.update_dialog import UpdateChecker
from crm_client.views.window_fit import place_window
from crm_client.views.workbench import WorkbenchView
from crm_client.widgets.banner import Banner, BannerLevel
from crm_client.widgets.connection_status import ConnectionStatusLabel
from crm_common.entities import REGISTRY, entity
from crm_common.errors import Unavailable
from crm_common.schemas.auth import Me, SearchHit
from crm_common.tlsinfo import fingerprint

ROLE_KEY = Qt.ItemDataRole.UserRole


def roles_text(me: Me) -> str:
    """The signed-in user's roles, as the status bar shows them."""
    names = format_tags(me.user.role_names) or _("No role")
    if me.preview_role_id is not None:
        names += " · " + _("previewing")
    return names


def build_console(ctx: AppContext) -> QWidget:
    """The administration console: a tab per console page this person may open."""
    tabs = QTabWidget()
    tabs.setObjectName("adminConsole")
    tabs.setDocumentMode(True)
    for key, label, widget in console_pages(ctx):
        index = tabs.addTab(widget, label)
        tabs.tabBar().setTabData(index, key)
    return tabs


class MainWindow(QMainWindow):
    """``sig_signed_out`` when the person signs out (the app shows the sign-in again)."""

    sig_signed_out = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.pages: dict[str, QWidget] = {}
        self.record_tabs: dict[tuple[str, int], QWidget] = {}
        self.reauth_dialog: SignInDialog | None = None
        self.password_dialog: ChangePasswordDialog | None = None
        self.setObjectName("mainWindow")
        self.setWindowTitle(_("CRM") + " - " + (ctx.me.user.name or ""))
        self.setWindowIcon(icon("customer", ACCENT))
        self._build_center()
        self._build_toolbar()
        self._build_menus()
        self._build_status_bar()
        self._connect_runner()
        self.setStyleSheet(_STYLE)
        self._restore_layout()
        if not ctx.me.must_change_password:  # the server would refuse the check until then
            self.updates.check_quietly()

    # --- building --------------------------------------------------------------------------

    def _build_center(self) -> None:
        self.navigation = QListWidget()
        self.navigation.setObjectName("navigation")
        self.navigation.setIconSize(QSize(18, 18))
        self.navigation.setFixedWidth(172)
        self._fill_navigation()
        self.navigation.currentItemChanged.connect(self._navigated)
        self.stack = QStackedWidget()
        self.tabs = QTabWidget()
        self.tabs.setObjectName("recordTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.setTabBarAutoHide(True)
        self.tabs.addTab(self.stack, "")
        self.offline_banner = Banner()
        self.offline_banner.sig_action.connect(self.ctx.tasks.retry_offline)
        self.backup_warning = BackupWarning(self.ctx, self)
        self.backup_warning.sig_open.connect(self.open_backups)
        right = QVBoxLayout()
        right.setContentsMargins(0, 0, 0, 0)
        right.setSpacing(0)
        right.addWidget(self.offline_banner)
        right.addWidget(self.backup_warning.banner)
        right.addWidget(self.tabs, 1)
        body = QHBoxLayout()
        body.setContentsMargins(0, 0, 0, 0)
        body.setSpacing(0)
        body.addWidget(self.navigation)
        body.addLayout(right, 1)
        central = QWidget()
        central.setLayout(body)
        self.setCentralWidget(central)

    def _fill_navigation(self) -> None:
        """The pages under their group headers (headers are not selectable)."""
        self.nav_items: dict[str, QListWidgetItem] = {}
        self._add_nav_item(WORKBENCH)
        for group in nav_groups(self.ctx):
            header = QListWidgetItem(_(group.label), self.navigation)
            header.setFlags(Qt.ItemFlag.NoItemFlags)
            for key in group.keys:
                self._add_nav_item(key)
        if ADMIN in navigation_keys(self.ctx):
            self._add_nav_item(ADMIN)

    def _add_nav_item(self, key: str) -> None:
        item = QListWidgetItem(icon(page_icon(key), selected=ACCENT), page_label(key),
                               self.navigation)
        item.setData(ROLE_KEY, key)
        self.nav_items[key] = item

    def _build_toolbar(self) -> None:
        toolbar = QToolBar(_("Toolbar"))
        toolbar.setObjectName("mainToolBar")
        toolbar.setMovable(False)
        toolbar.setFloatable(False)
        toolbar.toggleViewAction().setEnabled(False)  # nothing to do without it
        title = QLabel(_("CRM"))
        title.setObjectName("productName")
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.search_box = GlobalSearchBox(self.ctx)
        self.search_box.setFixedWidth(380)
        self.search_box.sig_open_hit.connect(self.open_hit)
        toolbar.addWidget(title)
        toolbar.addWidget(spacer)
        toolbar.addWidget(self.search_box)
        self.addToolBar(toolbar)
        self.toolbar = toolbar

    def _build_menus(self) -> None:
        self.settings_action = self._action(
            _("&Settings…"), self.open_settings, "settings", QKeySequence("Ctrl+,")
        )
        self.toolbar.addAction(self.settings_action)
        self.password_action = self._action(
            _("Change &password…"), self.change_password, "key"
        )
        self.sign_out_action = self._action(_("Sign &out"), self.sign_out, "sign_out")
        file_menu = self.menuBar().addMenu(_("&File"))
        file_menu.addAction(self.settings_action)
        file_menu.addSeparator()
        file_menu.addAction(self.password_action)
        file_menu.addAction(self.sign_out_action)
        file_menu.addAction(
            self._action(
                _("E&xit"), self.close, "exit", QKeySequence(QKeySequence.StandardKey.Quit)
            )
        )
        view_menu = self.menuBar().addMenu(_("&View"))
        for number, key in enumerate(navigation_keys(self.ctx), start=1):
            view_menu.addAction(
                self._action(
                    page_label(key),
                    partial(self.show_page, key),
                    None,
                    QKeySequence(f"Ctrl+{number}"),
                )
            )
        view_menu.addSeparator()
        view_menu.addAction(
            self._action(
                _("&Search"), self.search_box.focus_search, "search", QKeySequence("Ctrl+K")
            )
        )
        self.close_tab_action = self._action(
            _("&Close tab"), self.close_current_tab, None, QKeySequence("Ctrl+W")
        )
        view_menu.addAction(self.close_tab_action)
        self.updates = UpdateChecker(self.ctx, self)
        help_menu = self.menuBar().addMenu(_("&Help"))
        self.update_action = self._action(_("Check for &updates…"), self.updates.check,
                                          "download")
        help_menu.addAction(self.update_action)
        help_menu.addAction(self._action(_("&About CRM"), self.show_about, "info"))

    def _action(
        self,
        text: str,
        slot: Callable[[], object],
        icon_name: str | None,
        shortcut: QKeySequence | None = None,
    ) -> QAction:
        action = QAction(text, self)
        if icon_name:
            action.setIcon(icon(icon_name))
        if shortcut is not None:
            action.setShortcut(shortcut)
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.setToolTip(text.replace("&", "").removesuffix("…") + _shortcut_hint(shortcut))
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self.busy_label = QLabel()
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setFixedSize(120, 12)
        bar.addWidget(self.busy_label)
        bar.addWidget(self.busy_bar)
        self._show_busy("")
        user = self.ctx.me.user
        self.server_label = QLabel(self.ctx.api.host)
        self.server_label.setToolTip(self._server_tooltip())
        self.connection_label = ConnectionStatusLabel()
        bar.addPermanentWidget(self.backup_warning.button)
        bar.addPermanentWidget(self.connection_label)
        bar.addPermanentWidget(_with_icon(self.server_label, "lock"))
        self.user_label = QToolButton()
        self.user_label.setObjectName("userMenu")
        self.user_label.setIcon(icon("contact"))
        self.user_label.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.user_label.setAutoRaise(True)
        self.user_label.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.user_label.setToolTip(_("Signed in as {username}").format(username=user.username))
        self.user_menu = QMenu(self.user_label)
        self.user_menu.addAction(self.password_action)
        self.user_menu.addAction(self.sign_out_action)
        self.user_label.setMenu(self.user_menu)
        self._show_user()
        self.jobs = JobsPanel(self, self.ctx)
        bar.addPermanentWidget(self.user_label)

    def _show_user(self) -> None:
        self.user_label.setText(f"{self.ctx.me.user.name} · {roles_text(self.ctx.me)}")

    def _server_tooltip(self) -> str:
        text = _("Server: {url}").format(url=self.ctx.api.base_url)
        if self.ctx.api.ca_pem:
            text += "\n" + _("Certificate authority (SHA-256): {fingerprint}").format(
                fingerprint=fingerprint(self.ctx.api.ca_pem)
            )
        return text

    def _connect_runner(self) -> None:
        tasks = self.ctx.tasks
        tasks.sig_progress.connect(self._show_busy)
        tasks.sig_offline.connect(self._offline_changed)
        tasks.sig_offline.connect(self.connection_label.set_offline)
        tasks.sig_retrying.connect(self.connection_label.set_retrying)
        tasks.sig_session_expired.connect(self._reauthenticate)
        tasks.sig_password_change_required.connect(self._require_password_change)

    # --- navigation --------------------------------------------------------------------------

    def show_page(self, key: str) -> QWidget:
        """Show a navigation page (``workbench`` or an entity key), building it on first use."""
        item = self.nav_items[key]
        if self.navigation.currentItem() is not item:
            self.navigation.setCurrentItem(item)  # comes back here through _navigated
        page = self.pages.get(key) or self._make_page(key)
        self.stack.setCurrentWidget(page)
        self.tabs.setTabText(0, page_label(key))
        self.tabs.setTabIcon(0, icon(page_icon(key)))
        self.tabs.setCurrentIndex(0)
        self.ctx.settings.last_page = key
        return page

    def current_page(self) -> QWidget | None:
        return self.stack.currentWidget()

    def _navigated(self, current: QListWidgetItem | None, _previous: object) -> None:
        if self.ctx.me.must_change_password:  # every page would be refused until then
            self._require_password_change()
            return
        if current is not None and current.data(ROLE_KEY):
            self.show_page(str(current.data(ROLE_KEY)))

    def _make_page(self, key: str) -> QWidget:
        page: QWidget
        if key == WORKBENCH:
            workbench = WorkbenchView(self.ctx)
            workbench.sig_open_record.connect(self.open_record)
            workbench.sig_navigate.connect(self.show_page)
            page = workbench
        elif key == ADMIN:
            page = build_console(self.ctx)
            self._follow_backups(page)
        else:
            page = self._make_entity_page(key)
        self.pages[key] = page
        self.stack.addWidget(page)
        return page

    def _follow_backups(self, console: QWidget) -> None:
        """The backup screen keeps the backup warning current (its own banner then says
        what the window's did) and, after a restore, has the person sign in again."""
        view = console.findChild(BackupsView)
        if view is not None:
            view.sig_health.connect(self.backup_warning.show_health)
            view.sig_health.connect(self.backup_warning.banner.clear)
            view.sig_sign_in_again.connect(self.sign_out)

    def open_backups(self) -> BackupsView | None:
        """Show the administration console's backup screen."""
        console = self.show_page(ADMIN)
        assert isinstance(console, QTabWidget)
        for index in range(console.count()):
            if console.tabBar().tabData(index) == BACKUPS:
                console.setCurrentIndex(index)
        return console.findChild(BackupsView)

    def _make_entity_page(self, key: str) -> QWidget:
        """The page an entity registered (``views.screens``), else its generic list."""
        screen = list_screen(key)
        spec = entity(key)
        page = screen.factory(self.ctx, spec) if screen else EntityListView(self.ctx, spec)
        self._follow_opened_records(page)
        return page

    def _follow_opened_records(self, view: QWidget) -> None:
        """Records opened in ``view`` that have their own view open here, as tabs."""
        opened = getattr(view, "sig_open_record", None)
        if opened is not None:
            opened.connect(self._opened_from_view)

    # --- records -----------------------------------------------------------------------------

    def open_record(self, entity_key: str, record_id: int, title: str | None = None) -> None:
        """Open a record: in its own view (a tab) when it has one, otherwise in the form."""
        if has_record_screen(entity_key):
            self.open_record_tab(entity_key, record_id, title)
            return
        form = EntityFormDialog(self.ctx, REGISTRY[entity_key], record_id, self)
        form.sig_open_record.connect(self.open_record)
        form.open()

    def _opened_from_view(self, entity_key: str, record_id: int) -> None:
        """Lists and record views open plain forms themselves; tabs are ours to open."""
        if has_record_screen(entity_key):
            self.open_record_tab(entity_key, record_id)

    def open_record_tab(self, entity_key: str, record_id: int, title: str | None = None) -> QWidget:
        """Show the record's tab, creating it when it is not open yet."""
        key = (entity_key, record_id)
        view = self.record_tabs.get(key)
        if view is None:
            view = record_screen(self.ctx, entity_key, record_id)
            assert view is not None
            self._follow_opened_records(view)
            label = title or f"{_(REGISTRY[entity_key].label)} #{record_id}"
            index = self.tabs.addTab(view, icon(REGISTRY[entity_key].icon), label)
            self.tabs.setTabToolTip(index, label)
            self.tabs.tabBar().setTabButton(
                index, QTabBar.ButtonPosition.RightSide, self._close_button(view)
            )
            view.windowTitleChanged.connect(lambda text, v=view: self._retitle(v, text))
            self.record_tabs[key] = view
        self.tabs.setCurrentWidget(view)
        return view

    def _close_button(self, view: QWidget) -> QToolButton:
        """A quiet close cross (Fusion's own is a red box, foreign on Windows)."""
        button = QToolButton()
        button.setObjectName("closeTab")
        button.setIcon(icon("close_tab"))
        button.setIconSize(QSize(12, 12))
        button.setFixedSize(QSize(18, 18))
        button.setAutoRaise(True)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        button.setToolTip(_("Close this tab (Ctrl+W)"))
        button.clicked.connect(lambda: self.close_tab(self.tabs.indexOf(view)))
        return button

    def _retitle(self, view: QWidget, text: str) -> None:
        index = self.tabs.indexOf(view)
        if index > 0 and text:
            self.tabs.setTabText(index, text)
            self.tabs.setTabToolTip(index, text)

    def close_tab(self, index: int) -> None:
        """Close a record tab (the page tab stays)."""
        if index <= 0:
            return
        view = self.tabs.widget(index)
        if view is None:
            return
        self.tabs.removeTab(index)
        self.record_tabs = {k: v for k, v in self.record_tabs.items() if v is not view}
        view.deleteLater()

    def close_current_tab(self) -> None:
        self.close_tab(self.tabs.currentIndex())

    def open_hit(self, hit: SearchHit) -> None:
        if hit.entity in REGISTRY:
            self.open_record(hit.entity, hit.id, hit.title)

    # --- menus ---------------------------------------------------------------------------------

    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.ctx.settings, self.ctx.api.base_url, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def show_about(self) -> AboutDialog:
        dialog = AboutDialog(self.ctx, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()
        return dialog

    def change_password(self, forced: bool = False) -> ChangePasswordDialog:
        """The change-password dialog; ``forced`` when the server demands a new password
        (then only changing it or signing out leaves the dialog)."""
        if self.password_dialog is not None:
            return self.password_dialog
        dialog = ChangePasswordDialog(self.ctx, forced, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.sig_changed.connect(self._password_changed)
        dialog.sig_sign_out.connect(self.sign_out)
        dialog.finished.connect(self._password_dialog_closed)
        self.password_dialog = dialog
        dialog.open()
        return dialog

    def _require_password_change(self) -> None:
        self.change_password(forced=True)

    def _password_changed(self, me: Me) -> None:
        self.ctx.me = me
        self._show_user()
        if self.stack.count() == 0:  # nothing could load before: show the first page now
            self._show_first_page()
        else:
            page = self.current_page()
            reload = getattr(page, "reload", None)
            if callable(reload):
                reload()

    def _password_dialog_closed(self) -> None:
        self.password_dialog = None

    def sign_out(self) -> None:
        """Leave this session; the application revokes the token and asks to sign in."""
        self._save_layout()
        self.sig_signed_out.emit()
        self.close()

    # --- runner feedback ---------------------------------------------------------------------

    def _show_busy(self, text: str) -> None:
        self.busy_label.setText(text)
        self.busy_label.setVisible(bool(text))
        self.busy_bar.setVisible(bool(text))

    def _offline_changed(self, offline: bool) -> None:
        if not offline:
            self.offline_banner.clear()
            return
        if isinstance(self.ctx.tasks.offline_error, Unavailable):
            text = _("The server is busy or its database is unavailable. What you entered is "
                     "kept; retry in a moment.")
        else:
            text = _(
                "Cannot reach the server {host}. What you entered is kept; check the network "
                "and retry."
            ).format(host=self.ctx.api.host)
        self.offline_banner.show_message(text, _("Retry"), BannerLevel.WARNING)

    def _reauthenticate(self) -> None:
        if self.reauth_dialog is not None:
            return
        dialog = SignInDialog(
            self.ctx.settings,
            reauth_api=self.ctx.api,
            username=self.ctx.me.user.username,
            parent=self,
        )
        dialog.accepted.connect(self.ctx.tasks.resume_after_sign_in)
        dialog.rejected.connect(self.ctx.tasks.abandon_after_sign_in)
        dialog.finished.connect(self._reauth_closed)
        self.reauth_dialog = dialog
        dialog.open()

    def _reauth_closed(self) -> None:
        if self.reauth_dialog is not None:
            self.reauth_dialog.deleteLater()
        self.reauth_dialog = None

    # --- layout memory -------------------------------------------------------------------------

    def _restore_layout(self) -> None:
        settings = self.ctx.settings
        place_window(self, settings.window_geometry)
        if settings.window_state:
            self.restoreState(settings.window_state)
        if self.ctx.me.must_change_password:  # every page would be refused until then
            QTimer.singleShot(0, self, self._require_password_change)
            return
        self._show_first_page()

    def _show_first_page(self) -> None:
        """The page shown last time, else the first entity page, else the workbench."""
        keys = navigation_keys(self.ctx)
        last = self.ctx.settings.last_page
        first = next((key for key in keys if key not in (WORKBENCH, ADMIN)), WORKBENCH)
        self.show_page(last if last in keys else first)

    def _save_layout(self) -> None:
        self.ctx.settings.window_geometry = bytes(self.saveGeometry().data())
        self.ctx.settings.window_state = bytes(self.saveState().data())

    def closeEvent(self, event: QCloseEvent) -> None:
        self._save_layout()
        super().closeEvent(event)


def _shortcut_hint(shortcut: QKeySequence | None) -> str:
    if shortcut is None or shortcut.isEmpty():
        return ""
    return f" ({shortcut.toString(QKeySequence.SequenceFormat.NativeText)})"


def _with_icon(label: QLabel, icon_name: str) -> QWidget:
    box = QWidget()
    row = QHBoxLayout(box)
    row.setContentsMargins(8, 0, 8, 0)
    row.setSpacing(4)
    glyph = QLabel()
    glyph.setPixmap(icon(icon_name).pixmap(QSize(14, 14)))
    row.addWidget(glyph)
    row.addWidget(label)
    return box


_STYLE = """
QToolBar#mainToolBar { background: #ffffff; border: none; border-bottom: 1px solid #e5e7eb;
    padding: 6px 10px; spacing: 8px; }
QLabel#productName { font-size: 12pt; font-weight: 600; color: #1677ff; padding: 0 12px 0 4px; }
QLineEdit#globalSearch { padding: 5px 8px; border: 1px solid #d9dee7; border-radius: 4px;
    background: #f5f7fa; }
QLineEdit#globalSearch:focus { border-color: #1677ff; background: #ffffff; }
QListWidget#navigation { background: #ffffff; border: none; border-right: 1px solid #e5e7eb;
    outline: 0; padding-top: 8px; }
QListWidget#navigation::item { height: 38px; padding-left: 10px; margin: 1px 8px;
    border-radius: 4px; color: #1f2937; }
QListWidget#navigation::item:hover { background: #f3f4f6; }
QListWidget#navigation::item:selected { background: #e6f4ff; color: #1677ff; }
QListWidget#navigation::item:disabled { height: 26px; padding-left: 6px; margin-top: 8px;
    color: #9ca3af; font-size: 9pt; background: transparent; }
QTabWidget#recordTabs > QTabBar::tab { background: #eef0f3; color: #4b5563;
    border: 1px solid #e5e7eb; border-bottom: none; border-top-left-radius: 4px;
    border-top-right-radius: 4px; padding: 6px 12px; margin-right: 2px; }
QTabWidget#recordTabs > QTabBar::tab:selected { background: #ffffff; color: #1f2937; }
QTabWidget#recordTabs > QTabBar::tab:hover:!selected { background: #f5f7fa; }
QToolButton#closeTab { border: none; border-radius: 3px; padding: 1px; }
QToolButton#closeTab:hover { background: #e5e7eb; }
QStatusBar { background: #fafafa; border-top: 1px solid #e5e7eb; color: #4b5563; }
QStatusBar::item { border: none; }
QToolButton#userMenu { border: none; padding: 1px 8px; color: #4b5563; }
QToolButton#userMenu::menu-indicator { image: none; width: 0; }
QToolButton#userMenu:hover { background: #eef0f3; border-radius: 3px; }
"""
