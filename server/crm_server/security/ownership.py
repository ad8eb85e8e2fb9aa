"""Whose a record is: how a data scope (own / department / department and below) turns into
a WHERE condition for each kind of record. Each binding names its ownership once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from sqlalchemy import ColumnElement, and_, false, or_, select

from crm_common.permissions import Action, DataScope
from crm_server.kit.binding import BINDINGS, binding
from crm_server.security.access import reach
from crm_server.security.principal import Principal


class Ownership(Protocol):
    def condition(self, model: Any, user: Principal,
                  level: DataScope) -> ColumnElement[bool] | None:
        """Rows within ``level`` (never NONE) for ``user``; None when nothing is excluded."""


def _departments(user: Principal, level: DataScope) -> set[int]:
    """The departments a scope reaches: the user's own (own, department), or with the ones
    below it (subtree)."""
    if user.department_id is None:
        return set()
    return set(user.subtree) if level is DataScope.SUBTREE else {user.department_id}


@dataclass(frozen=True)
class ByOwner:
    """An owner column names the user; a department scope means the owner's department."""

    column: str = "owner_id"

    def condition(self, model: Any, user: Principal,
                  level: DataScope) -> ColumnElement[bool] | None:
        owner = getattr(model, self.column)
        if level is DataScope.ALL:
            return None
        # The people are few and known: a list of ids plans better than a subquery.
        people = {DataScope.DEPARTMENT: user.colleagues, DataScope.SUBTREE: user.team}.get(
            level, frozenset())
        if level is DataScope.OWN or not people:
            return owner == user.user_id  # type: ignore[no-any-return]
        return owner.in_(sorted(people | {user.user_id}))  # type: ignore[no-any-return]


@dataclass(frozen=True)
class ByDepartment:
    """Records that sit in a department themselves: a user (own: the user's own account)
    or a department (own: the user's own department)."""

    department: str
    self_column: str | None = None

    def condition(self, model: Any, user: Principal,
                  level: DataScope) -> ColumnElement[bool] | None:
        if level is DataScope.ALL:
            return None
        column: Any = getattr(model, self.department)
        if level is DataScope.OWN and self.self_column:
            own: ColumnElement[bool] = getattr(model, self.self_column) == user.user_id
            return own
        departments = _departments(user, level)
        return column.in_(departments) if departments else false()


@dataclass(frozen=True)
class Unowned:
    """Records nobody owns (roles): reachable with the ``all`` scope only."""

    def condition(self, model: Any, user: Principal,
                  level: DataScope) -> ColumnElement[bool] | None:
        return None if level is DataScope.ALL else false()


@dataclass(frozen=True)
class Via:
    """A record that belongs to the record a reference points to (a contact is its
    customer's): the scope is applied to that record's owner."""

    field: str
    target: str

    def condition(self, model: Any, user: Principal,
                  level: DataScope) -> ColumnElement[bool] | None:
        target = binding(self.target)
        inner = target.ownership.condition(target.model, user, level)
        if inner is None:
            return None
        return getattr(model, self.field).in_(  # type: ignore[no-any-return]
            select(target.model.id).where(inner))


@dataclass(frozen=True)
class Attached:
    """A file attached to any record: visible only with its record (whatever the scope
    says of the uploader, given in ``owner``)."""

    owner: ByOwner

    def condition(self, model: Any, user: Principal,
                  level: DataScope) -> ColumnElement[bool] | None:
        if user.is_admin:
            return None
        per_entity = []
        for key, target in BINDINGS.items():
            if key in ("attachment", "audit") or not user.permissions.can(key, Action.READ):
                continue
            inner = reach(user, key, Action.READ)
            if inner is None:
                per_entity.append(model.entity == key)
            else:
                per_entity.append(and_(model.entity == key, model.record_id.in_(
                    select(target.model.id).where(inner))))
        record = or_(*per_entity) if per_entity else false()
        uploader = self.owner.condition(model, user, level)
        return record if uploader is None else and_(record, uploader)
