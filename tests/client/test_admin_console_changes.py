"""Without a server: how the audit page reads an entry's changes (registry labels, values as
lists show them, a role's permissions as the grants that changed) and what the permission
matrix stores."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from crm_client.admin.audit_changes import action_label, change_rows, permission_rows, summary
from crm_client.admin.role_matrix import PermissionMatrixWidget
from crm_common.entities import REGISTRY
from crm_common.permissions import Action, DataScope, FieldAccess
from crm_common.schemas.security import AuditRead


def entry(action: str, entity: str, changes: list[dict[str, object]]) -> AuditRead:
    return AuditRead(id=1, at=datetime(2026, 1, 2, tzinfo=UTC), user_id=1, user_name="王",
                     action=action, entity=entity, record_id=7, changes=changes)


def test_permission_changes_read_as_the_grants_that_changed() -> None:
    old = {"admin": False, "entities": {
        "customer": {"actions": {"read": "own", "update": "own"}, "fields": {"notes": "hidden"}},
    }}
    new = {"admin": False, "entities": {
        "customer": {"actions": {"read": "all"}, "fields": {"phone": "masked",
                                                            "notes": "hidden"}},
        "contact": {"actions": {}, "fields": {}},
    }}
    assert permission_rows(old, new) == [
        ("Customers · Read", "Own", "All"),
        ("Customers · Edit", "Own", "None"),
        ("Customers · Phone", "Editable", "Masked"),
    ]
    assert permission_rows(new, {**new, "admin": True})[0] == (
        "Administrator (all rights)", "No", "Yes")


def test_field_changes_use_the_registry_labels_and_value_formats() -> None:
    change = entry("update", "customer", [
        {"field": "level", "old": "B", "new": "key"},
        {"field": "phone", "old": None, "new": "0512-1234567"},
    ])
    assert change_rows(change) == [("Level", "B", "Key account"),
                                   ("Phone", "(empty)", "0512-1234567")]
    assert summary(change) == "Level, Phone"


def test_a_created_record_shows_only_what_was_set() -> None:
    made = entry("create", "role", [
        {"field": "name", "old": None, "new": "质检员"},
        {"field": "permissions", "old": None,
         "new": {"entities": {"contact": {"actions": {"read": "department"}}}}},
    ])
    assert change_rows(made) == [("Name", "", "质检员"),
                                 ("Contacts · Read", "", "Own department")]
    assert summary(made) == "Name, Permissions"


def test_unknown_entities_and_fields_fall_back_to_their_names() -> None:
    odd = entry("revoke", "user", [{"field": "session", "old": 12, "new": None}])
    assert change_rows(odd) == [("Session", "12", "(empty)")]
    assert action_label("revoke") == "Revoke session"
    assert action_label("something_new") == "something_new"


def test_the_matrix_keeps_every_entity_and_only_what_differs_from_the_defaults(
    qtbot: Any,
) -> None:
    matrix = PermissionMatrixWidget()
    qtbot.addWidget(matrix)
    with qtbot.waitSignal(matrix.sig_changed):
        matrix.set_scope("contact", Action.READ, DataScope.SUBTREE)
    matrix.set_access("customer", "notes", FieldAccess.HIDDEN)
    matrix.set_access("customer", "created_at", FieldAccess.READ)  # the server sets it anyway
    matrix.set_access("customer", "phone", FieldAccess.EDIT)

    grants = matrix.permissions()
    assert set(grants.entities) == set(REGISTRY)
    assert grants.entities["contact"].actions == {Action.READ: DataScope.SUBTREE}
    assert grants.entities["customer"].fields == {"notes": FieldAccess.HIDDEN}
    assert grants.entities["user"].actions == {}
    assert matrix.selected_entity() == "customer"
    assert [matrix.access_combo("created_at").itemText(i)
            for i in range(matrix.access_combo("created_at").count())] == [
        "Hidden", "Masked", "Read-only"]  # never "Editable"


def test_a_whole_row_at_once_skips_what_a_read_only_entity_cannot_do(qtbot: Any) -> None:
    matrix = PermissionMatrixWidget()
    qtbot.addWidget(matrix)
    matrix._set_row("audit", DataScope.ALL)
    assert matrix.permissions().entities["audit"].actions == {Action.READ: DataScope.ALL}
    assert not matrix.scope_combo("audit", Action.UPDATE).isEnabled()
