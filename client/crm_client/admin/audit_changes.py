"""How one audit entry's changes read for people: field labels from the registry, values as
the lists show them, and a role's permissions JSON as the differences that matter
("Customers · Read: Own → All", "Customers · Phone: Editable → Masked") instead of two
blobs of JSON.
"""

from __future__ import annotations

from typing import Any

from crm_client.core.i18n import N_, _
from crm_client.models.formatting import describe_value
from crm_common.entities import REGISTRY, EntitySpec
from crm_common.permissions import (
    ACCESS_LABELS,
    ACTION_LABELS,
    SCOPE_LABELS,
    Action,
    DataScope,
    FieldAccess,
    Permissions,
)
from crm_common.schemas.security import AuditRead

PERMISSIONS = "permissions"
_EXTRA_LABELS = {  # what the server records that is no declared field
    PERMISSIONS: N_("Permissions"),
    "session": N_("Session"),
    "password": N_("Password"),
    "username": N_("Username"),
}

# What happened, as verbs like the change history's. The registry's choice labels for the
# audit ``action`` are not used: "Created" and "Signed in" there share their catalogue entry
# with the column titles (创建时间, 登录时间).
ACTION_VERBS = {
    "create": N_("Create"), "update": N_("Update"), "delete": N_("Delete"),
    "restore": N_("Restore"), "login": N_("Sign in"), "login_failed": N_("Wrong password"),
    "logout": N_("Sign out"), "revoke": N_("Revoke session"),
    "permission": N_("Change permissions"),
}

Row = tuple[str, str, str]  # label, old, new


def action_label(action: str | None) -> str:
    verb = ACTION_VERBS.get(action or "")
    return _(verb) if verb else (action or "")


def entity_label(key: str | None) -> str:
    spec = REGISTRY.get(key or "")
    return _(spec.label) if spec is not None else (key or "")


def field_label(spec: EntitySpec | None, name: str) -> str:
    owner = spec.owns(name) if spec is not None else None
    if owner is not None:
        return _(owner.label)
    extra = _EXTRA_LABELS.get(name)
    return _(extra) if extra else name


def change_rows(entry: AuditRead) -> list[Row]:
    """One row per changed field (per changed grant for permissions), as people read it."""
    spec = REGISTRY.get(entry.entity or "")
    rows: list[Row] = []
    for change in entry.changes:
        name = str(change.get("field", ""))
        old, new = change.get("old"), change.get("new")
        if name == PERMISSIONS and _is_grants(old) and _is_grants(new):
            rows += permission_rows(old, new)
        else:
            rows.append((field_label(spec, name), _value(spec, name, old),
                         _value(spec, name, new)))
    if entry.action == "create":  # every old value is empty: show only what was set
        rows = [(label, "", new) for label, _old, new in rows]
    return rows


def summary(entry: AuditRead) -> str:
    """The changed fields' labels, for the list's Changes column."""
    spec = REGISTRY.get(entry.entity or "")
    labels = dict.fromkeys(field_label(spec, str(c.get("field", ""))) for c in entry.changes)
    return _(", ").join(labels)  # 、 in Chinese


def permission_rows(old: Any, new: Any) -> list[Row]:
    """The grants that differ between two permissions JSON values (None: no grants)."""
    before = Permissions.model_validate(old or {})
    after = Permissions.model_validate(new or {})
    rows: list[Row] = []
    if before.admin != after.admin:
        rows.append((_("Administrator (all rights)"), _yes_no(before.admin),
                     _yes_no(after.admin)))
    keys = [key for key in REGISTRY if key in before.entities or key in after.entities]
    keys += sorted((before.entities.keys() | after.entities.keys()) - set(keys))
    for key in keys:
        rows += _entity_rows(key, before, after)
    return rows


def _entity_rows(key: str, before: Permissions, after: Permissions) -> list[Row]:
    spec = REGISTRY.get(key)
    entities = _(spec.label_plural) if spec is not None else key
    old_grant, new_grant = before.entities.get(key), after.entities.get(key)
    rows: list[Row] = []
    for action in Action:
        old = old_grant.scope(action) if old_grant else DataScope.NONE
        new = new_grant.scope(action) if new_grant else DataScope.NONE
        if old is not new:
            rows.append((f"{entities} · {_(ACTION_LABELS[action])}",
                         _(SCOPE_LABELS[old]), _(SCOPE_LABELS[new])))
    names = set(old_grant.fields if old_grant else ()) | set(new_grant.fields if new_grant else ())
    ordered = [f.name for f in spec.fields if f.name in names] if spec else []
    for name in ordered + sorted(names - set(ordered)):
        old_access = old_grant.access(name) if old_grant else FieldAccess.EDIT
        new_access = new_grant.access(name) if new_grant else FieldAccess.EDIT
        if old_access is not new_access:
            rows.append((f"{entities} · {field_label(spec, name)}",
                         _(ACCESS_LABELS[old_access]), _(ACCESS_LABELS[new_access])))
    return rows


def _is_grants(value: Any) -> bool:
    return value is None or isinstance(value, dict)


def _yes_no(value: bool) -> str:
    return _("Yes") if value else _("No")


def _value(spec: EntitySpec | None, name: str, value: Any) -> str:
    field = spec.owns(name) if spec is not None else None
    if field is not None and field.name == name:
        return describe_value(field, value)
    if value is None or value == "" or value == []:
        return _("(empty)")
    return str(value)
