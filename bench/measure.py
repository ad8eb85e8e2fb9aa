"""Timing the server in-process, and keeping the plans of what was timed.

``Bench`` holds the real application (``create_app``), the benchmark user as a principal and
the customer service. A case is a call timed ``runs`` times after ``warmup`` untimed calls
(p50 / p95 / max); right after, every statement one more call sends is captured and run again
under ``EXPLAIN (ANALYZE, BUFFERS)`` for ``plans.txt``.
"""

from __future__ import annotations

import math
import statistics
import sys
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for _part in ("common", "server", "client"):
    if str(ROOT / _part) not in sys.path:
        sys.path.insert(0, str(ROOT / _part))

import generate  # noqa: E402
from sqlalchemy import Engine, event, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from crm_server.app import create_app  # noqa: E402
from crm_server.kit.binding import binding  # noqa: E402
from crm_server.kit.service import ListQuery  # noqa: E402
from crm_server.models import User  # noqa: E402
from crm_server.security import roles  # noqa: E402
from crm_server.security.principal import Principal  # noqa: E402
from crm_server.settings import load_settings  # noqa: E402

RESULTS = BENCH / "results"


@dataclass
class Result:
    """One case's timings (milliseconds) against its p95 target (None: a baseline)."""

    case: str
    path: str
    target_ms: float | None
    times_ms: list[float] = field(default_factory=list)
    rows: int = 0
    note: str = ""

    @property
    def p50(self) -> float:
        return statistics.median(self.times_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.times_ms)
        return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]

    @property
    def passed(self) -> bool | None:
        return None if self.target_ms is None else self.p95 <= self.target_ms

    def as_json(self) -> dict[str, Any]:
        return {"case": self.case, "path": self.path, "target_p95_ms": self.target_ms,
                "p50_ms": round(self.p50, 2), "p95_ms": round(self.p95, 2),
                "max_ms": round(max(self.times_ms), 2), "runs": len(self.times_ms),
                "rows": self.rows, "pass": self.passed, "note": self.note}


def timed(call: Callable[[int], int], runs: int, warmup: int) -> tuple[list[float], int]:
    """Milliseconds of ``runs`` calls after ``warmup`` untimed ones; ``call(i)`` returns the
    number of rows it got."""
    rows = 0
    for i in range(warmup):
        rows = call(i)
    times = []
    for i in range(runs):
        started = time.perf_counter()
        rows = call(warmup + i)
        times.append((time.perf_counter() - started) * 1000)
    return times, rows


class Bench:
    """The app, the benchmark user, the customer service, and what was measured so far."""

    def __init__(self, url: str, runs: int, warmup: int) -> None:
        data_dir = RESULTS / "server-data"
        data_dir.mkdir(parents=True, exist_ok=True)
        self.settings = load_settings(data_dir, database_url=url, log_level="warning")
        self.app = create_app(self.settings)
        self.engine: Engine = self.app.state.engine
        self.runs, self.warmup = runs, warmup
        self.service = binding("customer").service
        self.principal = self.principal_of(generate.BENCH_USER)
        self.results: list[Result] = []
        self.explained: list[str] = []

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work as ``kit.web.transaction`` makes one per request."""
        session: Session = self.app.state.session_factory()
        session.info.update(principal=None, settings=self.settings, client_address=None)
        try:
            yield session
            session.commit()
        finally:
            session.close()

    def principal_of(self, username: str) -> Principal:
        """A user as ``kit.web.signed_in`` resolves them: their roles' grants."""
        with self.session() as session:
            user = session.scalars(select(User).where(User.username == username)).one()
            return roles.principal(session, user)

    def list_page(self, query: ListQuery, principal: Principal | None = None) -> dict[str, Any]:
        """The customer list page through the service, as the list endpoint calls it."""
        user = principal or self.principal
        with self.session() as session:
            session.info["principal"] = user
            return self.service.list_page(session, user, query)

    def run(self, case: str, target: float | None, queries: Callable[[int], ListQuery],
            note: str = "", principal: Principal | None = None) -> Result:
        """Time ``list_page(queries(i))`` (as ``principal``, else the bench administrator)."""
        def call(i: int) -> int:
            return len(self.list_page(queries(i), principal)["items"])

        return self.run_custom(case, target, call, "service", lambda: call(0), note)

    def run_custom(self, case: str, target: float | None, call: Callable[[int], int],
                   path: str, capture: Callable[[], Any], note: str = "") -> Result:
        """Time ``call``, then keep the plans of what ``capture`` sends."""
        times, rows = timed(call, self.runs, self.warmup)
        result = Result(case, path, target, times, rows, note)
        self.results.append(result)
        self.explain(case, capture)
        print_row(result)
        return result

    def capture(self, action: Callable[[], Any]) -> list[tuple[str, Any]]:
        """The SQL statements (with parameters) ``action`` sends."""
        seen: list[tuple[str, Any]] = []

        def listener(_conn: Any, _cursor: Any, statement: str, parameters: Any,
                     _context: Any, _many: bool) -> None:
            if not statement.lstrip().upper().startswith(("EXPLAIN", "SELECT 1")):
                seen.append((statement, parameters))

        event.listen(self.engine, "before_cursor_execute", listener)
        try:
            action()
        finally:
            event.remove(self.engine, "before_cursor_execute", listener)
        return seen

    def explain(self, case: str, action: Callable[[], Any]) -> None:
        """``EXPLAIN (ANALYZE, BUFFERS)`` of every statement ``action`` sends."""
        out = [f"{'=' * 100}\n{case}\n{'=' * 100}"]
        with self.engine.connect() as connection:
            for statement, parameters in self.capture(action):
                if statement.lstrip().upper().startswith("SET "):
                    # Session settings the product makes (SET LOCAL …) shape the plans after.
                    connection.exec_driver_sql(statement, parameters)
                    out.append(f"-- {_one_line(statement, parameters)}\n")
                    continue
                rows = connection.exec_driver_sql(
                    "EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).scalars().all()
                out.append(f"-- {_one_line(statement, parameters)}\n" + "\n".join(rows) + "\n")
            connection.rollback()
        self.explained.append("\n".join(out))


def _one_line(statement: str, parameters: Any) -> str:
    return " ".join(statement.split()) + f"   -- params {parameters}"


def _pad(value: str, width: int) -> str:
    """``value`` left-aligned in ``width`` terminal columns (a Chinese character takes two)."""
    used = sum(2 if unicodedata.east_asian_width(char) in "WF" else 1 for char in value)
    return value + " " * max(0, width - used)


def print_row(result: Result) -> None:
    target = "" if result.target_ms is None else f"{result.target_ms:.0f}"
    verdict = {True: "pass", False: "FAIL", None: "-"}[result.passed]
    print(f"  {_pad(result.case, 60)} {result.path:<8} {result.p50:8.1f} {result.p95:8.1f} "
          f"{max(result.times_ms):8.1f} {target:>7} {verdict:>5}  rows={result.rows}", flush=True)


def print_header(title: str) -> None:
    print(f"\n{title}\n  {'case':<60} {'path':<8} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} "
          f"{'target':>7} {'':>5}")
