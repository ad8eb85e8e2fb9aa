"""The entity registry: each business entity is declared once, here in common.

From one ``EntitySpec`` the server builds its generic routes and queries, the client its
list, form and filters, later the import mapping and export columns, and the tests their
generic contract suite. A declaration names the wire schemas (pydantic) and describes each
field for people: label, kind, choices, whether it is listed, sortable, filterable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

from pydantic import BaseModel

from crm_common.permissions import Action


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


# Decimal places of the numeric kinds; a DECIMAL field declares its own ``places``.
PLACES = {Kind.MONEY: 2, Kind.PRICE: 4, Kind.PERCENT: 2}
NUMERIC_KINDS = frozenset({Kind.DECIMAL, Kind.MONEY, Kind.PRICE, Kind.PERCENT})


@dataclass(frozen=True)
class Nav:
    """Where an entity's list sits in the client's navigation: a group (an English label,
    translated) and its order there (groups keep the order of their first entity)."""

    group: str
    order: int


@dataclass(frozen=True)
class Choice:
    value: str
    label: str  # English source, translated by the catalogue


@dataclass(frozen=True)
class FieldSpec:
    """One field as people see it.

    ``display`` names the read-only companion that carries a reference's title
    (``owner_id`` → ``owner_name``); lists show that, forms edit the id.
    ``editable`` is False for fields the server sets (timestamps, computed values).
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

    ``create``/``update`` are None where records are not made through the generic routes
    (attachments arrive by upload). ``searchable`` means the server keeps a search text
    for ``q`` (names, pinyin initials, codes, phone digits) made of ``search_fields``
    (``contact.mobile``: a field of the records it gathers from another entity).
    ``read_only`` entities are records of what happened (the audit log): listed and read,
    never written through the API.
    """

    key: str
    path: str
    label: str
    label_plural: str
    read: type[BaseModel]
    create: type[BaseModel] | None
    update: type[BaseModel] | None
    fields: tuple[FieldSpec, ...]
    title_field: str = "name"
    default_sort: str = "name"
    searchable: bool = False
    search_fields: tuple[str, ...] = ()
    soft_delete: bool = True
    read_only: bool = False
    admin_only_write: bool = False  # roles: whoever writes them could grant themselves more
    exportable: bool = False  # its lists can be exported (once the export exists)
    importable: bool = False  # records can be imported (once the Excel import exists)
    icon: str = ""
    nav: Nav | None = None  # None: no page of its own in the navigation
    extra: dict[str, str] = field(default_factory=dict)

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
        return tuple(f for f in self.fields if f.editable)


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
