"""Filters from query parameters, checked against the entity's declaration.

Unknown parameters are an error rather than ignored: a client that misspells a filter
must not silently get the unfiltered list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select

from crm_common.entities import EntitySpec, FieldSpec, Kind
from crm_common.errors import BadRequest
from crm_common.i18n import N_
from crm_server.security import access
from crm_server.security.principal import Principal

RESERVED = frozenset({"sort", "after", "limit", "q", "deleted", "exact_total"})
_TRUE = {"1", "true", "yes"}
_FALSE = {"0", "false", "no"}


def _convert(field: FieldSpec, raw: str) -> Any:
    try:
        if field.kind in (Kind.INT, Kind.REF):
            return int(raw)
        if field.kind is Kind.BOOL:
            if raw.lower() not in _TRUE | _FALSE:
                raise ValueError(raw)
            return raw.lower() in _TRUE
    except ValueError as exc:
        raise BadRequest(N_("Filter value is not valid"), {field.name: raw}) from exc
    if field.kind is Kind.CHOICE and raw not in {c.value for c in field.choices}:
        raise BadRequest(N_("Filter value is not valid"), {field.name: raw})
    return raw


def apply_filters(stmt: Select[Any], model: Any, spec: EntitySpec, user: Principal,
                  params: Mapping[str, Sequence[str]]) -> Select[Any]:
    for name, raw_values in params.items():
        if name in RESERVED:
            continue
        if name not in spec.filter_fields or not access.may_see_field(user, spec, name):
            raise BadRequest(N_("Unknown filter"), {name: N_("This list has no such filter")})
        field = spec.field(name)
        values = [_convert(field, raw) for raw in raw_values]
        column = getattr(model, name)
        stmt = stmt.where(column == values[0] if len(values) == 1 else column.in_(values))
    return stmt
