"""End to end through the real desktop client: the real ``crm-server`` process over TLS (the
shared ``server`` fixture) and the client's own session, dialogs and windows, driven with
clicks and typing as a sales rep would — trust the server on first contact, sign in, create a
customer, edit it, lose a race to a colleague and keep my change, find the customer by its
pinyin initials. No mocks; every wait is on a signal or a condition, never a sleep.
"""

from __future__ import annotations

import argparse
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QPoint, QSettings, Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QAbstractButton, QApplication, QToolBar, QWidget

import builders
from crm_client.api.client import ApiClient
from crm_client.app import ClientSession
from crm_client.core.i18n import current_language, set_language
from crm_client.core.settings import ClientSettings
from crm_client.domains.customer360 import Customer360View
from crm_client.views.entity_form import EntityFormDialog
from crm_client.views.entity_list import EntityListView
from crm_client.views.main_window import MainWindow
from crm_common.entities import entity
from crm_common.tlsinfo import fingerprint

CUSTOMER = entity("customer")
# Not the name test_end_to_end.py gives its customer: the two tests share one server, and the
# same name would (rightly) stop the create with a duplicate warning.
NAME = "恒瑞精密机械（苏州）有限公司"  # pinyin initials hrjm…
WAIT_MS = 15_000  # generous for a loaded CI machine; a pass takes a fraction of it


@pytest.fixture
def english(qapp: Any) -> Iterator[None]:
    """The test reads the English source strings; the previous language is restored after."""
    before = current_language()
    set_language("en")
    yield
    set_language(before)


@pytest.fixture
def session(
    server: tuple[str, Path], tmp_path: Path, english: None
) -> Iterator[ClientSession]:
    """The client application's session (sign in → main window), with settings in a
    temporary INI file that trusts no server yet — a first start on a new computer."""
    url, _ = server
    settings = ClientSettings(QSettings(str(tmp_path / "client.ini"), QSettings.Format.IniFormat))
    session = ClientSession(settings, argparse.Namespace(server=url, user=None, password=None))
    yield session
    dialog, window = session.sign_in_dialog, session.window
    if dialog is not None and shiboken6.isValid(dialog):  # closing it would quit the app
        dialog.hide()
        dialog.deleteLater()
    if window is not None and shiboken6.isValid(window):
        window.close()
    if session.context is not None:
        session.context.tasks.wait_for_done()
        session.context.api.close()


def click(qtbot: Any, button: QWidget) -> None:
    assert button.isVisible() and button.isEnabled(), button
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def double_click(qtbot: Any, widget: QWidget, pos: QPoint) -> None:
    """Press and release, then the second press (QTest's ``mouseDClick`` alone sends only
    the double-click event, which item views ignore without the first press)."""
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton, pos=pos)
    qtbot.mouseDClick(widget, Qt.MouseButton.LeftButton, pos=pos)


def type_text(qtbot: Any, widget: QWidget, text: str) -> None:
    """Type like a person: ASCII key by key; Chinese the way an input method delivers it, as
    a committed string (QTest can only press keys of Latin-1 characters)."""
    if text.isascii():
        qtbot.keyClicks(widget, text)
        return
    event = QInputMethodEvent()
    event.setCommitString(text)
    QApplication.sendEvent(widget, event)


def open_form(qtbot: Any, parent: QWidget) -> EntityFormDialog:
    """The form the last click opened from ``parent``, once it is ready for input."""
    qtbot.waitUntil(lambda: len(shown_forms(parent)) == 1, timeout=WAIT_MS)
    form = shown_forms(parent)[0]
    qtbot.waitUntil(form.save_button.isEnabled, timeout=WAIT_MS)  # loaded, when editing
    return form


def shown_forms(parent: QWidget) -> list[EntityFormDialog]:
    return [form for form in parent.findChildren(EntityFormDialog) if form.isVisible()]


def list_ids(view: EntityListView) -> list[int]:
    records = (view.model.record(row) for row in range(view.model.rowCount()))
    return [record.id for record in records if record is not None]  # type: ignore[attr-defined]


def test_a_sales_rep_works_through_the_real_client(
    qtbot: Any, server: tuple[str, Path], server_admin: ApiClient, session: ClientSession
) -> None:
    url, data = server
    ca_pem = (data / "tls" / "ca.crt").read_text("ascii")
    username = f"gui_rep_{uuid.uuid4().hex[:8]}"
    reps = [builders.role_id(server_admin, "sales_rep")]
    rep = server_admin.create(entity("user"), {"username": username, "name": "吴销售",
                                               "password": builders.PASSWORD, "role_ids": reps})
    other = server_admin.create(CUSTOMER, builders.customer(owner_id=rep.id))  # type: ignore[attr-defined]

    # 1. First contact: the dialog shows the CA's fingerprint; trusting it signs in.
    session.start()
    sign_in = session.sign_in_dialog
    assert sign_in is not None and sign_in.isVisible()
    assert sign_in.server_combo.currentText() == url
    type_text(qtbot, sign_in.user_edit, username)
    type_text(qtbot, sign_in.password_edit, builders.PASSWORD)
    click(qtbot, sign_in.sign_in_button)
    qtbot.waitUntil(lambda: sign_in.trust_dialog is not None and sign_in.trust_dialog.isVisible(),
                    timeout=WAIT_MS)
    trust = sign_in.trust_dialog
    assert trust is not None
    shown = ":".join(trust.fingerprint_label.text().split())
    assert shown == fingerprint(ca_pem)
    with qtbot.waitSignal(session.sig_main_window, timeout=WAIT_MS) as opened:
        click(qtbot, trust.trust_button)
    window = opened.args[0]
    assert isinstance(window, MainWindow) and window.isVisible()
    assert session.settings.trusted_ca(url) == ca_pem  # pinned for the next start
    assert window.ctx.me.user.username == username
    customers = window.current_page()
    assert isinstance(customers, EntityListView)
    qtbot.waitUntil(lambda: other.id in list_ids(customers), timeout=WAIT_MS)  # type: ignore[attr-defined]

    # 2. New → the form → name and credit code → Save; the list shows the new customer.
    toolbar = customers.findChild(QToolBar)
    new_button = toolbar.widgetForAction(customers.new_action)
    assert isinstance(new_button, QAbstractButton)
    click(qtbot, new_button)
    form = open_form(qtbot, customers)
    uscc = builders.valid_uscc()
    type_text(qtbot, form.editors["name"].widget, NAME)
    type_text(qtbot, form.editors["uscc"].widget, uscc)
    with qtbot.waitSignal(form.sig_saved, timeout=WAIT_MS) as saved:
        click(qtbot, form.save_button)
    made = saved.args[0]
    assert (made.name, made.uscc, made.version, made.owner_id) == (NAME, uscc, 1, rep.id)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: made.id in list_ids(customers), timeout=WAIT_MS)

    # 3. Open it (double-click) → the 360° view → Edit → level A → Save: version 2.
    row = customers.model.row_of(made.id)
    cell = customers.table.visualRect(customers.model.index(row, 0)).center()
    double_click(qtbot, customers.table.viewport(), cell)
    view = window.record_tabs.get(("customer", made.id))
    assert isinstance(view, Customer360View) and window.tabs.currentWidget() is view
    qtbot.waitUntil(view.edit_button.isEnabled, timeout=WAIT_MS)
    click(qtbot, view.edit_button)
    form = open_form(qtbot, view)
    assert form.editors["name"].value() == NAME
    type_text(qtbot, form.editors["level"].widget, "A")
    assert form.changes() == {"level": "A"}
    with qtbot.waitSignal(form.sig_saved, timeout=WAIT_MS) as saved:
        click(qtbot, form.save_button)
    assert (saved.args[0].level, saved.args[0].version) == ("A", 2)
    assert server_admin.get(CUSTOMER, made.id).version == 2  # type: ignore[attr-defined]

    # 4. A stale edit: the form is open at version 2 while a colleague saves version 3.
    click(qtbot, view.edit_button)
    form = open_form(qtbot, view)
    assert form.editors["level"].value() == "A"
    type_text(qtbot, form.editors["city"].widget, "无锡市")
    theirs = server_admin.update(CUSTOMER, made.id, 2, {"phone": "0512-87654321"})
    assert theirs.version == 3  # type: ignore[attr-defined]
    click(qtbot, form.save_button)  # the server answers 409: version 2 is stale
    qtbot.waitUntil(lambda: form.conflict_dialog is not None and form.conflict_dialog.isVisible(),
                    timeout=WAIT_MS)
    conflict = form.conflict_dialog
    assert conflict is not None
    assert conflict.windowTitle() == "Changed by someone else"
    assert conflict.reload_button.isVisible() and conflict.compare_button.isVisible()
    assert form.isVisible() and form.changes() == {"city": "无锡市"}  # nothing typed is lost
    assert server_admin.get(CUSTOMER, made.id).city is None  # type: ignore[attr-defined]
    click(qtbot, conflict.compare_button)
    table = conflict.table
    rows = {table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text())
            for r in range(table.rowCount())}
    assert rows["City"][0] == "无锡市"
    assert rows["Phone"][1] == "0512-87654321"
    with qtbot.waitSignal(form.sig_saved, timeout=WAIT_MS) as saved:
        click(qtbot, conflict.keep_button)
    now = server_admin.get(CUSTOMER, made.id)
    assert (now.version, now.city, now.phone, now.level) == (  # type: ignore[attr-defined]
        4, "无锡市", "0512-87654321", "A")
    assert saved.args[0].version == 4

    # 5. Back to the list; typing pinyin initials narrows it to the customer.
    tab_bar = window.tabs.tabBar()
    qtbot.mouseClick(tab_bar, Qt.MouseButton.LeftButton, pos=tab_bar.tabRect(0).center())
    assert window.tabs.currentIndex() == 0 and customers.isVisible()
    assert other.id in list_ids(customers)  # type: ignore[attr-defined]
    type_text(qtbot, customers.search, "hrjm")
    qtbot.waitUntil(lambda: made.id in list_ids(customers)
                    and other.id not in list_ids(customers), timeout=WAIT_MS)  # type: ignore[attr-defined]
    assert customers.current_params()["q"] == "hrjm"
    names = [customers.model.record(row).name  # type: ignore[union-attr]
             for row in range(customers.model.rowCount())]
    assert all(name.startswith("恒瑞精密") for name in names), names
