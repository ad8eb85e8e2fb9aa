"""The wire schemas of an entity, made from its declaration (``EntitySpec.fields``).

Each field's kind, length, format, bounds, default and flags decide its pydantic type in
three schemas: ``XCreate`` (the editable fields; required ones without a default must be
given), ``XUpdate`` (the same, all optional, plus the record's ``version``) and ``XRead``
(every field and its reference title, all optional: a field the viewer may not read comes
empty). Nothing here is written per entity.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, Any, Literal

from annotated_types import Interval
from pydantic import BaseModel, Field, condecimal, create_model

from crm_common.entities.spec import NUMERIC_KINDS, FieldSpec, Format, Kind
from crm_common.schemas.base import (
    Email,
    Input,
    Mobile,
    OptText,
    Phone,
    RecordRead,
    ScheduleText,
    Tags,
    Text,
    UpdateInput,
    Uscc,
)
from crm_common.schemas.scalars import Day, DbId, Int32, ZonedDateTime

if TYPE_CHECKING:
    from crm_common.entities.spec import EntitySpec

# Digits of a stored number: Numeric(18, places) in the database.
DIGITS = 18
LIST_ITEMS = 20  # a list field's items unless it declares ``max_length``
LOGIN_PATTERN = r"^[A-Za-z0-9_.\-]+$"
_FORMATS: dict[Format, Any] = {Format.MOBILE: Mobile, Format.PHONE: Phone,
                               Format.EMAIL: Email, Format.USCC: Uscc,
                               Format.SCHEDULE: ScheduleText}
_PLAIN: dict[Kind, Any] = {Kind.INT: Int32, Kind.DATE: Day, Kind.DATETIME: ZonedDateTime,
                           Kind.BOOL: bool, Kind.REF: DbId}
_READ: dict[Kind, Any] = {Kind.INT: int, Kind.DATE: date, Kind.DATETIME: datetime,
                          Kind.BOOL: bool, Kind.REF: int, Kind.TEXT: str,
                          Kind.LONG_TEXT: str, Kind.CHOICE: str,
                          Kind.OBJECT: dict[str, Any]}


def _text(field: FieldSpec, optional: bool) -> Any:
    """Text as people type it, cleaned (``schemas.base.Text``). A field that may be empty
    takes "" as empty; one that may not (a name) refuses "" even in a change."""
    if field.format in _FORMATS:
        return _FORMATS[field.format]
    if field.nullable:
        return OptText
    return Text | None if optional else Text


def _number(field: FieldSpec) -> Any:
    places = field.scale
    if places is None:
        raise ValueError(f"{field.name}: a DECIMAL field declares its places")
    return condecimal(max_digits=DIGITS, decimal_places=places, ge=field.minimum,
                      le=field.maximum)


def input_type(field: FieldSpec, optional: bool) -> Any:
    """The type a create or update accepts for ``field`` (None too when ``optional``);
    its lengths are ``constraints``."""
    kind = field.kind
    if kind in (Kind.TEXT, Kind.LONG_TEXT):
        return _text(field, optional)  # optional text folds "" into None itself
    if kind in NUMERIC_KINDS:
        base = _number(field)
    elif kind is Kind.CHOICE:
        base = Literal[tuple(choice.value for choice in field.choices)]
    elif kind is Kind.REFS:
        base = list[DbId]
    elif kind is Kind.TAGS:
        base = Tags
    elif kind is Kind.OBJECT and field.model is not None:
        base = field.model
    elif kind is Kind.INT:
        base = Annotated[Int32, Interval(ge=field.minimum, le=field.maximum)]
    elif kind in _PLAIN:
        base = _PLAIN[kind]
    else:
        raise ValueError(f"{field.name}: no wire type for {kind}")
    return base | None if optional else base


def constraints(field: FieldSpec) -> dict[str, Any]:
    """The lengths and pattern of ``field`` as pydantic ``Field`` arguments."""
    if field.kind in (Kind.REFS, Kind.TAGS):
        return {"max_length": field.max_length or LIST_ITEMS}
    if field.kind not in (Kind.TEXT, Kind.LONG_TEXT) or field.format in _FORMATS:
        return {}
    found: dict[str, Any] = {"max_length": field.max_length}
    if not field.nullable:
        found["min_length"] = field.min_length or 1
    if field.format is Format.LOGIN:
        found["pattern"] = LOGIN_PATTERN
    return found


def read_type(field: FieldSpec) -> tuple[Any, Any]:
    """The type and default of ``field`` in the read schema."""
    if field.kind in (Kind.REFS, Kind.TAGS):
        return list[int] if field.kind is Kind.REFS else list[str], Field(default_factory=list)
    if field.kind is Kind.OBJECT and field.model is not None:
        return field.model, Field(default_factory=field.model)
    if field.kind in NUMERIC_KINDS:
        return Decimal | None, None
    return _READ[field.kind] | None, None


def _model(spec: EntitySpec, suffix: str, base: type[BaseModel],
           fields: dict[str, Any]) -> type[BaseModel]:
    """The schema ``<Entity><suffix>`` (``CustomerCreate``), as the API documents it."""
    name = "".join(part.title() for part in spec.key.split("_")) + suffix
    return create_model(name, __base__=base, __module__=__name__, **fields)


def read_schema(spec: EntitySpec) -> type[BaseModel]:
    """``XRead``: the envelope, every declared field, and each reference's title."""
    fields: dict[str, Any] = {}
    for field in spec.fields:
        if field.name in RecordRead.model_fields:
            continue
        fields[field.name] = read_type(field)
        if field.display:
            fields[field.display] = ((list[str], Field(default_factory=list))
                                     if field.kind is Kind.REFS else (str | None, None))
    return _model(spec, "Read", RecordRead, fields)


def _creating(field: FieldSpec) -> tuple[Any, Any]:
    limits = constraints(field)
    if field.required and field.default is None:
        return input_type(field, optional=False), Field(..., **limits)
    if field.kind is Kind.OBJECT and field.model is not None:
        return input_type(field, optional=False), Field(default_factory=field.model)
    if field.kind in (Kind.REFS, Kind.TAGS):
        return input_type(field, optional=False), Field(default_factory=list, **limits)
    default = field.default
    if field.kind in NUMERIC_KINDS and default is not None:
        default = Decimal(str(default))  # 13 → Decimal("13"), never through a float
    return input_type(field, optional=default is None), Field(default=default, **limits)


def create_schema(spec: EntitySpec) -> type[BaseModel]:
    """``XCreate``: every editable field (and ``spec.inputs``); unknown keys refused."""
    fields: dict[str, Any] = {field.name: _creating(field) for field in spec.fields
                              if field.editable}
    return _model(spec, "Create", spec.inputs or Input, fields)


def update_schema(spec: EntitySpec) -> type[BaseModel]:
    """``XUpdate``: the editable fields a change may send, each optional, and ``version``."""
    fields: dict[str, Any] = {
        field.name: (input_type(field, optional=True), Field(default=None, **constraints(field)))
        for field in spec.fields if field.editable and not field.create_only}
    return _model(spec, "Update", UpdateInput, fields)
