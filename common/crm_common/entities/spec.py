"""The entity registry: each business entity is declared once, here in common.

From one ``EntitySpec`` the server builds its generic routes and queries, the client its
list, form and filters, later the import mapping and export columns, and the tests their
generic contract suite. A declaration names the wire schemas (pydantic) and describes each
field for people: label, kind, choices, whether it is listed, sortable, filterable.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cached_property
from typing import Any

from pydantic import BaseModel

from crm_common.permissions import Action, EntityGrant


class Kind(StrEnum):
    """How a field is shown, edited and compared."""

    TEXT = "text"
    LONG_TEXT = "long_text"
    INT = "int"
    DECIMAL = "decimal"  # a plain decimal number, ``places`` declared (a weight, hours)
    MONEY = "money"  # an amount in yuan: 2 places
    PRICE = "price"  # a unit price: 4 places (1200.5678 stays 1200.5678)
    PERCENT = "percent"  # a rate shown with %: 13 means 13 %, 2 places
    DATE = "date"
    DATETIME = "datetime"
    BOOL = "bool"
    CHOICE = "choice"
    REF = "ref"
    REFS = "refs"  # several references (a user's roles); ``display`` carries their titles
    TAGS = "tags"
    OBJECT = "object"  # a structured value with its own schema (``model``): a role's grants


class Format(StrEnum):
    """What a text field holds, when it is more than text: checked and normalised on the
    way in (``crm_common.cleansing``), by the same rule wherever it is typed or imported."""

    MOBILE = "mobile"
    PHONE = "phone"
    EMAIL = "email"
    USCC = "uscc"
    LOGIN = "login"  # a user name: letters, digits, _ . -
    PROVINCE = "province"  # a province's full name (广东省); the import reads 广东 / 粤 as it
    CITY = "city"  # a city of the province (广州市); not in the list is allowed, and noted
    DISTRICT = "district"  # a district of the city (天河区); likewise
    SCHEDULE = "schedule"  # when a periodic task runs: daily 02:00 (``crm_common.schedules``)


# Decimal places of the numeric kinds; a DECIMAL field declares its own ``places``.
PLACES = {Kind.MONEY: 2, Kind.PRICE: 4, Kind.PERCENT: 2}
NUMERIC_KINDS = frozenset({Kind.DECIMAL, Kind.MONEY, Kind.PRICE, Kind.PERCENT})


@dataclass(frozen=True)
class Match:
    """A field whose value identifies a duplicate when records are imported (the import's
    dedupe, within the file and against the database). ``key`` reduces a value to what is
    compared (a company name without brackets, spaces and the like) and ``column`` holds the
    stored key (``name_key``); without them the field's own value is compared."""

    field: str
    key: Callable[[str], str] | None = None
    column: str | None = None

    @property
    def stored(self) -> str:
        return self.column or self.field


@dataclass(frozen=True)
class Nav:
    """Where an entity's list sits in the client's navigation: a group (an English label,
    translated) and its order there (groups keep the order of their first entity)."""

    group: str
    order: int


@dataclass(frozen=True)
class Choice:
    """One value of a CHOICE field. ``synonyms``: other wordings people write for it in
    spreadsheets (A级, 意向客户), which the import reads as this value."""

    value: str
    label: str  # English source, translated by the catalogue
    synonyms: tuple[str, ...] = ()


@dataclass(frozen=True)
class FieldSpec:
    """One field, declared once: what it holds, how people see it, how it is written.

    The wire schemas (``entities.derive``), the generic form and list, the test builders
    and the check of the ORM model and its migration (tests/server/test_declarations.py)
    all read this; nothing repeats it.

    ``display`` names the read-only companion that carries a reference's title
    (``owner_id`` → ``owner_name``); lists show that, forms edit the id.
    ``editable`` is False for fields the server sets (timestamps, computed values): they
    are read, never written. ``form`` is False for editable fields a screen of their own
    edits (a role's grants). ``create_only`` fields are given once (a login name).
    ``max_length``: characters of text (the column's length), items of a list.
    ``default`` is what a create without the field stores; ``nullable`` (the column)
    follows from ``required`` and ``default`` unless ``null`` says otherwise.
    """

    name: str
    label: str
    kind: Kind = Kind.TEXT
    choices: tuple[Choice, ...] = ()
    ref: str | None = None
    display: str | None = None
    required: bool = False
    listed: bool = True
    width: int = 120
    sortable: bool = False
    filterable: bool = False
    editable: bool = True
    placeholder: str = ""
    places: int | None = None  # DECIMAL only; the other numeric kinds have fixed places
    max_length: int | None = None
    min_length: int | None = None
    format: Format | None = None
    # Text offered from a list kept as records of another entity (a customer's industry from
    # the active industries): their titles to pick with type-ahead, other text still allowed.
    choices_from: str | None = None
    minimum: int | None = None  # numbers: the smallest and largest value accepted
    maximum: int | None = None
    default: Any = None
    null: bool | None = None
    create_only: bool = False
    unique: bool = False  # no two live records share a value (a product code)
    form: bool = True
    stored: bool = True  # False: worked out when read (a department's path), no column
    headings: tuple[str, ...] = ()  # other column headings of it in spreadsheets (公司名称)
    model: type[BaseModel] | None = None  # OBJECT: the value's schema
    # The value (a reference's title: its display) is an English text of the catalogue the
    # server gives (a scheduled task's label, a job's error): shown translated.
    translated: bool = False

    @property
    def nullable(self) -> bool:
        """Whether the stored value may be empty (the column's nullability)."""
        if self.null is not None:
            return self.null
        return not self.required and self.default is None

    @property
    def scale(self) -> int | None:
        """Decimal places of a numeric field (None for other kinds)."""
        if self.kind is Kind.DECIMAL:
            return self.places
        return PLACES.get(self.kind)

    @property
    def column(self) -> str:
        """The key of the value a list column shows."""
        return self.display or self.name

    def choice_label(self, value: str | None) -> str:
        for choice in self.choices:
            if choice.value == value:
                return choice.label
        return value or ""


@dataclass(frozen=True)
class EntitySpec:
    """One business entity. ``path`` is its REST collection under ``/api/v1``.

    Its wire schemas follow from ``fields`` (``entities.derive``): ``create`` is None where
    records are not made through the generic routes (``creatable=False``: attachments
    arrive by upload), ``create`` and ``update`` where they are never written
    (``read_only``: records of what happened, such as the audit log). ``inputs`` adds what
    a create takes that is no field of the record (a new user's password). ``read_schema``
    is a typed mirror of the derived read schema for code that reads records' attributes
    (tests/server/test_declarations.py keeps the two identical), or a read schema of its
    own where the record has no version envelope (the audit log).

    ``searchable`` means the server keeps a search text for ``q`` (names, pinyin initials,
    codes, phone digits) made of ``search_fields`` (``contact.mobile``: a field of the
    records it gathers from another entity).

    ``roles`` are the entity's grants for each built-in role, by the role's key, declared
    with the entity so a new entity reaches the people who work with it (a role left out
    gets nothing; tests/server/test_declarations.py requires every built-in role but the
    administrator and the auditor to be named).
    """

    key: str
    path: str
    label: str
    label_plural: str
    fields: tuple[FieldSpec, ...]
    roles: Mapping[str, EntityGrant] = field(default_factory=dict)
    title_field: str = "name"
    default_sort: str = "name"
    searchable: bool = False
    search_fields: tuple[str, ...] = ()
    soft_delete: bool = True
    read_only: bool = False
    creatable: bool = True
    admin_only_write: bool = False  # roles: whoever writes them could grant themselves more
    exportable: bool = False  # its lists can be exported (``crm_server.domains.export``)
    importable: bool = False  # records can be imported (``crm_server.domains.imports``)
    match: tuple[Match, ...] = ()  # what makes an imported row a duplicate (and ``unique``)
    icon: str = ""
    nav: Nav | None = None  # None: no page of its own in the navigation
    inputs: type[BaseModel] | None = None
    read_schema: type[BaseModel] | None = None

    @cached_property
    def declared_keys(self) -> frozenset[str]:
        """The wire keys the declaration knows: every field and its reference's title."""
        return frozenset(key for f in self.fields for key in (f.name, f.display) if key)

    @cached_property
    def read(self) -> type[BaseModel]:
        from crm_common.entities.derive import read_schema

        return self.read_schema or read_schema(self)

    @cached_property
    def create(self) -> type[BaseModel] | None:
        from crm_common.entities.derive import create_schema

        return None if self.read_only or not self.creatable else create_schema(self)

    @cached_property
    def update(self) -> type[BaseModel] | None:
        from crm_common.entities.derive import update_schema

        return None if self.read_only else update_schema(self)

    def field(self, name: str) -> FieldSpec:
        found = self.owns(name)
        if found is None:
            raise KeyError(f"{self.key} has no field {name!r}")
        return found

    @property
    def sort_fields(self) -> frozenset[str]:
        envelope = {"id"} if self.read_only else {"id", "created_at"}
        return frozenset(f.name for f in self.fields if f.sortable) | envelope

    @property
    def actions(self) -> frozenset[Action]:
        """The actions this entity offers at all, so a role is granted only rights that
        mean something: reading always; writing unless it is a record of what happened;
        export and import where those features exist for it."""
        offered = {Action.READ}
        if not self.read_only:
            offered |= {Action.CREATE, Action.UPDATE, Action.DELETE}
        if self.exportable:
            offered.add(Action.EXPORT)
        if self.importable and not self.read_only:
            offered.add(Action.IMPORT)
        return frozenset(offered)

    @property
    def match_keys(self) -> tuple[Match, ...]:
        """What identifies a duplicate on import: the declared matches, then every
        ``unique`` field."""
        declared = {m.field for m in self.match}
        return self.match + tuple(Match(f.name) for f in self.fields
                                  if f.unique and f.name not in declared)

    @property
    def filter_fields(self) -> frozenset[str]:
        return frozenset(f.name for f in self.fields if f.filterable)

    def owns(self, name: str) -> FieldSpec | None:
        """The field a wire key belongs to (a reference's title belongs to the reference)."""
        for spec in self.fields:
            if name in (spec.name, spec.display):
                return spec
        return None

    @property
    def listed_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.listed)

    @property
    def form_fields(self) -> tuple[FieldSpec, ...]:
        return tuple(f for f in self.fields if f.editable and f.form)


REGISTRY: dict[str, EntitySpec] = {}


def register(spec: EntitySpec) -> EntitySpec:
    if spec.key in REGISTRY:
        raise ValueError(f"entity {spec.key!r} registered twice")
    REGISTRY[spec.key] = spec
    return spec


def entity(key: str) -> EntitySpec:
    return REGISTRY[key]


def by_path(path: str) -> EntitySpec:
    for spec in REGISTRY.values():
        if spec.path == path:
            return spec
    raise KeyError(path)
