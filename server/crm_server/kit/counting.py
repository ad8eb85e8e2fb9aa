"""Totals for list headers. Exact counts are cheap on small sets and ruinous on millions, so
PostgreSQL reports the planner's estimate ("约 4,400") unless the set is small or the user
asks for the exact number; SQLite (small by definition) counts, capped."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Select, func, select, text
from sqlalchemy.orm import Session

EXACT_BELOW = 5_000
SQLITE_CAP = 100_000


def _exact(session: Session, stmt: Select[Any], cap: int | None = None) -> int:
    inner = stmt.order_by(None)
    if cap is not None:
        inner = inner.limit(cap)
    return int(session.scalar(select(func.count()).select_from(inner.subquery())) or 0)


def estimate(session: Session, stmt: Select[Any]) -> int:
    """The planner's guess of how many rows ``stmt`` selects (PostgreSQL)."""
    compiled = stmt.order_by(None).compile(session.get_bind(),
                                           compile_kwargs={"literal_binds": True})
    plan = session.execute(text(f"EXPLAIN (FORMAT JSON) {compiled}")).scalar()
    document = plan if isinstance(plan, list) else json.loads(str(plan))
    return int(document[0]["Plan"]["Plan Rows"])


def total(session: Session, stmt: Select[Any], exact: bool,
          estimate_only: bool = False) -> tuple[int, bool]:
    """``(count, is_exact)`` for the rows ``stmt`` selects: counted when the user asks, else
    on PostgreSQL counted up to ``EXACT_BELOW`` when the planner expects fewer (a planner
    that guessed low costs no more than that), else its estimate. ``estimate_only``: not
    counted unless asked (a next page, whose total the first page gave; a search whose
    index finds far more rows than the scope keeps, ``kit.search``)."""
    if exact:
        return _exact(session, stmt), True
    if session.get_bind().dialect.name != "postgresql":
        count = _exact(session, stmt, SQLITE_CAP)
        return count, count < SQLITE_CAP
    planned = estimate(session, stmt)
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
