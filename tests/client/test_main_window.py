"""The main window against the real server: navigation, record tabs, global search, status
bar, offline banner, re-sign-in, settings, and the app's unattended modes."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QRect, QSettings, Qt
from PySide6.QtWidgets import QApplication, QMainWindow, QWidget

from crm_client import app as client_app
from crm_client.api.client import ApiClient
from crm_client.api.errors import ServerUnreachable
from crm_client.core.settings import ClientSettings
from crm_client.domains.customer360 import Customer360View
from crm_client.views.department_tree import DepartmentTreeView
from crm_client.views.entity_list import EntityListView
from crm_client.views.global_search import ROLE_HIT
from crm_client.views.main_window import ROLE_KEY, MainWindow
from crm_client.views.navigation import navigation_keys
from crm_client.views.settings_dialog import SettingsDialog
from crm_client.views.user_admin import UserListView
from crm_client.views.workbench import WorkbenchView
from crm_common.entities import REGISTRY, Nav, entity
from crm_common.errors import Unauthenticated

PASSWORD = "demo1234"  # every demo user's password (crm_server.demo)


def nav_texts(window: MainWindow) -> list[str]:
    """The navigation as shown: pages and, in brackets, the group headers."""
    items = [window.navigation.item(row) for row in range(window.navigation.count())]
    return [item.text() if item.data(ROLE_KEY) else f"[{item.text()}]" for item in items]


def wait_loaded(qtbot: Any, view: EntityListView) -> None:
    qtbot.waitUntil(lambda: view.model.rowCount() > 0, timeout=15_000)


def test_sales_sees_the_pages_its_role_may_read(window_for: Any, sales_api: ApiClient) -> None:
    window = window_for(sales_api)

    assert nav_texts(window) == ["Workbench", "[Sales]", "Customers", "Contacts", "Follow-ups",
                                 "Products", "[Organisation]", "Users", "Departments",
                                 "Industries", "Imports"]
    assert "Administration" not in nav_texts(window)
    assert "127.0.0.1:" in window.server_label.text()
    assert window.user_label.text() == "李销售 · 销售代表"  # role names as the server has them


def test_admin_also_gets_the_administration_console(
    window_for: Any, admin_api: ApiClient
) -> None:
    window = window_for(admin_api)

    assert nav_texts(window)[-6:] == ["Users", "Departments", "Industries", "Imports",
                                      "Scheduled tasks", "Administration"]
    assert navigation_keys(window.ctx)[-6:] == ["user", "department", "industry",
                                                "import_batch", "scheduled_task", "admin"]


def test_every_navigation_entry_opens_its_page(
    qtbot: Any, window_for: Any, admin_api: ApiClient
) -> None:
    window = window_for(admin_api)

    special = {"workbench": WorkbenchView, "department": DepartmentTreeView, "admin": QWidget}
    for key in navigation_keys(window.ctx):
        window.navigation.setCurrentItem(window.nav_items[key])
        page = window.current_page()
        expected = special.get(key, EntityListView)
        assert isinstance(page, expected), key
        assert window.tabs.tabText(0) == window.nav_items[key].text()
        assert window.ctx.settings.last_page == key


def test_an_entity_given_a_place_in_the_navigation_gets_a_generic_page_without_client_code(
    qtbot: Any, window_for: Any, admin_api: ApiClient, monkeypatch: Any
) -> None:
    """Roles have no page and no client screen: declared with a ``nav``, they get a header of
    their group, where its order puts it, and the generic list."""
    monkeypatch.setitem(REGISTRY, "role", replace(entity("role"), nav=Nav("Catalogue", 50)))
    window = window_for(admin_api)

    texts = nav_texts(window)
    assert texts[texts.index("[Catalogue]") + 1] == "Roles"
    assert texts.index("[Sales]") < texts.index("[Catalogue]") < texts.index("[Organisation]")
    window.navigation.setCurrentItem(window.nav_items["role"])
    page = window.current_page()
    assert type(page) is EntityListView
    qtbot.waitUntil(lambda: page.model.rowCount() > 0, timeout=15_000)
    assert window.tabs.tabText(0) == "Roles"


def test_group_headers_are_passed_over_by_the_keyboard(
    qtbot: Any, window_for: Any, sales_api: ApiClient
) -> None:
    window = window_for(sales_api)
    window.show_page("product")
    window.navigation.setFocus()

    qtbot.keyClick(window.navigation, Qt.Key.Key_Down)

    assert window.navigation.currentItem() is window.nav_items["user"]
    assert isinstance(window.current_page(), UserListView)


def test_workbench_lists_my_recent_follow_ups(
    qtbot: Any, window_for: Any, sales_api: ApiClient
) -> None:
    window = window_for(sales_api)
    workbench = window.show_page("workbench")
    assert isinstance(workbench, WorkbenchView)

    qtbot.waitUntil(lambda: workbench.recent.tree.topLevelItemCount() > 0, timeout=15_000)
    qtbot.waitUntil(lambda: workbench.due.tree.topLevelItemCount() > 0, timeout=15_000)

    assert workbench.recent.tree.topLevelItemCount() <= 8


def test_opening_a_customer_opens_one_closable_tab(
    qtbot: Any, window_for: Any, sales_api: ApiClient
) -> None:
    window = window_for(sales_api)
    customers = window.show_page("customer")
    assert isinstance(customers, EntityListView)
    wait_loaded(qtbot, customers)
    name = customers.model.record(0).name

    customers.open_row(0)
    view = window.tabs.currentWidget()
    assert isinstance(view, Customer360View)
    qtbot.waitUntil(lambda: window.tabs.tabText(1) == name, timeout=15_000)
    customers.open_row(0)

    assert window.tabs.count() == 2 and window.tabs.currentIndex() == 1
    window.close_tab(0)  # the page tab stays
    assert window.tabs.count() == 2
    window.close_tab_action.trigger()  # Ctrl+W
    assert window.tabs.count() == 1 and window.record_tabs == {}


def hit_ids(box: Any) -> list[int]:
    hits = [box.model.item(row).data(ROLE_HIT) for row in range(box.model.rowCount())]
    return [hit.id for hit in hits if hit is not None]


def test_global_search_finds_by_pinyin_and_enter_opens_the_customer(
    qtbot: Any, window_for: Any, sales_api: ApiClient
) -> None:
    customer = sales_api.create(entity("customer"), {"name": "汇川测试" + uuid.uuid4().hex[:6]})
    window = window_for(sales_api)
    box = window.search_box
    with qtbot.waitActive(window):
        window.activateWindow()

    qtbot.keyClick(window, Qt.Key.Key_K, Qt.KeyboardModifier.ControlModifier)
    assert box.hasFocus()
    qtbot.keyClicks(box, "hccs")
    qtbot.waitUntil(lambda: customer.id in hit_ids(box), timeout=15_000)
    popup = box.hits_completer.popup()
    assert popup.isVisible()
    popup.setCurrentIndex(box.model.index(hit_ids(box).index(customer.id), 0))
    qtbot.keyClick(popup, Qt.Key.Key_Return)

    assert window.record_tabs.get(("customer", customer.id)) is window.tabs.currentWidget()
    assert not popup.isVisible()
    assert box.text() == ""  # the next Ctrl+K starts a new search


def test_search_without_matches_says_so(qtbot: Any, window_for: Any, sales_api: ApiClient) -> None:
    window = window_for(sales_api)
    box = window.search_box

    box.setText("zzzqqq不存在的名字")
    box.textEdited.emit(box.text())
    qtbot.waitUntil(lambda: box.model.rowCount() == 1, timeout=15_000)

    assert box.model.item(0).text().startswith("No matches for")
    assert not box.model.item(0).isEnabled()


def test_offline_banner_retries_what_failed(
    qtbot: Any, window_for: Any, sales_api: ApiClient
) -> None:
    window = window_for(sales_api)
    wait_loaded(qtbot, window.current_page())
    attempts: list[int] = []

    def flaky_save(api: ApiClient) -> Any:
        attempts.append(1)
        if len(attempts) == 1:
            raise ServerUnreachable(api.base_url, "connection refused")
        return api.health()

    status = window.connection_label
    assert not status.offline and "Connected" in status.text()
    window.ctx.tasks.mutation(window, flaky_save, "customer").run()
    qtbot.waitUntil(lambda: window.offline_banner.isVisible())
    assert "Cannot reach the server" in window.offline_banner.label.text()
    assert status.offline and "Offline" in status.text()  # the status bar says so too
    window.offline_banner.button.click()

    qtbot.waitUntil(lambda: not window.offline_banner.isVisible(), timeout=15_000)
    assert len(attempts) == 2
    assert not status.offline and "Connected" in status.text()


def test_expired_session_asks_for_the_password_and_carries_on(
    qtbot: Any, window_for: Any, live_server: Any
) -> None:
    api = ApiClient(live_server.base_url, live_server.ca_pem, language="en")
    api.login("sales", PASSWORD)
    window = window_for(api)
    api.logout()  # the server forgets the session; the window does not know yet
    results: list[str] = []

    window.ctx.tasks.query(window, lambda client: client.me().user.username).success(
        results.append
    ).run()
    qtbot.waitUntil(lambda: window.reauth_dialog is not None and window.reauth_dialog.isVisible())
    dialog = window.reauth_dialog
    assert dialog is not None
    dialog.password_edit.setText(PASSWORD)
    dialog.sign_in()

    qtbot.waitUntil(lambda: results == ["sales"], timeout=15_000)
    assert window.reauth_dialog is None


def test_unauthenticated_prompt_is_shown_once_for_many_failures(
    qtbot: Any, window_for: Any, sales_api: ApiClient
) -> None:
    window = window_for(sales_api)

    def refused(_api: ApiClient) -> None:
        raise Unauthenticated("Your session has expired, please sign in again")

    with qtbot.waitSignal(window.ctx.tasks.sig_session_expired):
        for _n in range(3):
            window.ctx.tasks.query(window, refused).run()
    qtbot.waitUntil(lambda: window.reauth_dialog is not None)
    first = window.reauth_dialog

    assert [
        w
        for w in QApplication.topLevelWidgets()
        if w.isVisible() and w.windowTitle() == "Sign in again"
    ] == [first]
    assert first is not None
    first.reject()


def test_sign_out_and_layout_memory(qtbot: Any, window_for: Any, sales_api: ApiClient) -> None:
    window = window_for(sales_api)
    window.show_page("contact")

    with qtbot.waitSignal(window.sig_signed_out):
        window.sign_out()

    settings = window.ctx.settings
    assert settings.window_geometry and settings.last_page == "contact"


def test_about_shows_the_server_version_and_fingerprint(
    qtbot: Any, window_for: Any, sales_api: ApiClient
) -> None:
    window = window_for(sales_api)

    about = window.show_about()
    qtbot.waitUntil(lambda: about.server_version.text() != "Checking…")

    assert about.server_version.text() == sales_api.health().version
    about.accept()


def test_settings_dialog_saves_language_page_size_and_forgets_servers(
    qtbot: Any, client_settings: ClientSettings, pki: dict[str, Any]
) -> None:
    client_settings.trust("https://a.example:8443", pki["ca_a"].cert_pem)
    client_settings.trust("https://b.example:8443", pki["ca_b"].cert_pem)
    dialog = SettingsDialog(client_settings, "https://a.example:8443")
    qtbot.addWidget(dialog)

    dialog.language_combo.setCurrentIndex(dialog.language_combo.findData("en"))
    dialog.page_size_spin.setValue(200)
    dialog.servers_list.item(1).setSelected(True)
    dialog.forget_button.click()
    assert dialog.servers_list.count() == 1
    dialog.accept()

    assert client_settings.language == "en" and client_settings.page_size == 200
    assert list(client_settings.trusted_cas) == ["https://a.example:8443"]


def test_settings_survive_a_restart(tmp_path: Path) -> None:
    path = str(tmp_path / "c.ini")
    first = ClientSettings(QSettings(path, QSettings.Format.IniFormat))
    first.page_size = 250
    first.window_state = b"\x00\x01binary"
    first.set_column_layout("customer", b"\xffheader")
    first.sync()

    again = ClientSettings(QSettings(path, QSettings.Format.IniFormat))

    assert again.page_size == 250 and again.window_state == b"\x00\x01binary"
    assert again.column_layout("customer") == b"\xffheader"
    assert again.column_layout("contact") == b""
    assert again.language == "system" and again.trusted_cas == {}


def test_check_startup_builds_the_sign_in_dialog(capsys: pytest.CaptureFixture[str]) -> None:
    assert client_app.main(["--check-startup", "--language", "en"]) == 0
    assert "sign-in dialog ready" in capsys.readouterr().out


def close_main_windows(qtbot: Any) -> None:
    """Close the main windows ``client_app.main()`` left open (a real process just exits) and
    let them be deleted now rather than in a later test's event loop.

    Only the windows themselves: each deletes everything it owns, in an order Qt gets right.
    Closing and deleting *every* top-level widget is not safe: menus, combo-box lists and
    completer popups are top-level windows too, but their owners keep plain pointers to them
    (a toolbar's overflow menu, for one), so deleting such a popup before its owner leaves
    the owner to crash when it is deleted in turn (segfault in ``QToolBar::actionEvent``)."""
    windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow)]
    for window in windows:
        window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        with qtbot.waitSignal(window.destroyed):
            window.close()


def test_smoke_run_signs_in_opens_a_customer_and_saves_a_screenshot(
    qtbot: Any, live_server: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ca_file = tmp_path / "ca.pem"
    ca_file.write_text(live_server.ca_pem)
    target = tmp_path / "shots" / "smoke.png"

    try:
        code = client_app.main(
            [
                "--server",
                live_server.base_url,
                "--ca-file",
                str(ca_file),
                "--user",
                "sales",
                "--password",
                PASSWORD,
                "--language",
                "en",
                "--smoke",
                str(target),
            ]
        )
    finally:
        close_main_windows(qtbot)

    assert code == 0, capsys.readouterr().err
    assert target.stat().st_size > 10_000


def _saved_geometry(qtbot: Any, rect: QRect) -> bytes:
    probe = QMainWindow()
    qtbot.addWidget(probe)
    probe.setGeometry(rect)
    return bytes(probe.saveGeometry().data())


def test_the_first_window_fits_the_available_screen(
    qtbot: Any, window_for: Any, sales_api: ApiClient
) -> None:
    window = window_for(sales_api)

    available = window.screen().availableGeometry()
    assert available.contains(window.frameGeometry())
    assert window.width() >= available.width() * 0.9  # and uses the room it has
    assert window.statusBar().isVisible()


def test_a_remembered_geometry_is_restored_only_while_it_fits(
    qtbot: Any, window_for: Any, sales_api: ApiClient, client_settings: ClientSettings
) -> None:
    fitting = QRect(40, 60, 600, 500)
    client_settings.window_geometry = _saved_geometry(qtbot, fitting)
    assert window_for(sales_api).geometry() == fitting

    too_big = QRect(40, 60, 1880, 1000)  # saved on a larger monitor
    client_settings.window_geometry = _saved_geometry(qtbot, too_big)
    window = window_for(sales_api)
    assert window.screen().availableGeometry().contains(window.frameGeometry())
    assert window.width() < too_big.width()
