"""The generic form against the real server: field errors under their fields, only changed
fields sent, the stale-version conflict (reload / compare / keep mine), duplicate warnings,
and nothing typed lost when the server cannot be reached."""

from __future__ import annotations

import socket
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox

from builders import customer as customer_data
from builders import valid_uscc
from crm_client.api.client import ApiClient
from crm_client.core.context import AppContext
from crm_client.domains.customer_duplicates import DuplicateCheckExtension
from crm_client.views.entity_form import EntityFormDialog
from crm_client.widgets.conflict_dialog import ConflictDialog
from crm_common.entities import entity

CUSTOMER = entity("customer")


def type_into(form: EntityFormDialog, name: str, text: str) -> None:
    form.editors[name].widget.setText(text)  # type: ignore[attr-defined]


def invalid_uscc() -> str:
    code = valid_uscc()
    return code[:-1] + ("0" if code[-1] != "0" else "1")


def test_an_invalid_credit_code_is_shown_under_its_field(qtbot: Any, open_form: Any) -> None:
    form = open_form()
    type_into(form, "name", customer_data()["name"])
    type_into(form, "uscc", invalid_uscc())
    with qtbot.assertNotEmitted(form.sig_saved, wait=0):
        form.save()
        qtbot.waitUntil(lambda: form.errors["uscc"].isVisible())

    error, editor = form.errors["uscc"], form.editors["uscc"].widget
    assert error.text()
    assert error.geometry().top() >= editor.geometry().bottom()  # right under the field
    assert error.geometry().left() == editor.geometry().left()
    assert form.focusWidget() is editor
    assert form.isVisible() and form.editors["name"].value()  # nothing typed is lost


def test_required_fields_are_checked_before_sending(qtbot: Any, open_form: Any) -> None:
    form = open_form()
    form.save()
    assert form.errors["name"].isVisibleTo(form)
    assert form.save_button.isEnabled()  # nothing was sent


def test_create_sends_the_record_and_announces_it(
    qtbot: Any, open_form: Any, sales_ctx: AppContext, sales_api: Any
) -> None:
    form = open_form()
    data = customer_data()
    type_into(form, "name", data["name"])
    type_into(form, "tags", "老客户，重点项目、老客户")
    with (
        qtbot.waitSignal(sales_ctx.changes.sig_entity_changed) as changed,
        qtbot.waitSignal(form.sig_saved) as saved,
    ):
        qtbot.keyClick(form.editors["tags"].widget, Qt.Key.Key_Return)  # Enter saves
    record = saved.args[0]
    assert changed.args == ["customer", [record.id]]
    assert sales_api.get(CUSTOMER, record.id).tags == ["老客户", "重点项目"]
    assert not form.isVisible()


def test_edit_sends_only_the_changed_fields(
    qtbot: Any, open_form: Any, sales_api: Any, admin_api: Any
) -> None:
    made = sales_api.create(CUSTOMER, customer_data())
    form = open_form(made.id)
    assert form.editors["name"].value() == made.name
    type_into(form, "short_name", "新简称")
    assert form.changes() == {"short_name": "新简称"}
    with qtbot.waitSignal(form.sig_saved):
        form.save()
    assert sales_api.get(CUSTOMER, made.id).short_name == "新简称"


def stale_form(
    qtbot: Any, open_form: Any, sales_api: Any, admin_api: Any
) -> tuple[EntityFormDialog, ConflictDialog, Any]:
    """A form whose save met a record someone else changed meanwhile."""
    made = sales_api.create(CUSTOMER, customer_data())
    form = open_form(made.id)
    type_into(form, "short_name", "我的简称")
    admin_api.update(CUSTOMER, made.id, made.version, {"phone": "0512-62345678"})
    form.save()
    qtbot.waitUntil(lambda: form.conflict_dialog is not None and form.conflict_dialog.isVisible())
    assert form.conflict_dialog is not None
    return form, form.conflict_dialog, made


def test_a_stale_save_compares_and_keeps_mine_on_top_of_theirs(
    qtbot: Any, open_form: Any, sales_api: Any, admin_api: Any
) -> None:
    form, dialog, made = stale_form(qtbot, open_form, sales_api, admin_api)
    dialog.compare_button.click()
    table = dialog.table
    rows = {
        table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text())
        for r in range(table.rowCount())
    }
    assert rows["Short name"] == ("我的简称", made.short_name)
    assert rows["Phone"][1] == "0512-62345678"

    with qtbot.waitSignal(form.sig_saved):
        dialog.keep_button.click()
    now = sales_api.get(CUSTOMER, made.id)
    assert (now.short_name, now.phone) == ("我的简称", "0512-62345678")


def test_a_stale_save_can_reload_their_version(
    qtbot: Any, open_form: Any, sales_api: Any, admin_api: Any
) -> None:
    form, dialog, made = stale_form(qtbot, open_form, sales_api, admin_api)
    dialog.reload_button.click()
    assert form.editors["phone"].value() == "0512-62345678"
    assert form.editors["short_name"].value() == made.short_name
    assert not form.is_dirty()
    assert sales_api.get(CUSTOMER, made.id).short_name == made.short_name  # nothing overwritten


def test_a_similar_customer_is_flagged_while_typing_and_on_save(
    qtbot: Any, open_form: Any, sales_api: Any
) -> None:
    existing = sales_api.create(CUSTOMER, customer_data())
    form = open_form()
    type_into(form, "name", existing.name)
    form.editors["name"].widget.editingFinished.emit()  # type: ignore[attr-defined]
    check = form.extension(DuplicateCheckExtension)
    assert check is not None
    hint = check.hint
    assert hint is not None
    qtbot.waitUntil(hint.isVisible)
    assert existing.name in hint.label.text()
    with qtbot.waitSignal(form.sig_open_record) as opened:
        hint.button.click()
    assert opened.args == ["customer", existing.id]

    form.save()
    qtbot.waitUntil(lambda: check.box is not None and check.box.isVisible())
    assert check.box is not None
    create = next(b for b in check.box.buttons() if b.text() == "Create anyway")
    with qtbot.waitSignal(form.sig_saved) as saved:
        create.click()
    assert saved.args[0].id != existing.id


def test_an_unreachable_server_keeps_the_input_and_retries(
    qtbot: Any, open_form: Any, sales_ctx: AppContext, live_server: Any
) -> None:
    form = open_form()
    name = customer_data()["name"]
    type_into(form, "name", name)
    real_api = sales_ctx.tasks.api
    sales_ctx.tasks.api = ApiClient(f"https://127.0.0.1:{_closed_port()}", live_server.ca_pem)
    try:
        form.save()
        qtbot.waitUntil(lambda: form.banner.isVisible() and form.save_button.isEnabled())
    finally:
        sales_ctx.tasks.api.close()
        sales_ctx.tasks.api = real_api
    assert "your input has been kept" in form.banner.label.text()
    assert form.isVisible() and form.editors["name"].value() == name

    with qtbot.waitSignal(form.sig_saved):
        form.banner.button.click()


def test_escape_with_unsaved_changes_asks_first(
    qtbot: Any, open_form: Any, monkeypatch: Any
) -> None:
    form = open_form()
    type_into(form, "name", "未保存的客户")
    answers = [QMessageBox.StandardButton.Cancel, QMessageBox.StandardButton.Discard]
    monkeypatch.setattr(QMessageBox, "question", lambda *_args: answers.pop(0))
    form.reject()
    assert form.isVisible()
    form.reject()
    assert not form.isVisible()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_new_record_form_starts_in_its_first_field(open_form: Any) -> None:
    form = open_form()

    assert form.focusWidget() is form.editors["name"].widget


def test_enter_on_the_duplicate_warning_does_not_create(
    qtbot: Any, open_form: Any, sales_api: Any
) -> None:
    existing = sales_api.create(CUSTOMER, customer_data())
    form = open_form()
    type_into(form, "name", existing.name)
    saved: list[Any] = []
    form.sig_saved.connect(saved.append)
    check = form.extension(DuplicateCheckExtension)
    assert check is not None
    form.save()
    qtbot.waitUntil(lambda: check.box is not None and check.box.isVisible())
    box = check.box
    assert box is not None and box.defaultButton().text() == "Cancel"

    with qtbot.waitSignal(box.finished):
        qtbot.keyClick(box, Qt.Key.Key_Return)

    assert form.isVisible() and not saved
    assert sales_api.list(CUSTOMER, {"q": existing.name}).total == 1
