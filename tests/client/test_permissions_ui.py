"""The client follows the role, against the real server: forms grey out read-only fields and
mask what the role sees masked, lists offer only what the role may do, the navigation and
the administration console, the department tree, password reset and change, roles assigned
in the user form, and user administration (disable, sessions)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QMimeData, QPointF, Qt
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QApplication, QLineEdit

from builders import customer as customer_data
from builders import unique, valid_uscc
from conftest import PASSWORD, signed_in
from crm_client.api.client import ApiClient
from crm_client.core.context import AppContext
from crm_client.domains.attachments import AttachmentsWidget
from crm_client.views.department_tree import DepartmentTreeView
from crm_client.views.entity_form import EntityFormDialog
from crm_client.views.entity_list import EntityListView
from crm_client.views.main_window import MainWindow
from crm_client.views.navigation import navigation_keys
from crm_client.views.password_dialog import ChangePasswordDialog
from crm_client.views.user_admin import ResetPasswordDialog, SessionsDialog, UserListView
from crm_client.widgets.field_editors import MaskedEditor, RefsEditor
from crm_common.entities import entity
from crm_common.errors import PasswordChangeRequired
from crm_common.permissions import Action, FieldAccess
from crm_common.schemas.security import character_classes

Maker = Callable[[ApiClient], AppContext]
CUSTOMER = entity("customer")
USER = entity("user")
ROLE = entity("role")
DEPARTMENT = entity("department")
SHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"


@pytest.fixture
def api_for(live_server: Any) -> Iterator[Callable[[str], ApiClient]]:
    """``api_for(username)``: a client signed in as that demo user (closed afterwards)."""
    opened: list[ApiClient] = []

    def make(username: str) -> ApiClient:
        api = signed_in(live_server, username)
        opened.append(api)
        return api

    yield make
    for api in opened:
        api.close()


@pytest.fixture
def open_form(qtbot: Any) -> Iterator[Callable[..., EntityFormDialog]]:
    forms: list[EntityFormDialog] = []

    def open_(ctx: AppContext, spec: Any, record_id: int | None = None,
              **kwargs: Any) -> EntityFormDialog:
        form = EntityFormDialog(ctx, spec, record_id, **kwargs)
        forms.append(form)
        form.show()
        if record_id is not None:
            qtbot.waitUntil(lambda: form._record is not None, timeout=15_000)
        return form

    yield open_
    for form in forms:
        if shiboken6.isValid(form):
            form.done(0)


def role_id(api: ApiClient, key: str) -> int:
    roles = api.list(ROLE, {"limit": 100}).items
    return next(role.id for role in roles if role.key == key)  # type: ignore[attr-defined]


def wait_loaded(qtbot: Any, view: EntityListView) -> None:
    with qtbot.waitSignal(view.sig_loaded, timeout=15_000):
        pass


def save_shot(widget: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    widget.grab().save(str(SHOTS / name))


# -- (a) forms -------------------------------------------------------------------------------


def test_a_sales_rep_may_not_change_the_owner(
    qtbot: Any, api_for: Any, make_context: Maker, open_form: Any
) -> None:
    sales = api_for("sales")
    ctx = make_context(sales)
    made = sales.create(CUSTOMER, customer_data())

    form = open_form(ctx, CUSTOMER, made.id)

    assert ctx.field_access("customer", "owner_id") is FieldAccess.READ
    widget = form.editors["owner_id"].widget
    assert not widget.isEnabled()
    assert widget.toolTip() == "Read-only for your role"
    assert form.editors["name"].widget.isEnabled() and form.editors["level"].widget.isEnabled()
    assert form.editors["owner_id"].display_text() == ctx.me.user.name
    assert form.is_editable("name") and not form.is_editable("owner_id")


def test_a_new_customer_of_a_sales_rep_shows_them_as_owner_and_sends_no_owner(
    qtbot: Any, api_for: Any, make_context: Maker, open_form: Any
) -> None:
    sales = api_for("sales")
    ctx = make_context(sales)
    form = open_form(ctx, CUSTOMER)
    form.editors["name"].widget.setText(f"权限测试{unique()}有限公司")  # type: ignore[attr-defined]

    payload = form.create_payload()

    assert form.editors["owner_id"].display_text() == ctx.me.user.name
    assert "owner_id" not in payload and "name" in payload
    with qtbot.waitSignal(form.sig_saved, timeout=15_000) as saved:
        form.save()
    assert saved.args[0].owner_id == ctx.me.user.id


def test_an_engineer_sees_the_credit_code_masked_and_no_notes(
    qtbot: Any, api_for: Any, admin_api: ApiClient, make_context: Maker, open_form: Any
) -> None:
    made = admin_api.create(CUSTOMER, customer_data(uscc=valid_uscc(), notes="内部备注",
                                                    tags=["老客户"]))
    ctx = make_context(api_for("engineer"))

    form = open_form(ctx, CUSTOMER, made.id)

    assert "notes" not in form.editors and "tags" not in form.editors
    uscc = form.editors["uscc"]
    assert isinstance(uscc, MaskedEditor)
    text = uscc.widget.text()  # type: ignore[attr-defined]
    assert text.startswith("91310000****") and text.endswith(made.uscc[-4:])
    assert not uscc.widget.isEnabled()
    assert not form.is_writable()  # an engineer reads customers, never changes them
    assert not form.save_button.isVisible() and form.cancel_button.text() == "Close"
    assert form.windowTitle().startswith("View Customer")
    assert form.changes() == {}
    form.resize(900, 620)
    save_shot(form, "customer_form_engineer.png")


def test_masked_values_show_masked_in_the_list(
    qtbot: Any, api_for: Any, admin_api: ApiClient, make_context: Maker
) -> None:
    made = admin_api.create(CUSTOMER, customer_data(uscc=valid_uscc()))
    ctx = make_context(api_for("engineer"))
    view = EntityListView(ctx, CUSTOMER)
    qtbot.addWidget(view)
    wait_loaded(qtbot, view)
    view.search.setText(made.name)
    view.reload()
    qtbot.waitUntil(lambda: view.model.row_of(made.id) >= 0, timeout=15_000)

    names = [field.name for field in view.model.fields]
    assert "tags" not in names  # hidden: no column, no filter
    with pytest.raises(KeyError):
        view.filter_bar.widget("tags")
    record = view.model.record(view.model.row_of(made.id))
    assert record is not None
    assert record.uscc is None and record.masked["uscc"].startswith("91310000****")
    column = view.model.column_of("uscc")
    row = view.model.row_of(made.id)
    shown = view.model.index(row, column).data()
    assert shown == record.masked["uscc"]
    assert not view.table.sort_header.is_sortable(column)  # no sorting by a masked field


# -- (b) lists ---------------------------------------------------------------------------------


def test_a_sales_rep_cannot_delete_users_or_others_attachments(
    qtbot: Any, api_for: Any, admin_api: ApiClient, make_context: Maker, tmp_path: Path
) -> None:
    sales = api_for("sales")
    ctx = make_context(sales)
    users = EntityListView(ctx, USER)
    qtbot.addWidget(users)
    wait_loaded(qtbot, users)
    assert not users.new_action.isVisible()
    assert not users.delete_action.isVisible()
    assert not users.recycle_action.isVisible()
    assert users.open_action.text() == "Open"

    customer = sales.create(CUSTOMER, customer_data())
    file = tmp_path / "报价单.txt"
    file.write_text("quote", "utf-8")
    theirs = admin_api.upload("customer", customer.id, file)
    mine = sales.upload("customer", customer.id, file)
    widget = AttachmentsWidget(ctx, "customer", customer.id)
    qtbot.addWidget(widget)
    qtbot.waitUntil(lambda: widget.model.rowCount() == 2, timeout=15_000)

    assert widget.upload_action.isVisible() and widget.delete_action.isVisible()
    widget.table.selectRow(widget.model.row_of(theirs.id))
    assert not widget.delete_action.isEnabled()  # uploaded by someone else
    widget.table.selectRow(widget.model.row_of(mine.id))
    assert widget.delete_action.isEnabled()


def test_an_auditor_reads_everything_and_changes_nothing(
    qtbot: Any, api_for: Any, admin_api: ApiClient, make_context: Maker, open_form: Any
) -> None:
    ctx = make_context(api_for("auditor"))
    view = EntityListView(ctx, CUSTOMER)
    qtbot.addWidget(view)
    wait_loaded(qtbot, view)
    view.table.selectRow(0)

    assert view.model.rowCount() > 0
    for action in (view.new_action, view.delete_action, view.restore_action,
                   view.recycle_action):
        assert not action.isVisible(), action.text()
    assert view.open_action.isVisible() and view.open_action.isEnabled()
    form = open_form(ctx, entity("contact"), admin_api.list(entity("contact"),
                                                            {"limit": 1}).items[0].id)
    assert not form.is_writable() and not form.save_button.isVisible()
    assert all(not editor.widget.isEnabled() for editor in form.editors.values())


def test_the_audit_log_is_read_only_and_its_entries_open_read_only(
    qtbot: Any, api_for: Any, make_context: Maker, open_form: Any
) -> None:
    ctx = make_context(api_for("auditor"))
    view = EntityListView(ctx, entity("audit"))
    qtbot.addWidget(view)
    wait_loaded(qtbot, view)

    assert not view.new_action.isVisible() and not view.recycle_action.isVisible()
    assert not view.delete_action.isVisible()
    record = view.model.record(0)
    assert record is not None
    form = open_form(ctx, entity("audit"), record.id)  # type: ignore[attr-defined]
    assert not form.save_button.isVisible()
    assert "changes" in form.editors and "at" in form.editors


def test_previewing_a_role_opens_lists_read_only(
    qtbot: Any, admin_api: ApiClient, make_context: Maker
) -> None:
    preview = admin_api.preview(role_id(admin_api, "sales_manager"))
    try:
        ctx = make_context(preview)
        assert ctx.is_preview and not ctx.is_admin
        view = EntityListView(ctx, CUSTOMER)
        qtbot.addWidget(view)
        wait_loaded(qtbot, view)
        assert ctx.permissions.can("customer", Action.CREATE)  # the role could …
        assert not view.new_action.isVisible()  # … but nothing is written while previewing
        assert not view.delete_action.isVisible() and not view.recycle_action.isVisible()
    finally:
        preview.close()


# -- (c) navigation ----------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["sales", "manager", "finance", "engineer", "auditor"])
def test_only_administrators_get_the_administration_console(
    window_for: Any, api_for: Any, username: str
) -> None:
    window = window_for(api_for(username))
    keys = navigation_keys(window.ctx)
    assert "admin" not in keys
    texts = [window.navigation.item(row).text() for row in range(window.navigation.count())]
    assert "Administration" not in texts
    assert ("audit" in keys) == (username == "auditor")


def test_the_administration_entry_opens_the_console(
    qtbot: Any, window_for: Any, admin_api: ApiClient
) -> None:
    window = window_for(admin_api)

    page = window.show_page("admin")

    assert "admin" in navigation_keys(window.ctx)
    assert window.tabs.tabText(0) == "Administration"
    assert page.objectName() in ("adminConsole", "consoleMissing")


def test_the_user_menu_offers_change_password_and_sign_out(
    window_for: Any, sales_api: ApiClient
) -> None:
    window = window_for(sales_api)
    texts = [action.text() for action in window.user_menu.actions()]
    assert texts == ["Change &password…", "Sign &out"]


# -- (d) department tree -----------------------------------------------------------------------


def test_departments_move_by_drag_and_a_cycle_is_refused(
    qtbot: Any, admin_api: ApiClient, make_context: Maker
) -> None:
    tag = unique()
    top = admin_api.create(DEPARTMENT, {"name": f"华东大区{tag}"})
    child = admin_api.create(DEPARTMENT, {"name": f"苏州办事处{tag}", "parent_id": top.id})
    other = admin_api.create(DEPARTMENT, {"name": f"华南大区{tag}"})
    view = DepartmentTreeView(make_context(admin_api))
    qtbot.addWidget(view)
    view.resize(420, 520)
    with qtbot.waitSignal(view.sig_loaded, timeout=15_000):
        view.show()
    assert view.model.parent_of(child.id) == top.id
    assert view.add_action.isVisible() and view.tree.dragDropMode().name == "InternalMove"

    # A real drop of "child" onto "other", as the mouse would deliver it.
    view.select(other.id)
    view.select(child.id)
    target = view.tree.visualRect(view.model.index_of(other.id)).center()
    mime = QMimeData()
    drop = QDropEvent(QPointF(target), Qt.DropAction.MoveAction, mime,
                      Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    with qtbot.waitSignal(view.sig_loaded, timeout=15_000):
        view.tree.dropEvent(drop)
    assert view.model.parent_of(child.id) == other.id
    assert admin_api.get(DEPARTMENT, child.id).parent_id == other.id  # type: ignore[attr-defined]
    assert view.current_id() == child.id

    # "other" under its own sub-department: the server refuses, the tree stays as stored.
    with qtbot.waitSignal(view.sig_loaded, timeout=15_000):
        view.move_department(other.id, child.id)
    assert view.error_box is not None
    assert "cannot be placed under itself" in view.error_box.text()
    view.error_box.done(0)
    assert view.model.parent_of(other.id) is None

    # To the top level.
    with qtbot.waitSignal(view.sig_loaded, timeout=15_000):
        view.move_department(child.id, None)
    assert admin_api.get(DEPARTMENT, child.id).parent_id is None  # type: ignore[attr-defined]
    view.tree.expandAll()
    save_shot(view, "department_tree.png")


def test_departments_are_added_renamed_and_deleted_in_the_tree(
    qtbot: Any, admin_api: ApiClient, make_context: Maker
) -> None:
    view = DepartmentTreeView(make_context(admin_api))
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.sig_loaded, timeout=15_000):
        view.show()
    name = f"新部门{unique()}"

    with qtbot.waitSignal(view.sig_loaded, timeout=15_000):
        view.add_department(name, None)
    made = next(r for r in view.model.records.values() if r.name == name)
    assert view.current_id() == made.id
    with qtbot.waitSignal(view.sig_loaded, timeout=15_000):
        view.rename_department(made.id, name + "（改）")
    assert view.model.records[made.id].name == name + "（改）"
    with qtbot.waitSignal(view.sig_loaded, timeout=15_000):
        view.delete_department(made.id)
    assert made.id not in view.model.records


def test_a_sales_rep_sees_the_department_tree_read_only(
    qtbot: Any, sales_api: ApiClient, make_context: Maker
) -> None:
    view = DepartmentTreeView(make_context(sales_api))
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.sig_loaded, timeout=15_000):
        view.show()
    assert view.model.rowCount() > 0
    for action in (view.add_action, view.rename_action, view.delete_action):
        assert not action.isVisible()
    assert view.tree.dragDropMode().name == "NoDragDrop"


# -- (e) reset and change a password -----------------------------------------------------------


def make_user(admin: ApiClient, *role_keys: str) -> Any:
    tag = unique()
    return admin.create(USER, {
        "username": f"pw{tag}", "name": f"测试用户{tag}", "password": "Start-pass-1",
        "role_ids": [role_id(admin, key) for key in role_keys]})


def test_a_reset_password_must_be_changed_at_the_next_sign_in(
    qtbot: Any, live_server: Any, admin_api: ApiClient, make_context: Maker
) -> None:
    user = make_user(admin_api, "sales_rep")
    reset = ResetPasswordDialog(make_context(admin_api), user.id, user.name)
    reset.show()  # deletes itself when closed
    qtbot.waitUntil(lambda: reset.policy is not None, timeout=15_000)
    reset.password.setText("short")
    reset.confirm.setText("short")
    reset.submit()
    assert reset.password_error.has_error  # the policy, checked before sending
    reset.password.setText("Reset-pass-22")
    reset.confirm.setText("Reset-pass-22")
    with qtbot.waitSignal(reset.sig_done, timeout=15_000):
        reset.submit()

    api = ApiClient(live_server.base_url, live_server.ca_pem, language="en")
    api.login(user.username, "Reset-pass-22")
    ctx = make_context(api)
    assert ctx.me.must_change_password
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.password_dialog is not None, timeout=5_000)
    dialog = window.password_dialog
    assert isinstance(dialog, ChangePasswordDialog) and dialog.forced
    assert window.stack.count() == 0  # no page loads before the password is changed
    qtbot.waitUntil(lambda: dialog.policy is not None, timeout=15_000)
    assert "At least 8 characters" in dialog.rules_label.text()
    dialog.reject()  # Escape does not skip it
    assert dialog.isVisible()

    dialog.current_edit.setText("wrong-one")
    dialog.new_edit.setText("Mine-pass-333")
    dialog.confirm_edit.setText("Mine-pass-333")
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.errors["current"].has_error, timeout=15_000)
    dialog.current_edit.setText("Reset-pass-22")
    with qtbot.waitSignal(dialog.sig_changed, timeout=15_000):
        dialog.submit()

    assert not window.ctx.me.must_change_password
    qtbot.waitUntil(lambda: window.stack.count() == 1, timeout=5_000)
    again = ApiClient(live_server.base_url, live_server.ca_pem, language="en")
    assert not again.login(user.username, "Mine-pass-333").user.must_change_password
    again.close()
    api.close()


def test_the_password_dialog_checks_the_policy_before_sending(
    qtbot: Any, sales_api: ApiClient, make_context: Maker
) -> None:
    dialog = ChangePasswordDialog(make_context(sales_api))
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: dialog.policy is not None, timeout=15_000)
    dialog.current_edit.setText(PASSWORD)
    dialog.new_edit.setText("abcdefghij")  # one kind of character only
    dialog.confirm_edit.setText("abcdefghiX")

    assert not dialog.validate()
    assert dialog.errors["new"].has_error and dialog.errors["confirm"].has_error
    assert character_classes("abC1!") == 4
    assert dialog.leave_button.text() == "Cancel"


# -- (f) roles in the user form, user administration --------------------------------------------


def test_roles_are_assigned_in_the_user_form(
    qtbot: Any, admin_api: ApiClient, make_context: Maker, open_form: Any
) -> None:
    ctx = make_context(admin_api)
    sales_rep, finance = role_id(admin_api, "sales_rep"), role_id(admin_api, "finance")
    form = open_form(ctx, USER)
    assert "password" in form.editors  # a new user needs a first password
    tag = unique()
    form.editors["username"].widget.setText(f"roles{tag}")  # type: ignore[attr-defined]
    form.editors["name"].widget.setText(f"角色测试{tag}")  # type: ignore[attr-defined]
    form.editors["password"].widget.setText("First-pass-1")  # type: ignore[attr-defined]
    assert form.editors["password"].widget.echoMode() == QLineEdit.EchoMode.Password  # type: ignore[attr-defined]
    roles = form.editors["role_ids"]
    assert isinstance(roles, RefsEditor)
    qtbot.waitUntil(roles.is_loaded, timeout=15_000)
    assert "销售代表" in [title for _id, title in roles.choices()]
    roles.set_checked(sales_rep, True)
    with qtbot.waitSignal(form.sig_saved, timeout=15_000) as saved:
        form.save()
    made = saved.args[0]
    assert made.role_ids == [sales_rep]

    form = open_form(ctx, USER, made.id)
    roles = form.editors["role_ids"]
    assert isinstance(roles, RefsEditor)
    qtbot.waitUntil(roles.is_loaded, timeout=15_000)
    assert roles.value() == [sales_rep]
    roles.set_checked(finance, True)
    roles.set_checked(sales_rep, False)
    assert form.changes() == {"role_ids": [finance]}
    with qtbot.waitSignal(form.sig_saved, timeout=15_000):
        form.save()
    stored = admin_api.get(USER, made.id)
    assert stored.role_ids == [finance]  # type: ignore[attr-defined]
    assert stored.role_names == ["财务"]  # type: ignore[attr-defined]


def test_a_sales_rep_sees_users_read_only(
    qtbot: Any, sales_api: ApiClient, make_context: Maker, open_form: Any
) -> None:
    ctx = make_context(sales_api)
    form = open_form(ctx, USER, ctx.me.user.id)
    assert not form.is_writable()
    assert not form.extra_buttons  # no "Reset password…"
    assert not form.editors["role_ids"].widget.isEnabled()


def test_administrators_disable_enable_and_end_sessions(
    qtbot: Any, live_server: Any, admin_api: ApiClient, make_context: Maker, monkeypatch: Any
) -> None:
    user = make_user(admin_api, "sales_rep")
    theirs = ApiClient(live_server.base_url, live_server.ca_pem, language="en")
    theirs.login(user.username, "Start-pass-1")
    ctx = make_context(admin_api)
    view = UserListView(ctx)
    qtbot.addWidget(view)
    wait_loaded(qtbot, view)
    while view.model.row_of(user.id) < 0 and view.model.canFetchMore(view.table.rootIndex()):
        with qtbot.waitSignal(view.sig_loaded, timeout=15_000):
            view.model.fetchMore(view.table.rootIndex())
    view.table.selectRow(view.model.row_of(user.id))
    roles_cell = view.model.index(view.model.row_of(user.id), view.model.column_of("role_ids"))
    assert roles_cell.data() == "销售代表"
    assert [a.isEnabled() for a in view.admin_actions] == [True, True, True]
    assert view.toggle_action.text() == "Disable"

    sessions = SessionsDialog(ctx, user.id, user.name)
    qtbot.addWidget(sessions)
    qtbot.waitUntil(lambda: len(sessions.sessions) == 1, timeout=15_000)
    sessions.table.selectRow(0)
    assert sessions.revoke_button.isEnabled()
    sessions.revoke_current()
    qtbot.waitUntil(lambda: not sessions.sessions, timeout=15_000)
    assert sessions.empty_label.isVisibleTo(sessions)

    record = view.current_user()
    assert record is not None
    with qtbot.waitSignal(ctx.changes.sig_entity_changed, timeout=15_000):
        view.set_active(record, False)
    qtbot.waitUntil(lambda: view.toggle_action.text() == "Enable", timeout=15_000)
    assert admin_api.get(USER, user.id).is_active is False  # type: ignore[attr-defined]
    record = view.current_user()
    assert record is not None
    with qtbot.waitSignal(ctx.changes.sig_entity_changed, timeout=15_000):
        view.set_active(record, True)
    qtbot.waitUntil(lambda: view.toggle_action.text() == "Disable", timeout=15_000)
    theirs.close()
    QApplication.processEvents()


def test_a_refusal_for_want_of_a_new_password_opens_the_forced_dialog(
    qtbot: Any, live_server: Any, admin_api: ApiClient, make_context: Maker
) -> None:
    user = make_user(admin_api, "sales_rep")
    admin_api.reset_password(user.id, "Reset-pass-44")
    api = ApiClient(live_server.base_url, live_server.ca_pem, language="en")
    api.login(user.username, "Reset-pass-44")
    with pytest.raises(PasswordChangeRequired):
        api.list(CUSTOMER, {"limit": 1})  # typed, not "unexpected answer (HTTP 403)"
    ctx = make_context(api)
    ctx.me = ctx.me.model_copy(update={"must_change_password": False})  # as if it came later
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.show()

    qtbot.waitUntil(lambda: window.password_dialog is not None, timeout=15_000)
    assert window.password_dialog is not None and window.password_dialog.forced
    assert not ctx.tasks.presenter.open_boxes()  # no "not allowed" box besides it
    window.password_dialog.done(0)
    api.close()
