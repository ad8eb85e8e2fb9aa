"""The customer 360° view against the real server: header facts, the tabs, a follow-up added
in two clicks appearing on the timeline, attachments, and the change history in words."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDate, QDateTime, Qt, QTime
from PySide6.QtWidgets import QApplication, QLabel, QMessageBox

from builders import activity as activity_data
from builders import contact as contact_data
from builders import customer as customer_data
from crm_client.core.context import AppContext
from crm_client.domains import customer360
from crm_client.domains.customer360 import (
    CUSTOMER_TABS,
    Customer360View,
    CustomerTab,
    register_customer_tab,
)
from crm_client.views.entity_form import EntityFormDialog
from crm_client.views.entity_list import EntityListView
from crm_client.views.screens import record_screen
from crm_common.entities import entity
from crm_common.permissions import FieldAccess

CUSTOMER = entity("customer")


@pytest.fixture
def ctx(sales_api: Any, make_context: Callable[[Any], AppContext]) -> AppContext:
    return make_context(sales_api)


@pytest.fixture
def customer(sales_api: Any) -> Any:
    """A customer with a contact and an overdue follow-up."""
    made = sales_api.create(CUSTOMER, customer_data(level="key", tags=["老客户"],
                                                    province="上海市", city="上海市",
                                                    district="青浦区"))
    sales_api.create(entity("contact"), contact_data(made.id, name="周工"))
    overdue = date.today() - timedelta(days=3)
    sales_api.create(entity("activity"), activity_data(made.id, next_follow_up_on=overdue))
    return sales_api.get(CUSTOMER, made.id)


@pytest.fixture
def view(qtbot: Any, ctx: AppContext, customer: Any) -> Customer360View:
    shown = Customer360View(ctx, customer.id)
    qtbot.addWidget(shown)
    shown.resize(1100, 700)
    with qtbot.waitSignal(shown.sig_loaded):
        shown.show()
    return shown


def test_the_header_shows_the_key_facts(view: Customer360View, customer: Any) -> None:
    header = view.header
    assert header.name_label.text() == customer.name
    assert header.level_badge.text() == "Key account"
    assert header.facts["tags"].text() == "老客户"
    assert header.facts["owner_id"].text() == customer.owner_name
    assert header.facts["region"].text() == "上海市 青浦区"  # a municipality is named once
    next_date = header.facts["next_follow_up_on"]
    assert "(overdue)" in next_date.text()
    assert "color" in next_date.styleSheet()
    assert view.windowTitle() == customer.name


def test_the_tabs_come_from_the_registration_list(qtbot: Any, view: Customer360View) -> None:
    assert [view.tabs.tabText(i) for i in range(view.tabs.count())] == [
        "Contacts",
        "Follow-ups",
        "Attachments",
        "History",
    ]
    assert len(CUSTOMER_TABS) == view.tabs.count()
    contacts = view.tab_widgets["contacts"]
    assert isinstance(contacts, EntityListView)
    qtbot.waitUntil(lambda: contacts.model.rowCount() == 1)
    assert contacts.model.record(0).name == "周工"  # type: ignore[attr-defined]
    timeline = view.tab_widgets["activities"]
    qtbot.waitUntil(lambda: len(timeline.cards) == 1)  # type: ignore[attr-defined]


def test_a_later_tab_registers_with_one_line(
    qtbot: Any, ctx: AppContext, customer: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(customer360, "CUSTOMER_TABS", list(CUSTOMER_TABS))
    register_customer_tab(CustomerTab("quotes", "Quotes", lambda *_args: QLabel()), "history")
    shown = Customer360View(ctx, customer.id)
    qtbot.addWidget(shown)
    labels = [shown.tabs.tabText(i) for i in range(shown.tabs.count())]
    assert labels[-2:] == ["Quotes", "History"]


def test_the_registry_opens_customers_in_the_360_view(
    qtbot: Any, ctx: AppContext, customer: Any
) -> None:
    opened = record_screen(ctx, "customer", customer.id)
    assert isinstance(opened, Customer360View)
    qtbot.addWidget(opened)
    assert record_screen(ctx, "contact", 1) is None


def test_a_follow_up_added_in_two_clicks_appears_first_on_the_timeline(
    qtbot: Any, view: Customer360View, ctx: AppContext
) -> None:
    timeline: Any = view.tab_widgets["activities"]
    qtbot.waitUntil(lambda: len(timeline.cards) == 1)
    view.follow_up_button.click()  # click 1
    form = _open_form(EntityFormDialog)
    assert (
        form.editors["next_follow_up_on"].value() == (date.today() + timedelta(days=7)).isoformat()
    )
    form.editors["subject"].widget.setText("回访设备运行情况")
    form.editors["notes"].widget.setPlainText("客户反馈良好")
    with qtbot.waitSignal(view.sig_loaded):  # the header refreshes its follow-up dates
        form.save_button.click()  # click 2
    qtbot.waitUntil(lambda: len(timeline.cards) == 2)
    newest = timeline.cards[0].activity
    assert (newest.subject, newest.notes) == ("回访设备运行情况", "客户反馈良好")
    assert "(overdue)" not in view.header.facts["next_follow_up_on"].text()


def test_the_follow_up_contact_is_chosen_among_this_customers_contacts(
    qtbot: Any, view: Customer360View
) -> None:
    form = view.add_follow_up()
    lookup = form.editors["contact_id"].widget
    assert lookup._params == {"customer_id": view.customer_id}  # type: ignore[attr-defined]
    form.done(0)


def test_history_shows_a_field_change_with_labels(
    qtbot: Any, view: Customer360View, sales_api: Any, customer: Any
) -> None:
    sales_api.update(CUSTOMER, customer.id, customer.version, {"level": "A"})
    history: Any = view.tab_widgets["history"]
    history.reload()

    def newest() -> list[str]:
        tree = history.tree
        item = tree.topLevelItem(0)
        return [item.text(column) for column in range(tree.columnCount())] if item else []

    qtbot.waitUntil(lambda: newest()[2:3] == ["Update"])
    assert newest()[3:] == ["Level", "Key account", "A"]
    assert newest()[1] == customer.owner_name  # who changed it


def test_attachments_upload_and_refuse_files_over_the_limit(
    qtbot: Any, view: Customer360View, tmp_path: Path, monkeypatch: Any
) -> None:
    attachments: Any = view.tab_widgets["attachments"]
    small = tmp_path / "报价单.txt"
    small.write_text("报价", "utf-8")
    attachments.upload([small])
    qtbot.waitUntil(lambda: attachments.model.rowCount() == 1)
    assert attachments.model.record(0).filename == "报价单.txt"

    warned: list[str] = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warned.append(text))
    big = tmp_path / "big.bin"
    big.write_bytes(b"\0" * (1024 * 1024 + 1))  # the test server allows 1 MB
    attachments.upload([big])
    qtbot.waitUntil(lambda: bool(warned))
    assert "big.bin" in warned[0]


def _open_form(kind: type[EntityFormDialog]) -> Any:
    forms = [w for w in QApplication.topLevelWidgets() if isinstance(w, kind) and w.isVisible()]
    assert len(forms) == 1
    return forms[0]


def test_the_header_shows_the_street_address_and_the_notes(
    qtbot: Any, ctx: AppContext, sales_api: Any
) -> None:
    made = sales_api.create(CUSTOMER, customer_data(address="青浦区华新镇华腾路 1288 号",
                                                    notes="<b>只在周二</b>收货"))
    view = _shown(qtbot, ctx, made.id)

    assert view.header.facts["address"].text() == "青浦区华新镇华腾路 1288 号"
    assert view.header.facts["notes"].text() == "<b>只在周二</b>收货"  # plain text, not HTML
    assert view.header.fact_labels["notes"].text() == "Notes"


def test_a_conflicts_reload_refreshes_the_header(
    qtbot: Any, view: Customer360View, admin_api: Any, customer: Any
) -> None:
    form = view.edit()
    qtbot.waitUntil(lambda: form.editors["short_name"].value() == customer.short_name)
    form.editors["short_name"].widget.setText("我的简称")
    admin_api.update(CUSTOMER, customer.id, customer.version, {"phone": "0512-62345678"})
    form.save()
    qtbot.waitUntil(lambda: form.conflict_dialog is not None and form.conflict_dialog.isVisible())
    assert form.conflict_dialog is not None

    with qtbot.waitSignal(view.sig_loaded):
        form.conflict_dialog.reload_button.click()

    assert view.header.facts["phone"].text() == "0512-62345678"


def test_f5_reloads_the_header_and_the_tabs(
    qtbot: Any, view: Customer360View, sales_api: Any, admin_api: Any, customer: Any
) -> None:
    timeline: Any = view.tab_widgets["activities"]
    qtbot.waitUntil(lambda: len(timeline.cards) == 1)
    admin_api.update(CUSTOMER, customer.id, customer.version, {"phone": "0512-87654321"})
    sales_api.create(entity("activity"), activity_data(customer.id, subject="电话回访"))
    view.activateWindow()
    qtbot.waitActive(view)

    with qtbot.waitSignal(view.sig_loaded):
        qtbot.keyClick(view.tabs, Qt.Key.Key_F5)

    assert view.header.facts["phone"].text() == "0512-87654321"
    qtbot.waitUntil(lambda: len(timeline.cards) == 2)


def test_an_empty_timeline_says_when_the_role_sees_only_its_own_follow_ups(
    qtbot: Any, ctx: AppContext, sales_api: Any, admin_api: Any
) -> None:
    made = sales_api.create(CUSTOMER, customer_data())
    admin_api.create(entity("activity"), activity_data(made.id))  # a colleague's follow-up
    view = _shown(qtbot, ctx, made.id)
    timeline: Any = view.tab_widgets["activities"]
    view.tabs.setCurrentWidget(timeline)
    qtbot.waitUntil(lambda: timeline.empty_label.isVisible())

    assert view.header.facts["last_activity_at"].text() != "—"
    notes = [label.text() for label in timeline.findChildren(QLabel) if label.isVisible()]
    assert any("only its own follow-ups" in text for text in notes)


def _shown(qtbot: Any, ctx: AppContext, customer_id: int) -> Customer360View:
    shown = Customer360View(ctx, customer_id)
    qtbot.addWidget(shown)
    shown.resize(1100, 700)
    with qtbot.waitSignal(shown.sig_loaded):
        shown.show()
    return shown


def test_hidden_address_and_notes_stay_out_of_the_header(
    qtbot: Any, ctx: AppContext, sales_api: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    made = sales_api.create(CUSTOMER, customer_data(address="华腾路 1288 号", notes="周二收货"))
    granted = AppContext.field_access
    hidden = {("customer", "address"), ("customer", "notes")}

    def field_access(self: AppContext, key: str, name: str) -> FieldAccess:
        return FieldAccess.HIDDEN if (key, name) in hidden else granted(self, key, name)

    # On the class: an instance attribute holding a bound method of the instance would be a
    # reference cycle, collected (with Qt objects) on whichever thread the collector runs.
    monkeypatch.setattr(AppContext, "field_access", field_access)
    view = _shown(qtbot, ctx, made.id)

    assert view.header.facts["address"].isHidden() and view.header.facts["notes"].isHidden()
    assert view.header.fact_labels["notes"].isHidden()


def test_a_follow_up_can_be_backdated_but_not_dated_ahead(
    qtbot: Any, view: Customer360View, sales_api: Any
) -> None:
    form = view.add_follow_up()
    when: Any = form.editors["occurred_at"].widget
    assert abs(when.dateTime().secsTo(QDateTime.currentDateTime())) < 120  # "now"
    assert when.maximumDateTime() <= QDateTime.currentDateTime().addSecs(120)
    yesterday = QDateTime(QDate.currentDate().addDays(-1), QTime(16, 30))
    when.setDateTime(yesterday)
    form.editors["subject"].widget.setText("昨天下午的拜访")

    with qtbot.waitSignal(form.sig_saved) as saved:
        form.save_button.click()

    logged = sales_api.get(entity("activity"), saved.args[0].id)
    assert logged.occurred_at.astimezone().replace(tzinfo=None) == yesterday.toPython()


def test_a_follow_up_is_edited_from_the_timeline(
    qtbot: Any, view: Customer360View, sales_api: Any
) -> None:
    timeline: Any = view.tab_widgets["activities"]
    view.tabs.setCurrentWidget(timeline)
    qtbot.waitUntil(lambda: len(timeline.cards) == 1)

    qtbot.mouseDClick(timeline.cards[0], Qt.MouseButton.LeftButton)
    form = _open_form(EntityFormDialog)
    qtbot.waitUntil(lambda: form.editors["subject"].value() == "设备选型技术交流")
    assert "occurred_at" in form.editors and "customer_id" not in form.editors
    form.editors["subject"].widget.setText("设备选型技术交流（已更正）")
    with qtbot.waitSignal(form.sig_saved):
        form.save_button.click()

    qtbot.waitUntil(lambda: len(timeline.cards) == 1
                    and timeline.cards[0].activity.subject == "设备选型技术交流（已更正）")
