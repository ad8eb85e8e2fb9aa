"""Filters from query parameters, checked against the entity's declaration.

``field=value`` (repeat for any of several values); a date or time field also takes
``field.from=…`` and ``field.to=…`` (ISO 8601; from inclusive, to exclusive). Unknown
parameters are an error rather than ignored: a client that misspells a filter must not
silently get the unfiltered list. Filtering by a field the user may not read is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select

from crm_common.entities import EntitySpec, FieldSpec, Kind
from crm_common.errors import BadRequest
from crm_common.i18n import N_
from crm_common.schemas.scalars import DAY, ZONED, check_text, parse_id, parse_int
from crm_server.security import access
from crm_server.security.principal import Principal

RESERVED = frozenset({"sort", "after", "limit", "q", "deleted", "exact_total"})
BOUNDS = ("", "from", "to")
_TRUE = {"1", "true", "yes"}
_FALSE = {"0", "false", "no"}


def _typed(field: FieldSpec, raw: str) -> Any:
    """``raw`` as the field's type, bounded as the wire schemas are (``scalars``): a
    64-bit integer, an id, a date-time with its zone, text without control characters."""
    if field.kind is Kind.REF:
        return parse_id(raw)
    if field.kind is Kind.INT:
        return parse_int(raw)
    if field.kind is Kind.DATETIME:
        return ZONED.validate_python(raw)
    if field.kind is Kind.DATE:
        return DAY.validate_python(raw)
    if field.kind is Kind.BOOL:
        if raw.lower() not in _TRUE | _FALSE:
            raise ValueError(raw)
        return raw.lower() in _TRUE
    if field.kind is Kind.CHOICE and raw not in {c.value for c in field.choices}:
        raise ValueError(raw)
    return check_text(raw)


def _convert(field: FieldSpec, raw: str) -> Any:
    try:
        return _typed(field, raw)
    except ValueError as exc:
        raise BadRequest(N_("Filter value is not valid"), {field.name: raw}) from exc


def apply_filters(stmt: Select[Any], model: Any, spec: EntitySpec, user: Principal,
                  params: Mapping[str, Sequence[str]]) -> Select[Any]:
    for param, raw_values in params.items():
        if param in RESERVED:
            continue
        name, _, bound = param.partition(".")
        if name not in spec.filter_fields or bound not in BOUNDS:
            raise BadRequest(N_("Unknown filter"), {param: N_("This list has no such filter")})
        access.require_visible(user, spec, [name], N_("Your role may not filter by this field"))
        field = spec.field(name)
        if bound and field.kind not in (Kind.DATE, Kind.DATETIME):
            raise BadRequest(N_("Unknown filter"), {param: N_("This list has no such filter")})
        values = [_convert(field, raw) for raw in raw_values]
        column = getattr(model, name)
        if bound == "from":
            stmt = stmt.where(column >= max(values))
        elif bound == "to":
            stmt = stmt.where(column < min(values))
        else:
            stmt = stmt.where(column == values[0] if len(values) == 1 else column.in_(values))
    return stmt
