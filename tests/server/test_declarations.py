"""The declaration is the single source of an entity's fields: its ORM model (and so its
migration, which ``test_schema`` holds to the models), its wire schemas and its grants for
the built-in roles must agree with it, so a new entity that drifts fails here."""

from __future__ import annotations

from enum import StrEnum
from types import UnionType
from typing import Any, Union, get_args, get_origin

import pytest
from sqlalchemy import JSON, BigInteger, Boolean, Column, Date, Integer, Numeric, String, Text

from crm_common.entities import REGISTRY, EntitySpec, FieldSpec, Kind
from crm_common.entities.derive import read_schema
from crm_common.entities.spec import NUMERIC_KINDS
from crm_common.permissions import STAFF_ROLES
from crm_common.schemas.base import RecordRead
from crm_server.bindings import bind_all
from crm_server.db.types import UTCDateTime
from crm_server.kit.binding import binding
from crm_server.security.roles import BUILTIN

SPECS = list(REGISTRY.values())
ENVELOPE = set(RecordRead.model_fields)
# What each kind is stored as (TEXT and CHOICE: a String whose length is checked below).
STORED_AS: dict[Kind, tuple[type, ...]] = {
    Kind.TEXT: (String,), Kind.LONG_TEXT: (Text, String), Kind.CHOICE: (String,),
    Kind.INT: (Integer, BigInteger), Kind.DATE: (Date,), Kind.DATETIME: (UTCDateTime,),
    Kind.BOOL: (Boolean,), Kind.REF: (BigInteger,), Kind.TAGS: (JSON,),
    Kind.OBJECT: (JSON,), **dict.fromkeys(NUMERIC_KINDS, (Numeric,)),
}


@pytest.fixture(scope="module", autouse=True)
def _bound() -> None:
    bind_all()


def _column(spec: EntitySpec, field: FieldSpec) -> Column[Any] | None:
    columns = binding(spec.key).model.__table__.c
    return columns.get(field.name)  # type: ignore[no-any-return]


def _stored(spec: EntitySpec) -> list[FieldSpec]:
    return [f for f in spec.fields if f.stored and f.kind is not Kind.REFS]


def _problems(spec: EntitySpec, field: FieldSpec, column: Column[Any]) -> list[str]:
    kind, found = field.kind, column.type
    name = f"{spec.key}.{field.name}"
    problems = []
    if not isinstance(found, STORED_AS[kind]):
        problems.append(f"{name}: {kind} stored as {found!r}")
    if column.nullable != field.nullable:
        problems.append(f"{name}: column nullable={column.nullable}, declared {field.nullable}")
    if kind is Kind.TEXT and getattr(found, "length", None) != field.max_length:
        problems.append(f"{name}: String({getattr(found, 'length', None)}) but declared "
                        f"max_length={field.max_length}")
    if kind is Kind.LONG_TEXT and isinstance(found, String) and not isinstance(found, Text) \
            and found.length != field.max_length:
        problems.append(f"{name}: String({found.length}), max_length={field.max_length}")
    if kind is Kind.CHOICE and isinstance(found, String):
        longest = max(len(choice.value) for choice in field.choices)
        if (found.length or 0) < longest:
            problems.append(f"{name}: String({found.length}) cannot hold {longest} characters")
    if kind in NUMERIC_KINDS and isinstance(found, Numeric) and (
            found.precision, found.scale) != (18, field.scale):
        problems.append(f"{name}: Numeric({found.precision}, {found.scale}), "
                        f"declared {field.scale} places")
    if kind is Kind.REF and not spec.read_only:  # a log keeps ids without a foreign key
        targets = {fk.column.table.name for fk in column.foreign_keys}
        expected = binding(field.ref or "").model.__tablename__
        if targets != {expected}:
            problems.append(f"{name}: references {targets or 'nothing'}, not {expected}")
    return problems


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.key)
def test_columns_agree_with_the_declaration(spec: EntitySpec) -> None:
    """Type, length and nullability of every stored field are the declaration's."""
    problems: list[str] = []
    for field in spec.fields:
        column = _column(spec, field)
        if field not in _stored(spec):
            if column is not None:
                problems.append(f"{spec.key}.{field.name} is declared unstored but has a column")
            continue
        if column is None:
            problems.append(f"{spec.key}.{field.name} has no column")
            continue
        problems += _problems(spec, field, column)
    assert problems == []


def _plain(annotation: Any) -> Any:
    """An annotation with enumerations read as the strings they are on the wire."""
    if isinstance(annotation, type) and issubclass(annotation, StrEnum):
        return str
    if get_origin(annotation) in (Union, UnionType):
        return frozenset(_plain(arg) for arg in get_args(annotation))
    return annotation


@pytest.mark.parametrize("spec", [s for s in SPECS if s.read_schema is not None],
                         ids=lambda s: s.key)
def test_a_typed_read_schema_mirrors_the_derived_one(spec: EntitySpec) -> None:
    """Screens that read attributes use a typed read class; it may not say anything the
    declaration does not (the audit log's envelope is its own: no version, no times)."""
    mirror = spec.read.model_fields
    if not issubclass(spec.read, RecordRead):
        declared = {f.name for f in spec.fields} | {f.display for f in spec.fields if f.display}
        assert set(mirror) - {"id"} == declared
        return
    derived = read_schema(spec).model_fields
    assert set(mirror) == set(derived)
    for name, info in derived.items():
        assert _plain(mirror[name].annotation) == _plain(info.annotation), name


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.key)
def test_every_read_field_is_declared(spec: EntitySpec) -> None:
    declared = {f.name for f in spec.fields} | {f.display for f in spec.fields if f.display}
    assert set(spec.read.model_fields) - ENVELOPE - {"id"} <= declared


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.key)
def test_writes_take_only_declared_editable_fields(spec: EntitySpec) -> None:
    editable = {f.name for f in spec.fields if f.editable}
    extras = set(spec.inputs.model_fields) if spec.inputs else set()
    if spec.create is not None:
        assert set(spec.create.model_fields) == editable | extras
    if spec.update is not None:
        create_only = {f.name for f in spec.fields if f.create_only}
        assert set(spec.update.model_fields) == (editable - create_only) | {"version"}


def test_the_staff_roles_are_the_built_in_ones() -> None:
    assert set(STAFF_ROLES) == {r.key for r in BUILTIN if not r.admin and r.default is None}


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.key)
def test_every_entity_declares_its_grants_for_every_staff_role(spec: EntitySpec) -> None:
    """An entity without them would be seen by administrators and auditors only."""
    assert set(spec.roles) == set(STAFF_ROLES), spec.key
    for grant in spec.roles.values():
        assert set(grant.fields) <= {f.name for f in spec.fields}
