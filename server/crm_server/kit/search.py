""""Contains" search over an entity's ``search_text`` (names, pinyin initials, codes, phone
digits), fast on a million rows.

On PostgreSQL the condition that finds the rows is an index condition: pg_trgm for terms of
three characters or more, and ``crm_cjk_pairs`` (migration 0002) for two Chinese characters,
which have no trigram. How the page is then read depends on how many rows match, by the
planner's estimate: up to ``FENCE_MAX`` they are found by that index first and sorted (the
subquery keeps the planner from walking the sort index instead, which took over a second
for a term like 苏州 whose matches sit together in name order); above it the sort index is
walked with the cheap LIKE as a filter, since a common term is met within a few hundred
rows. SQLite, small by definition, scans with LIKE.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.orm import Session, aliased
from sqlalchemy.types import Text

from crm_common.cleansing import clean_text, to_halfwidth
from crm_common.entities import EntitySpec
from crm_common.errors import BadRequest
from crm_common.i18n import N_
from crm_server.kit import counting

FENCE_MAX = 30_000  # estimated matches up to which "find, then sort" beats walking the order


def search_term(q: str) -> str:
    """The normalised form of what was typed: half-width, lower case; a phone-like query
    ("138-0013 8000", "+86 138…") becomes its digits."""
    term = to_halfwidth(clean_text(q)).lower()
    compact = term.replace(" ", "").replace("-", "").removeprefix("+86")
    return compact if compact.isdigit() else term


def like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def is_cjk_pair(term: str) -> bool:
    return len(term) == 2 and not any(char.isascii() for char in term)


def _conditions(model: Any, term: str, dialect: str) -> tuple[ColumnElement[bool],
                                                              ColumnElement[bool]]:
    """(the condition an index answers, the plain LIKE) for ``term``."""
    like = model.search_text.like(like_pattern(term), escape="\\")
    if dialect == "postgresql" and is_cjk_pair(term):
        pairs = func.crm_cjk_pairs(model.search_text, type_=ARRAY(Text))
        return pairs.contains(array([term], type_=Text)), like
    return like, like


@dataclass(frozen=True)
class Narrowed:
    """The statement a page is read from, the entity its columns come from (the model, or
    an alias of the narrowed subquery), and the total it will show. ``few``: the matches
    are found without walking a sort index, so any order costs the same (rank freely)."""

    stmt: Select[Any]
    entity: Any
    total: int
    total_exact: bool
    few: bool = False


def narrow(session: Session, stmt: Select[Any], model: Any, spec: EntitySpec, q: str | None,
           exact_total: bool) -> Narrowed:
    """``stmt`` (already scoped and filtered) narrowed to the rows matching ``q``."""
    term = search_term(q) if q else ""
    if not term:
        total, exact = counting.total(session, stmt, exact_total)
        return Narrowed(stmt, model, total, exact)
    if not spec.searchable:
        raise BadRequest(N_("This list cannot be searched"), {"q": q or ""})
    dialect = session.get_bind().dialect.name
    indexed, like = _conditions(model, term, dialect)
    total, exact = counting.total(session, stmt.where(indexed), exact_total)
    if dialect == "postgresql" and total <= FENCE_MAX:
        found = aliased(model, stmt.where(indexed).offset(0).subquery())
        return Narrowed(select(found), found, total, exact, few=True)
    return Narrowed(stmt.where(like), model, total, exact, few=dialect != "postgresql")
