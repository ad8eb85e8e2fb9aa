"""The single access choke point (ARCHITECTURE §4).

Every query of records starts from ``scope``; every record leaves through ``present_many``;
every write enters through ``accept``; sorting, filtering, totals and history ask
``may_see_field``, a search ``search_segments``, a list without an order ``list_order``.
The one read past the data scope, a clash check's, is ``clashes``. Lists, detail, search,
history, attachments, the audit view — and later export, import, reports, PDFs and
webhooks — call these and nothing else, so one rule here holds on every path.

The rules come from the user's roles (``crm_common.permissions``): each action on an entity
has a data scope (own / own department / department and below / all), applied to the
record's owner through its binding's ``ownership``; each field is hidden, masked,
read-only or editable.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, case, false, null, or_, select
from sqlalchemy.orm import Session

from crm_common.entities import EntitySpec, FieldSpec
from crm_common.errors import Forbidden
from crm_common.i18n import N_
from crm_common.permissions import (
    SCOPE_ORDER,
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
    """Refuse an action the user's roles do not grant at all (the rule is common's
    ``Permissions.refusal``: the client hides what it refuses)."""
    reason = user.permissions.refusal(spec, action)
    if reason is not None:
        raise Forbidden(reason)


def field_access(user: Principal, spec: EntitySpec, field: FieldSpec) -> FieldAccess:
    return user.permissions.access(spec.key, field.name)


def may_see_field(user: Principal, spec: EntitySpec, name: str) -> bool:
    """Whether the value of ``name`` may be read (and so sorted, filtered, searched,
    totalled or grouped by). Envelope fields (id, times) are always visible."""
    field = spec.owns(name)
    if field is None:
        return True
    return user.permissions.sees(spec.key, field.name)


@dataclass(frozen=True)
class Clash:
    """A record a clash check found: ``record`` as the user may see it when they may
    identify it (else None), ``owner_id`` when they may read whose it is, and ``matched``,
    the field of the first condition it met."""

    record: BaseModel | None
    owner_id: int | None
    matched: str


def clashes(session: Session, user: Principal, spec: EntitySpec,
            conditions: Mapping[str, ColumnElement[bool]], limit: int) -> list[Clash]:
    """Live records of ``spec`` of any owner meeting one of ``conditions`` (by field name,
    the first taking precedence): the one deliberate read past the data scope, since a
    clash check (撞单) exists to tell that a customer is already someone's.

    Of a record out of reach it learns only that it exists, which condition it met and its
    owner. A record is named only when it is within the user's read scope (the entity's
    scoped query) and the user may read its title and the matched field in full; it then
    leaves through ``present_many`` like any other."""
    target = binding(spec.key)
    model = target.model
    owner = model.owner_id if spec.owns("owner_id") else null()
    matched = case(*((condition, name) for name, condition in conditions.items()))
    found = session.execute(select(model.id, owner, matched).where(
        or_(*conditions.values()), model.deleted_at.is_(None))
        .order_by(model.id).limit(limit)).all()
    named = [record_id for record_id, _, field in found if all(
        may_see_field(user, spec, name) for name in (spec.title_field, field))]
    reached = list(session.scalars(target.service.base_query(user).where(
        model.id.in_(named))))
    records = dict(zip([r.id for r in reached],
                       target.service.present_many(session, user, reached), strict=True))
    owners = may_see_field(user, spec, "owner_id")
    return [Clash(records.get(record_id), owner_id if owners else None, field)
            for record_id, owner_id, field in found]


def existing(session: Session, spec: EntitySpec, column: str,
             values: Iterable[object]) -> dict[object, list[int]]:
    """The live records of ``spec`` of any owner whose ``column`` holds one of ``values``:
    their ids by value. The import's duplicate check, the second deliberate read past the
    data scope beside ``clashes`` and for the same reason (a customer already someone's is
    not to be created again): it learns existence only. Whether a found record may be
    changed is asked of ``reach`` before anything is written, and nothing of it is shown."""
    wanted = list(dict.fromkeys(values))
    if not wanted:
        return {}
    model = binding(spec.key).model
    stmt = select(model.id, getattr(model, column)).where(getattr(model, column).in_(wanted))
    if spec.soft_delete:
        stmt = stmt.where(model.deleted_at.is_(None))
    found: dict[object, list[int]] = {}
    for record_id, value in session.execute(stmt.order_by(model.id)):
        found.setdefault(value, []).append(record_id)
    return found


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
    """Records' values (``rows``, consumed) as ``user`` may see them, as ``spec.read``
    models. Fails closed: only the envelope and the declared fields (with their titles) the
    user may read leave; whatever else a service put in a row (a column, a computed value)
    that the declaration does not know is withheld, administrators' rows included (keys the
    read schema lacks are ignored by it). A masked field leaves as its masked form in
    ``masked``, made of the stored value (a masked date or amount shows nothing of itself).
    References' titles were already limited to what the viewer may read (``refs``). The
    user's field rights are looked up once for all rows."""
    withheld, masked = _withheld_keys(user, spec)
    return [spec.read.model_validate(_withheld(values, withheld, masked)) for values in rows]


def _withheld_keys(user: Principal, spec: EntitySpec
                   ) -> tuple[frozenset[str], tuple[str, ...]]:
    """The keys of ``spec.read`` no row's value may fill for ``user`` — those the
    declaration does not know, ``masked`` (made here) and the fields and titles hidden or
    masked from the user — and the masked ones among them."""
    if user.is_admin:  # every declared field is readable
        return frozenset(spec.read.model_fields) - ENVELOPE - spec.declared_keys, ()
    readable: set[str] = set(ENVELOPE)
    masked: list[str] = []
    for field in spec.fields:
        access = field_access(user, spec, field)
        keys = [field.name, *([field.display] if field.display else [])]
        if access is FieldAccess.MASKED and field.name not in ENVELOPE:
            masked += keys
        elif access is not FieldAccess.HIDDEN or field.name in ENVELOPE:
            readable.update(keys)
    return frozenset(spec.read.model_fields) - readable, tuple(masked)


def _withheld(values: dict[str, Any], withheld: frozenset[str],
              masked: tuple[str, ...]) -> dict[str, Any]:
    forms = {key: form for key in masked if (form := mask(values.get(key))) is not None}
    for key in withheld:
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


def present_changes(user: Principal, spec: EntitySpec | None,
                    changes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Audit changes of a record of ``spec`` (None: a table no entity declares, such as the
    security policy) as ``user`` may see them: hidden fields left out, masked ones masked,
    and — failing closed — nothing of a field or table the declaration does not know.
    Administrators, who hold every right and run the system's own tables, see all."""
    if user.is_admin:
        return changes
    if spec is None:
        return []
    shown = []
    for change in changes:
        field = spec.owns(change["field"])
        access = FieldAccess.HIDDEN if field is None else field_access(user, spec, field)
        if access is FieldAccess.HIDDEN:
            continue
        if access is FieldAccess.MASKED:
            change = {**change, "old": mask(change.get("old")), "new": mask(change.get("new"))}
        shown.append(change)
    return shown
