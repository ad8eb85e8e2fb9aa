"""Totals for list headers. Exact counts are cheap on small sets and ruinous on millions, so
PostgreSQL reports the planner's estimate ("约 4,400") unless the set is small or the user
asks for the exact number; SQLite (small by definition) counts, capped.

A first page that holds every row needs no count at all (``CrudService.list_page`` asks for
a total only when the page is full): most filtered lists, searches and a customer's
contacts and follow-ups end on their first page."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.sql.visitors import InternalTraversal

EXACT_BELOW = 5_000
SQLITE_CAP = 100_000


class Explain(Executable, ClauseElement):
    """``EXPLAIN (FORMAT JSON) <stmt>`` as a statement of its own: compiled once per shape
    of ``stmt`` and cached like any query, its values sent as parameters (rendering them
    into the text cost more than the estimate itself)."""

    inherit_cache = True
    _traverse_internals = [  # noqa: RUF012 (SQLAlchemy reads it from the class)
        ("stmt", InternalTraversal.dp_clauseelement)]

    def __init__(self, stmt: Select[Any]) -> None:
        self.stmt = stmt

    @property
    def _all_selected_columns(self) -> tuple[()]:
        """None of ``stmt``'s: the plan is one column, read by position."""
        return ()


@compiles(Explain, "postgresql")
def _explain(element: Explain, compiler: SQLCompiler, **kw: Any) -> str:
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.stmt, **kw)


def _exact(session: Session, stmt: Select[Any], cap: int | None = None) -> int:
    inner = stmt.order_by(None)
    if cap is not None:
        inner = inner.limit(cap)
    return int(session.scalar(select(func.count()).select_from(inner.subquery())) or 0)


def estimate(session: Session, stmt: Select[Any]) -> int:
    """The planner's guess of how many rows ``stmt`` selects (PostgreSQL)."""
    plan = session.execute(Explain(stmt.order_by(None))).scalar()
    document = plan if isinstance(plan, list) else json.loads(str(plan))
    return int(document[0]["Plan"]["Plan Rows"])


def total(session: Session, stmt: Select[Any], exact: bool, estimate_only: bool = False,
          planned: int | None = None) -> tuple[int, bool]:
    """``(count, is_exact)`` for the rows ``stmt`` selects: counted when the user asks, else
    on PostgreSQL counted up to ``EXACT_BELOW`` when the planner expects fewer (a planner
    that guessed low costs no more than that), else its estimate (``planned``, when the
    caller has it already). ``estimate_only``: not counted unless asked (a next page, whose
    total the first page gave; a search whose index finds far more rows than the scope
    keeps, ``kit.search``)."""
    if exact:
        return _exact(session, stmt), True
    if session.get_bind().dialect.name != "postgresql":
        count = _exact(session, stmt, SQLITE_CAP)
        return count, count < SQLITE_CAP
    planned = estimate(session, stmt) if planned is None else planned
    if planned >= EXACT_BELOW or estimate_only:
        return planned, False
    count = _exact(session, stmt, EXACT_BELOW)
    return (count, True) if count < EXACT_BELOW else (max(planned, count), False)


def total_within(session: Session, stmt: Select[Any], wider: int,
                 exact: bool) -> tuple[int, bool]:
    """``(count, is_exact)`` for rows the planner cannot estimate (a search limited to the
    fields a user may read), out of a set it estimated at ``wider`` rows: counted up to
    ``EXACT_BELOW``; beyond that, ``wider`` as the estimate."""
    if exact:
        return _exact(session, stmt), True
    count = _exact(session, stmt, EXACT_BELOW)
    if count < EXACT_BELOW:
        return count, True
    return max(wider, count), False
