"""The admin console against the real server: the role matrix round trip, previewing a role,
the security policy, sign-in sessions and the audit log.

Every xdist worker shares one database: roles get unique names, built-in roles and the demo
users are never changed, and the security policy is put back as it was.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from builders import customer as customer_data
from builders import unique
from conftest import signed_in
from crm_client.admin.audit_page import AuditPage
from crm_client.admin.console import console_pages
from crm_client.admin.preview import RolePreviewWindow
from crm_client.admin.role_editor import RoleEditorDialog
from crm_client.admin.role_matrix import PermissionMatrixWidget
from crm_client.admin.roles_page import RolesPage
from crm_client.admin.security_page import SecurityPage
from crm_client.admin.sessions_page import SessionsPage
from crm_client.core.context import AppContext
from crm_common.entities import REGISTRY, entity
from crm_common.errors import Unauthenticated
from crm_common.permissions import Action, DataScope, FieldAccess
from crm_common.schemas.role import RoleRead

ROLE = entity("role")
CUSTOMER = entity("customer")


@pytest.fixture
def admin_ctx(admin_api: Any, make_context: Callable[[Any], AppContext]) -> AppContext:
    return make_context(admin_api)


@pytest.fixture
def windows(qtbot: Any) -> Iterator[list[QWidget]]:
    """Top-level windows a test opened; closed without questions afterwards."""
    opened: list[QWidget] = []
    yield opened
    for window in opened:
        if shiboken6.isValid(window):
            window.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
            if isinstance(window, RoleEditorDialog):
                window.done(0)
            window.close()
            window.deleteLater()


def open_editor(qtbot: Any, ctx: AppContext, windows: list[QWidget],
                role_id: int | None = None) -> RoleEditorDialog:
    editor = RoleEditorDialog(ctx, role_id)
    windows.append(editor)
    editor.show()
    if role_id is not None:
        qtbot.waitUntil(lambda: editor.save_button.isEnabled() and bool(editor.state()["name"]))
    return editor


def save(qtbot: Any, editor: RoleEditorDialog) -> RoleRead:
    """Ctrl+S, as a person would save."""
    editor.activateWindow()
    qtbot.waitUntil(lambda: editor.isActiveWindow())
    with qtbot.waitSignal(editor.sig_saved, timeout=5000) as saved:
        qtbot.keyClick(editor.name_edit, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    role: RoleRead = saved.args[0]
    return role


@pytest.fixture
def made_role(qtbot: Any, admin_ctx: AppContext, windows: list[QWidget]) -> RoleRead:
    """A role made in the matrix editor: customers read own, edit none, phone masked, notes
    hidden."""
    editor = open_editor(qtbot, admin_ctx, windows)
    editor.name_edit.setText(f"测试角色{unique()}")  # QTest types ASCII only
    editor.description_edit.setText("只看自己的客户，电话脱敏")
    matrix = editor.matrix
    matrix.set_scope("customer", Action.UPDATE, DataScope.ALL)
    matrix.set_scope("customer", Action.READ, DataScope.OWN)
    matrix.set_scope("customer", Action.UPDATE, DataScope.NONE)
    matrix.set_access("customer", "phone", FieldAccess.MASKED)
    matrix.set_access("customer", "notes", FieldAccess.HIDDEN)
    assert editor.is_dirty()
    return save(qtbot, editor)


# -- (a) the role matrix ---------------------------------------------------------------------


def test_the_role_matrix_round_trips_through_the_server(
    qtbot: Any, admin_ctx: AppContext, admin_api: Any, windows: list[QWidget],
    made_role: RoleRead,
) -> None:
    stored = admin_api.get(ROLE, made_role.id).permissions
    assert not stored.admin
    assert stored.entities["customer"].actions == {Action.READ: DataScope.OWN}
    assert stored.entities["customer"].fields == {"phone": FieldAccess.MASKED,
                                                  "notes": FieldAccess.HIDDEN}
    # Entities without rights are stored explicitly, not left out.
    assert set(stored.entities) == set(REGISTRY)
    assert stored.entities["contact"].actions == {}

    editor = open_editor(qtbot, admin_ctx, windows, made_role.id)
    matrix = editor.matrix
    assert editor.name_edit.text() == made_role.name
    assert matrix.scope_combo("customer", Action.READ).value() is DataScope.OWN
    assert matrix.scope_combo("customer", Action.UPDATE).value() is DataScope.NONE
    assert matrix.scope_combo("contact", Action.READ).value() is DataScope.NONE
    matrix.select_entity("customer")
    assert matrix.access_combo("phone").value() is FieldAccess.MASKED
    assert matrix.access_combo("notes").value() is FieldAccess.HIDDEN
    assert matrix.access_combo("name").value() is FieldAccess.EDIT
    assert not editor.is_dirty()


def test_the_role_matrix_offers_only_the_actions_that_exist(
    qtbot: Any, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An export column, for the entities that are exportable only; no import column while
    no entity offers it; once the registry says an entity is importable, its column appears,
    enabled for that entity only."""

    def headers(matrix: PermissionMatrixWidget) -> list[str]:
        return [matrix.matrix.horizontalHeaderItem(c).text()
                for c in range(matrix.matrix.columnCount())]

    matrix = PermissionMatrixWidget()
    qtbot.addWidget(matrix)
    assert headers(matrix) == ["Data", "Create", "Read", "Edit", "Delete", "Export", "Import"]
    assert not matrix.scope_combo("audit", Action.UPDATE).isEnabled()
    assert matrix.scope_combo("customer", Action.EXPORT).isEnabled()
    assert not matrix.scope_combo("department", Action.EXPORT).isEnabled()

    assert matrix.scope_combo("customer", Action.IMPORT).isEnabled()
    assert not matrix.scope_combo("department", Action.IMPORT).isEnabled()
    monkeypatch.setitem(REGISTRY, "contact", replace(REGISTRY["contact"], importable=False))
    importing = PermissionMatrixWidget()
    qtbot.addWidget(importing)
    assert not importing.scope_combo("contact", Action.IMPORT).isEnabled()


def test_the_administrator_box_disables_the_matrix_and_escape_asks_first(
    qtbot: Any, admin_ctx: AppContext, windows: list[QWidget], made_role: RoleRead,
    monkeypatch: Any,
) -> None:
    editor = open_editor(qtbot, admin_ctx, windows, made_role.id)
    editor.admin_check.click()
    assert not editor.matrix.isEnabled()
    assert editor.state()["permissions"]["admin"] is True
    assert not editor.preview_button.isEnabled()  # the preview shows the saved role

    asked: list[str] = []

    def keep_editing(*args: Any, **kwargs: Any) -> QMessageBox.StandardButton:
        asked.append(args[1])
        return QMessageBox.StandardButton.Cancel

    monkeypatch.setattr(QMessageBox, "question", keep_editing)
    qtbot.keyClick(editor, Qt.Key.Key_Escape)
    assert asked and editor.isVisible()


def test_a_stale_role_offers_to_reload(
    qtbot: Any, admin_ctx: AppContext, admin_api: Any, windows: list[QWidget],
    made_role: RoleRead,
) -> None:
    editor = open_editor(qtbot, admin_ctx, windows, made_role.id)
    admin_api.update(ROLE, made_role.id, made_role.version, {"description": "别人改过"})
    editor.matrix.set_scope("contact", Action.READ, DataScope.ALL)
    editor.save()
    qtbot.waitUntil(lambda: editor.conflict_box is not None and editor.conflict_box.isVisible())
    box = editor.conflict_box
    assert box is not None
    reload = next(b for b in box.buttons() if b.text() == "Reload")
    reload.click()
    assert editor.description_edit.text() == "别人改过"
    assert editor.matrix.scope("contact", Action.READ) is DataScope.NONE
    assert not editor.is_dirty()


def test_a_duplicate_starts_from_the_role_and_builtin_roles_cannot_be_deleted(
    qtbot: Any, admin_ctx: AppContext, admin_api: Any, windows: list[QWidget],
    made_role: RoleRead, monkeypatch: Any,
) -> None:
    page = RolesPage(admin_ctx)
    windows.append(page)
    with qtbot.waitSignal(page.sig_loaded):
        page.show()
    builtin = next(row for row in range(page.model.rowCount())
                   if page.model.record(row).is_builtin)  # type: ignore[union-attr]
    page.table.selectRow(builtin)
    assert not page.delete_action.isEnabled()

    page.select_role(made_role.id)
    copy = page.duplicate_current()
    assert copy is not None
    windows.append(copy)
    assert copy.name_edit.text().startswith(made_role.name or "")
    assert copy.matrix.scope("customer", Action.READ) is DataScope.OWN
    copy.name_edit.setText(f"副本{unique()}")
    duplicate = save(qtbot, copy)
    assert duplicate.id != made_role.id
    assert duplicate.permissions.entities["customer"].fields["phone"] is FieldAccess.MASKED

    qtbot.waitUntil(lambda: page.model.row_of(duplicate.id) >= 0)
    page.select_role(duplicate.id)
    assert page.delete_action.isEnabled()
    monkeypatch.setattr(QMessageBox, "question",
                        lambda *args, **kwargs: QMessageBox.StandardButton.Yes)
    page.delete_current()
    qtbot.waitUntil(lambda: page.model.row_of(duplicate.id) < 0)


# -- (b) preview as the role -----------------------------------------------------------------


def test_preview_shows_customers_as_the_role_sees_them(
    qtbot: Any, admin_ctx: AppContext, admin_api: Any, windows: list[QWidget],
    made_role: RoleRead,
) -> None:
    mine = admin_api.create(CUSTOMER, customer_data(phone="0512-66886688"))
    window = RolePreviewWindow(admin_ctx, made_role)
    windows.append(window)
    with qtbot.waitSignal(window.sig_list_shown, timeout=5000) as shown:
        window.show()
    view = shown.args[0]
    qtbot.waitUntil(lambda: view.model.row_of(mine.id) >= 0, timeout=5000)

    assert made_role.name in window.banner.label.text()
    assert "read-only" in window.banner.label.text()
    phone = view.model.column_of("phone")
    text = view.model.index(view.model.row_of(mine.id), phone).data()
    assert text and "****" in text and "66886688" not in text
    assert view.model.column_of("notes") < 0
    assert not view.new_action.isVisible()
    assert not view.delete_action.isVisible()
    owners = {view.model.record(row).owner_id for row in range(view.model.rowCount())}
    assert owners == {admin_ctx.me.user.id}  # "own": the administrator's own customers


def test_preview_of_an_entity_the_role_cannot_read_says_so(
    qtbot: Any, admin_ctx: AppContext, windows: list[QWidget], made_role: RoleRead,
) -> None:
    window = RolePreviewWindow(admin_ctx, made_role)
    windows.append(window)
    with qtbot.waitSignal(window.sig_list_shown, timeout=5000):
        window.show()
    window.show_entity("contact")
    assert window.list_view is None
    assert "cannot see" in window.placeholder.text()


# -- (c) security settings -------------------------------------------------------------------


@pytest.fixture
def policy_restored(admin_api: Any) -> Iterator[Any]:
    """The policy as it was before the test; put back afterwards (the server is shared)."""
    before = admin_api.security_policy()
    yield before
    now = admin_api.security_policy()
    changes = {name: value for name, value in before.model_dump(exclude={"version"}).items()
               if getattr(now, name) != value}
    if changes:
        admin_api.update_security_policy(now.version, changes)


def open_security(qtbot: Any, ctx: AppContext, windows: list[QWidget]) -> SecurityPage:
    page = SecurityPage(ctx)
    windows.append(page)
    with qtbot.waitSignal(page.sig_loaded):
        page.show()
    return page


def test_security_settings_round_trip(
    qtbot: Any, admin_ctx: AppContext, admin_api: Any, windows: list[QWidget],
    policy_restored: Any,
) -> None:
    page = open_security(qtbot, admin_ctx, windows)
    assert page.editors["lockout_minutes"].value() == policy_restored.lockout_minutes
    assert not page.save_button.isEnabled()
    page.set_value("lockout_minutes", policy_restored.lockout_minutes + 5)
    page.set_value("password_expiry_days", 90)
    assert page.changes() == {"lockout_minutes": policy_restored.lockout_minutes + 5,
                              "password_expiry_days": 90}
    with qtbot.waitSignal(page.sig_saved):
        page.save_button.click()

    stored = admin_api.security_policy()
    assert stored.lockout_minutes == policy_restored.lockout_minutes + 5
    assert stored.password_expiry_days == 90
    assert stored.version > policy_restored.version
    again = open_security(qtbot, admin_ctx, windows)
    assert again.editors["password_expiry_days"].value() == 90
    assert not again.save_button.isEnabled()


def test_security_field_errors_from_the_server_show_under_their_fields(
    qtbot: Any, admin_ctx: AppContext, windows: list[QWidget], policy_restored: Any,
) -> None:
    page = open_security(qtbot, admin_ctx, windows)
    assert page.policy is not None
    page._send({"lockout_minutes": 0}, page.policy.version)  # below what the spin box allows
    qtbot.waitUntil(lambda: page.errors["lockout_minutes"].isVisibleTo(page))
    assert page.errors["lockout_minutes"].text()
    assert page.banner.isVisibleTo(page)


def test_stale_security_settings_offer_to_reload(
    qtbot: Any, admin_ctx: AppContext, admin_api: Any, windows: list[QWidget],
    policy_restored: Any,
) -> None:
    page = open_security(qtbot, admin_ctx, windows)
    admin_api.update_security_policy(policy_restored.version,
                                     {"lockout_threshold": policy_restored.lockout_threshold + 1})
    page.set_value("session_idle_minutes", policy_restored.session_idle_minutes + 1)
    page.save()
    qtbot.waitUntil(lambda: page.conflict_box is not None and page.conflict_box.isVisible())
    assert page.conflict_box is not None
    page.conflict_box.button(QMessageBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: page.editors["lockout_threshold"].value()
                    == policy_restored.lockout_threshold + 1)
    assert page.editors["session_idle_minutes"].value() == policy_restored.session_idle_minutes


# -- (d) sessions ----------------------------------------------------------------------------


def test_sessions_list_the_own_session_and_revoke_another(
    qtbot: Any, live_server: Any, admin_ctx: AppContext, windows: list[QWidget],
    monkeypatch: Any,
) -> None:
    second = signed_in(live_server, "admin")
    try:
        second_id = next(s.id for s in second.sessions(second.me().user.id) if s.current)
        page = SessionsPage(admin_ctx)
        windows.append(page)
        with qtbot.waitSignal(page.sig_loaded):
            page.show()
        own = [s for s in page.sessions if s.current]
        assert len(own) == 1 and own[0].user_id == admin_ctx.me.user.id
        assert second_id in [s.id for s in page.sessions]

        page.select_session(own[0].id)
        assert not page.revoke_action.isEnabled()  # one's own session: sign out instead
        page.select_session(second_id)
        assert page.revoke_action.isEnabled()
        monkeypatch.setattr(QMessageBox, "question",
                            lambda *args, **kwargs: QMessageBox.StandardButton.Yes)
        with qtbot.waitSignal(page.sig_loaded):
            page.revoke_action.trigger()
        assert second_id not in [s.id for s in page.sessions]
        with pytest.raises(Unauthenticated):
            second.me()
    finally:
        second.close()


# -- (e) audit log ---------------------------------------------------------------------------


def test_the_audit_log_shows_the_role_change(
    qtbot: Any, admin_ctx: AppContext, windows: list[QWidget], made_role: RoleRead,
) -> None:
    editor = open_editor(qtbot, admin_ctx, windows, made_role.id)
    editor.matrix.set_scope("customer", Action.READ, DataScope.ALL)
    save(qtbot, editor)

    page = AuditPage(admin_ctx)
    windows.append(page)
    page.resize(1100, 700)
    with qtbot.waitSignal(page.sig_loaded):
        page.show()
    bar = page.filter_bar
    bar.entity.set_value("role")
    with qtbot.waitSignal(page.sig_loaded):
        qtbot.keyClicks(bar.record, str(made_role.id))
        qtbot.keyClick(bar.record, Qt.Key.Key_Return)
    assert page.current_params()["entity"] == "role"
    entries = [page.entry(row) for row in range(page.model.rowCount())]
    assert [e.action for e in entries if e] == ["permission", "create"]  # newest first
    assert page.model.index(0, page.model.column_of("changes")).data() == "Permissions"
    assert page.model.index(0, page.model.column_of("entity")).data() == "Role"
    record = page.model.index(0, page.model.column_of("record_id"))
    assert record.data() == made_role.name
    assert record.data(Qt.ItemDataRole.TextAlignmentRole) & Qt.AlignmentFlag.AlignLeft

    page.table.selectRow(0)
    rows = [tuple(page.details.item(r, c).text() for c in range(3))
            for r in range(page.details.rowCount())]
    assert ("Customers · Read", "Own", "All") in rows
    assert f"Role {made_role.name}" in page.details_title.text()
    assert f"#{made_role.id}" not in page.details_title.text()


def test_the_audit_log_filters_by_date(
    qtbot: Any, admin_ctx: AppContext, windows: list[QWidget],
) -> None:
    from datetime import date, timedelta

    page = AuditPage(admin_ctx)
    windows.append(page)
    with qtbot.waitSignal(page.sig_loaded):
        page.show()
    assert page.model.rowCount() > 0
    with qtbot.waitSignal(page.sig_loaded, timeout=3000):
        page.filter_bar.date_to.set_value(date.today() - timedelta(days=3650))
    assert "at.to" in page.current_params()
    assert page.model.rowCount() == 0
    assert page.filter_bar.clear_button.isVisibleTo(page)


def test_the_audit_log_pages_in_as_it_is_scrolled(
    qtbot: Any, admin_ctx: AppContext, windows: list[QWidget],
) -> None:
    admin_ctx.settings.page_size = 20
    page = AuditPage(admin_ctx)
    windows.append(page)
    page.resize(1000, 600)
    with qtbot.waitSignal(page.sig_loaded):
        page.show()
    assert page.model.rowCount() == 20 and page.model.next_cursor is not None
    with qtbot.waitSignal(page.sig_loaded):
        page.table.scrollToBottom()
    assert page.model.rowCount() == 40
    ids = [page.entry(row).id for row in range(40)]  # type: ignore[union-attr]
    assert ids == sorted(ids, reverse=True)  # newest first, no entry twice


# -- which pages ---------------------------------------------------------------------------


def test_console_pages_follow_the_role(
    live_server: Any, admin_ctx: AppContext, make_context: Callable[[Any], AppContext],
) -> None:
    assert [key for key, _label, _page in console_pages(admin_ctx)] == [
        "roles", "sessions", "audit", "security", "backups", "maintenance"]
    auditor = signed_in(live_server, "auditor")
    sales = signed_in(live_server, "sales")
    try:
        assert [key for key, *_rest in console_pages(make_context(auditor))] == ["audit"]
        assert console_pages(make_context(sales)) == []
    finally:
        auditor.close()
        sales.close()
