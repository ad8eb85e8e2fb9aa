"""Filters and search from query parameters, checked against the entity's declaration.

Unknown parameters are an error rather than ignored: a client that misspells a filter
must not silently get the unfiltered list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select

from crm_common.cleansing import clean_text, to_halfwidth
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


def search_term(q: str) -> str:
    """The normalised form of what was typed: half-width, lower case; a phone-like query
    ("138-0013 8000", "+86 138…") becomes its digits."""
    term = to_halfwidth(clean_text(q)).lower()
    compact = term.replace(" ", "").replace("-", "").removeprefix("+86")
    return compact if compact.isdigit() else term


def like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def apply_search(stmt: Select[Any], model: Any, spec: EntitySpec, q: str | None) -> Select[Any]:
    if not q or not q.strip():
        return stmt
    if not spec.searchable:
        raise BadRequest(N_("This list cannot be searched"), {"q": q})
    term = search_term(q)
    return stmt.where(model.search_text.like(like_pattern(term), escape="\\"))
