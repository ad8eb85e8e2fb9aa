""""Contains" search over an entity's ``search_text`` (names, pinyin initials, codes, phone
digits), fast on a million rows.

On PostgreSQL the condition that finds the rows is an index condition: pg_trgm for terms of
three characters or more, and ``crm_cjk_pairs`` (migration 0002) for two Chinese characters,
which have no trigram. How the page is then read depends on how many rows match, by the
planner's estimate: up to ``FENCE_MAX`` they are found by that index first and sorted (the
subquery keeps the planner from walking the sort index instead, which took over a second
for a term like 苏州 whose matches sit together in name order). Above it, a common term is
usually met within a few hundred rows of any order, so the next ``PROBE_ROWS`` rows of the
sort order are filtered with the cheap LIKE; only when they hold no full page (上海: 47,000
matches, all in one block of the name order) are the matches found first and sorted.
SQLite, small by definition, scans with LIKE.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, false, func, or_, select, text
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.orm import Session, aliased
from sqlalchemy.types import Text

from crm_common.cleansing import clean_text, to_halfwidth
from crm_common.entities import EntitySpec
from crm_common.errors import BadRequest
from crm_common.i18n import N_
from crm_server.kit import counting, paging

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


def _like(entity: Any, term: str) -> ColumnElement[bool]:
    return entity.search_text.like(like_pattern(term), escape="\\")  # type: ignore[no-any-return]


def _indexed(model: Any, term: str) -> ColumnElement[bool]:
    """The condition a PostgreSQL index answers for ``term``: Chinese character pairs for
    two Chinese characters (no trigram exists), else the trigram-indexed LIKE."""
    if is_cjk_pair(term):
        pairs = func.crm_cjk_pairs(model.search_text, type_=ARRAY(Text))
        return pairs.contains(array([term], type_=Text))
    return _like(model, term)


@dataclass(frozen=True)
class Narrowed:
    """How to read the rows matching a search: the statement and the entity its columns
    come from (the model, or an alias of the narrowed subquery), and the total to show.

    ``few``: the matches are at hand without walking a sort index, so any order costs the
    same (rank freely). ``probe``: walk the sort order filtering by it, and when that finds
    no full page nearby, read ``fallback`` (find all matches, then sort) instead."""

    stmt: Select[Any]
    entity: Any
    total: int
    total_exact: bool
    few: bool = False
    probe: Callable[[Any], ColumnElement[bool]] | None = None
    fallback: Narrowed | None = None

    def keyset(self, field: str, nullable: bool) -> paging.Keyset:
        return paging.Keyset(self.stmt, self.entity, field, nullable, self.probe)


def narrow(session: Session, stmt: Select[Any], model: Any, spec: EntitySpec, q: str | None,
           exact_total: bool, visible: list[Any] | None = None) -> Narrowed:
    """``stmt`` (already scoped and filtered) narrowed to the rows matching ``q``.

    ``visible``: when the search text holds fields the user may not read, the columns a
    match must also be found in (a letters-only term may still match pinyin initials,
    which reveal no hidden number)."""
    term = search_term(q) if q else ""
    if not term:
        total, exact = counting.total(session, stmt, exact_total)
        return Narrowed(stmt, model, total, exact)
    if not spec.searchable:
        raise BadRequest(N_("This list cannot be searched"), {"q": q or ""})
    if visible is not None and not (term.isascii() and term.isalpha()):
        pattern = like_pattern(term)
        stmt = stmt.where(or_(false(), *[func.lower(column).like(pattern, escape="\\")
                                         for column in visible]))
    dialect = session.get_bind().dialect.name
    if dialect != "postgresql":
        total, exact = counting.total(session, stmt.where(_like(model, term)), exact_total)
        return Narrowed(stmt.where(_like(model, term)), model, total, exact, few=True)
    # Parallel workers cost more than they save on the tens of thousands of rows a search
    # reads (上海 on a million customers: 68 ms with 2 workers, 55 ms without, on 2 cores).
    session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    indexed = _indexed(model, term)
    total, exact = counting.total(session, stmt.where(indexed), exact_total)
    found = aliased(model, stmt.where(indexed).offset(0).subquery())
    fenced = Narrowed(select(found), found, total, exact, few=True)
    if total <= FENCE_MAX:
        return fenced
    return Narrowed(stmt, model, total, exact, probe=lambda entity: _like(entity, term),
                    fallback=fenced)


def read_page(session: Session, narrowed: Narrowed, sort: paging.Sort, after: str | None,
              limit: int, nullable: bool) -> list[Any]:
    """Up to ``limit + 1`` matching rows after the cursor, in the sort order."""
    current: Narrowed | None = narrowed
    while current is not None:
        rows = paging.page_rows(session, current.keyset(sort.field, nullable), sort, after,
                                limit)
        if rows is not None:
            return rows
        current = current.fallback
    raise AssertionError("the last way of reading a page never declines")
