"""What a role may do: per entity, each action with a data scope; per field, an access level.

One model for the server (which enforces it), the client (which hides what a role cannot
do) and the wire (roles are edited as this JSON). A user's roles merge by taking, for each
action and each field, the most permissive of them. An administrator role may do
everything, including the admin console.

Fields a role does not mention are editable; actions it does not mention are refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, Field

from crm_common.i18n import N_


class Action(StrEnum):
    CREATE = "create"
    READ = "read"
    UPDATE = "update"
    DELETE = "delete"
    EXPORT = "export"
    IMPORT = "import"


# The actions that change records (export reads them).
WRITES = frozenset({Action.CREATE, Action.UPDATE, Action.DELETE, Action.IMPORT})


class DataScope(StrEnum):
    """Which records an action reaches, by the record's owner and the owner's department."""

    NONE = "none"
    OWN = "own"
    DEPARTMENT = "department"
    SUBTREE = "subtree"  # own department and the departments below it
    ALL = "all"


class FieldAccess(StrEnum):
    """How a field is shown. ``masked``: the viewer learns a value exists (138****5678), not
    what it is."""

    HIDDEN = "hidden"
    MASKED = "masked"
    READ = "read"
    EDIT = "edit"


SCOPE_ORDER = tuple(DataScope)
ACCESS_ORDER = tuple(FieldAccess)

ACTION_LABELS = {
    Action.CREATE: N_("Create"), Action.READ: N_("Read"), Action.UPDATE: N_("Edit"),
    Action.DELETE: N_("Delete"), Action.EXPORT: N_("Export"), Action.IMPORT: N_("Import"),
}
SCOPE_LABELS = {
    DataScope.NONE: N_("None"), DataScope.OWN: N_("Own"),
    DataScope.DEPARTMENT: N_("Own department"),
    DataScope.SUBTREE: N_("Department and below"), DataScope.ALL: N_("All"),
}
ACCESS_LABELS = {
    FieldAccess.HIDDEN: N_("Hidden"), FieldAccess.MASKED: N_("Masked"),
    FieldAccess.READ: N_("Read-only"), FieldAccess.EDIT: N_("Editable"),
}


def wider_scope(a: DataScope, b: DataScope) -> DataScope:
    return a if SCOPE_ORDER.index(a) >= SCOPE_ORDER.index(b) else b


def wider_access(a: FieldAccess, b: FieldAccess) -> FieldAccess:
    return a if ACCESS_ORDER.index(a) >= ACCESS_ORDER.index(b) else b


class Guarded(Protocol):
    """What ``Permissions.refusal`` reads of an entity's declaration (an ``EntitySpec``)."""

    @property
    def key(self) -> str: ...

    @property
    def read_only(self) -> bool: ...

    @property
    def admin_only_write(self) -> bool: ...

    @property
    def actions(self) -> frozenset[Action]: ...


class EntityGrant(BaseModel):
    """One entity in a role: the scope of each action, and the fields not simply editable."""

    model_config = ConfigDict(extra="forbid")

    actions: dict[Action, DataScope] = Field(default_factory=dict)
    fields: dict[str, FieldAccess] = Field(default_factory=dict)

    def scope(self, action: Action) -> DataScope:
        return self.actions.get(action, DataScope.NONE)

    def access(self, field: str) -> FieldAccess:
        return self.fields.get(field, FieldAccess.EDIT)


def grant(read: DataScope = DataScope.NONE, create: DataScope = DataScope.NONE,
          update: DataScope = DataScope.NONE, delete: DataScope = DataScope.NONE,
          export: DataScope = DataScope.NONE, import_: DataScope = DataScope.NONE,
          fields: dict[str, FieldAccess] | None = None) -> EntityGrant:
    """An entity's grant in a role, each action with its scope (none when not given)."""
    actions = {Action.CREATE: create, Action.READ: read, Action.UPDATE: update,
               Action.DELETE: delete, Action.EXPORT: export, Action.IMPORT: import_}
    return EntityGrant(actions={k: v for k, v in actions.items() if v is not DataScope.NONE},
                       fields=fields or {})


def crud(scope: DataScope, **fields: FieldAccess) -> EntityGrant:
    """Create, read, change and delete within ``scope``; ``fields`` not simply editable."""
    return grant(scope, scope, scope, scope, fields=fields)


# The built-in roles whose grants each entity declares (``EntitySpec.roles``); the
# administrator may do everything and the auditor reads everything, whatever is declared.
STAFF_ROLES = ("sales_manager", "sales_rep", "finance", "service_dispatcher",
               "service_engineer")


def for_staff(entity_grant: EntityGrant) -> dict[str, EntityGrant]:
    """The same grant for every built-in staff role (the people and departments everyone
    looks up; nothing at all, for what only administrators touch)."""
    return dict.fromkeys(STAFF_ROLES, entity_grant)


class Permissions(BaseModel):
    """A role's grants, or the merged grants of a user's roles."""

    model_config = ConfigDict(extra="forbid")

    admin: bool = False
    entities: dict[str, EntityGrant] = Field(default_factory=dict)

    def scope(self, entity: str, action: Action) -> DataScope:
        if self.admin:
            return DataScope.ALL
        grant = self.entities.get(entity)
        return grant.scope(action) if grant else DataScope.NONE

    def can(self, entity: str, action: Action) -> bool:
        return self.scope(entity, action) is not DataScope.NONE

    def refusal(self, spec: Guarded, action: Action) -> str | None:
        """Why ``action`` on ``spec``'s records is refused at all (a message to translate),
        or None when these grants allow it on some records. The one rule for the server,
        which enforces it, and the client, which hides what it would refuse."""
        if action in WRITES and spec.read_only:
            return N_("These records cannot be changed")
        if action not in spec.actions:  # no export or import exists for these records
            return N_("Not available for these records")
        if action in WRITES and spec.admin_only_write and not self.admin:
            return N_("Only administrators may do this")
        if not self.can(spec.key, action):
            return N_("Your role does not allow this")
        return None

    def access(self, entity: str, field: str) -> FieldAccess:
        """How ``field`` of ``entity`` is shown; nothing of an unreadable entity is."""
        if self.admin:
            return FieldAccess.EDIT
        grant = self.entities.get(entity)
        if grant is None or grant.scope(Action.READ) is DataScope.NONE:
            return FieldAccess.HIDDEN
        return grant.access(field)

    def sees(self, entity: str, field: str) -> bool:
        """Whether the value itself may be read (and so sorted, filtered, searched by)."""
        return self.access(entity, field) in (FieldAccess.READ, FieldAccess.EDIT)

    @classmethod
    def merge(cls, grants: Iterable[Permissions]) -> Permissions:
        """The most permissive of each action's scope and each field's access. A role that
        grants nothing on an entity does not widen that entity's fields."""
        roles = list(grants)
        merged: dict[str, EntityGrant] = {}
        for entity in {key for role in roles for key in role.entities}:
            items = [role.entities[entity] for role in roles
                     if entity in role.entities and role.entities[entity].actions]
            if not items:
                continue
            actions: dict[Action, DataScope] = {}
            for item in items:
                for action, scope in item.actions.items():
                    actions[action] = wider_scope(actions.get(action, DataScope.NONE), scope)
            fields: dict[str, FieldAccess] = {}
            for name in {name for item in items for name in item.fields}:
                widest = FieldAccess.HIDDEN
                for item in items:
                    widest = wider_access(widest, item.access(name))
                if widest is not FieldAccess.EDIT:
                    fields[name] = widest
            merged[entity] = EntityGrant(actions=actions, fields=fields)
        return cls(admin=any(role.admin for role in roles), entities=merged)


MASK = "****"


def mask(value: Any) -> str | None:
    """A value shown as existing but unreadable: 138****5678, 91310000****1234, z***@qq.com.

    Long codes keep their ends (people recognise a number they have), short text its first
    character, numbers and dates nothing."""
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool | int | float | Decimal | date | datetime):
        return MASK
    text = value if isinstance(value, str) else ", ".join(map(str, value))
    if "@" in text:
        local, _, domain = text.partition("@")
        return f"{local[:1]}***@{domain}"
    compact = text.replace(" ", "").replace("-", "")
    if len(compact) >= 15:
        return f"{compact[:8]}{MASK}{compact[-4:]}"
    if len(compact) >= 7 and sum(ch.isdigit() for ch in compact) >= len(compact) - 1:
        return f"{compact[:3]}{MASK}{compact[-4:]}"
    return f"{text[:1]}{MASK}"
