"""The single access choke point (ARCHITECTURE §4).

Every query of records starts from ``scope``; every record leaves through ``present_many``;
every write enters through ``accept``; sorting, filtering, totals and history ask
``may_see_field``, a search ``search_segments``, a list without an order ``list_order``, a
clash check ``may_identify``. Lists, detail, search, history, attachments, the audit view —
and later export, import, reports, PDFs and webhooks — call these and nothing else, so one
rule here holds on every path.

The rules come from the user's roles (``crm_common.permissions``): each action on an entity
has a data scope (own / own department / department and below / all), applied to the
record's owner through its binding's ``ownership``; each field is hidden, masked,
read-only or editable.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, false

from crm_common.entities import EntitySpec, FieldSpec
from crm_common.errors import Forbidden
from crm_common.i18n import N_
from crm_common.permissions import (
    SCOPE_ORDER,
    WRITES,
    Action,
    DataScope,
    FieldAccess,
    mask,
)
from crm_server.kit.binding import binding
from crm_server.security.principal import Principal

# Shown whatever the field rights say: they identify the record and its version.
ENVELOPE = frozenset({"id", "version", "created_at", "updated_at", "deleted_at"})


def reach(user: Principal, key: str, action: Action = Action.READ) -> ColumnElement[bool] | None:
    """The condition selecting the records of entity ``key`` that ``user`` may ``action``;
    None when every record is within reach."""
    level = user.permissions.scope(key, action)
    if level is DataScope.NONE:
        return false()
    target = binding(key)
    return target.ownership.condition(target.model, user, level)


def scope(stmt: Select[Any], user: Principal, spec: EntitySpec,
          action: Action = Action.READ) -> Select[Any]:
    """``stmt`` narrowed to the rows ``user`` may ``action`` for ``spec``."""
    condition = reach(user, spec.key, action)
    return stmt if condition is None else stmt.where(condition)


def may(user: Principal, spec: EntitySpec, action: Action) -> None:
    """Refuse an action the user's roles do not grant at all."""
    if spec.read_only and action in WRITES:
        raise Forbidden(N_("These records cannot be changed"))
    if spec.admin_only_write and action in WRITES and not user.is_admin:
        raise Forbidden(N_("Only administrators may do this"))
    if not user.permissions.can(spec.key, action):
        raise Forbidden(N_("Your role does not allow this"))


def field_access(user: Principal, spec: EntitySpec, field: FieldSpec) -> FieldAccess:
    return user.permissions.access(spec.key, field.name)


def may_see_field(user: Principal, spec: EntitySpec, name: str) -> bool:
    """Whether the value of ``name`` may be read (and so sorted, filtered, searched,
    totalled or grouped by). Envelope fields (id, times) are always visible."""
    field = spec.owns(name)
    if field is None:
        return True
    return user.permissions.sees(spec.key, field.name)


def may_identify(user: Principal, spec: EntitySpec, reachable: bool,
                 matched: Iterable[str]) -> bool:
    """Whether a record found by the values of the ``matched`` fields (a clash check's match)
    may be named to ``user``: only one within their read scope whose title and matched
    fields they may read in full. Otherwise the user learns no more than that such a
    record exists (and whose it is, if they may read its owner)."""
    return reachable and all(may_see_field(user, spec, name)
                             for name in (spec.title_field, *matched))


def require_visible(user: Principal, spec: EntitySpec, names: Iterable[str],
                    message: str) -> None:
    """Refuse to sort, filter, total or group by a field the user may not read."""
    hidden = {name: message for name in names if not may_see_field(user, spec, name)}
    if hidden:
        raise Forbidden(message, hidden)


def list_order(user: Principal, spec: EntitySpec, requested: str | None) -> str:
    """The order of a list: the one asked for (checked by the caller like any sort), else
    the entity's default, else, when the user may not read the default's field, newest
    first (creation time, or id where records have none): always readable and meaningful,
    where the next sortable field might be a coarse one such as a level."""
    if requested:
        return requested
    if may_see_field(user, spec, spec.default_sort.removeprefix("-")):
        return spec.default_sort
    return "-created_at" if "created_at" in spec.sort_fields else "-id"


def search_segments(user: Principal, spec: EntitySpec) -> tuple[int, ...] | None:
    """The segments of ``spec``'s search text a search by ``user`` may match in: the
    positions (1-based) of the ``search_fields`` whose values the user may read in full
    (masked is not), or None when that is all of them.

    A field gathered from related records (a customer's ``contact.mobile``) counts only
    when the user reads it and every such record of a record they reach: those records'
    scope follows this one's owner, so a read scope on them as wide as on ``spec``."""
    readable = tuple(position for position, name in enumerate(spec.search_fields, 1)
                     if _reads_source(user, spec, name))
    return None if len(readable) == len(spec.search_fields) else readable


def _reads_source(user: Principal, spec: EntitySpec, name: str) -> bool:
    key, _, field = name.rpartition(".")
    if not key:
        return user.permissions.sees(spec.key, field)
    if not user.permissions.sees(key, field):
        return False
    related = user.permissions.scope(key, Action.READ)
    own = user.permissions.scope(spec.key, Action.READ)
    return SCOPE_ORDER.index(related) >= SCOPE_ORDER.index(own)


def present_many(rows: list[dict[str, Any]], user: Principal,
                 spec: EntitySpec) -> list[BaseModel]:
    """Records' values (``rows``, consumed) as ``user`` may see them, as ``spec.read`` models:
    hidden fields are left out (the wire shows their empty default), masked ones too with
    their masked form in ``masked``, made of the stored value (a masked date or amount shows
    nothing of itself). References' titles were already limited to what the viewer may read
    (``refs``). The user's field rights are looked up once for all the rows."""
    read = spec.read
    if user.is_admin:
        return [read.model_validate(values) for values in rows]
    hidden, masked = _unreadable(user, spec)
    return [read.model_validate(_withheld(values, hidden, masked)) for values in rows]


def _unreadable(user: Principal, spec: EntitySpec) -> tuple[frozenset[str], tuple[str, ...]]:
    """The keys of ``spec``'s values (fields and their titles) ``user`` may not read, and
    the masked ones among them."""
    hidden: list[str] = []
    masked: list[str] = []
    for field in spec.fields:
        if field.name in ENVELOPE:
            continue
        access = field_access(user, spec, field)
        keys = [field.name, *([field.display] if field.display else [])]
        if access in (FieldAccess.HIDDEN, FieldAccess.MASKED):
            hidden += keys
        if access is FieldAccess.MASKED:
            masked += keys
    return frozenset(hidden), tuple(masked)


def _withheld(values: dict[str, Any], hidden: frozenset[str],
              masked: tuple[str, ...]) -> dict[str, Any]:
    forms = {key: form for key in masked if (form := mask(values.get(key))) is not None}
    for key in hidden:
        values.pop(key, None)
    if forms:
        values["masked"] = forms
    return values


def accept(changes: dict[str, Any], user: Principal, spec: EntitySpec,
           action: Action) -> dict[str, Any]:
    """The changes ``user`` may make, unchanged; any field the user may not edit is refused
    with a field error (never silently dropped)."""
    may(user, spec, action)
    refused = {}
    for name in changes:
        field = spec.owns(name)
        if field is not None and field_access(user, spec, field) is not FieldAccess.EDIT:
            refused[name] = N_("You may not change this field")
    if refused:
        raise Forbidden(N_("Some fields may not be changed by your role"), refused)
    return changes


def present_changes(user: Principal, spec: EntitySpec,
                    changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Audit changes as ``user`` may see them: hidden fields left out, masked ones masked."""
    shown = []
    for change in changes:
        field = spec.owns(change["field"])
        if field is None or user.is_admin:
            shown.append(change)
            continue
        access = field_access(user, spec, field)
        if access is FieldAccess.HIDDEN:
            continue
        if access is FieldAccess.MASKED:
            change = {**change, "old": mask(change.get("old")), "new": mask(change.get("new"))}
        shown.append(change)
    return shown
