"""``crm-server run`` with the load benchmark's instruments, for ``bench/load.py``: nothing of
this is in the product, and the product pays nothing when it is not used.

* ``CRM_BENCH_QUERIES=<file>``: every SQL statement is counted against the HTTP request that
  sent it (an SQLAlchemy ``before_cursor_execute`` listener and an ASGI wrapper around the
  app); the counts per route, with the statements of its latest request, are written to the
  file as JSON on SIGUSR1 and at exit.
* ``CRM_BENCH_TRACEMALLOC=<directory>``: ``tracemalloc`` traces allocations (``FRAMES`` deep) from
  the start; SIGUSR1 dumps a snapshot there (``snapshot-<n>.pickle``).

    python bench/instrumented_server.py run --data-dir ...   (same arguments as crm-server)
"""

from __future__ import annotations

import atexit
import contextvars
import json
import os
import re
import signal
import sys
import tracemalloc
from collections import defaultdict
from pathlib import Path
from types import FrameType
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

Scope = dict[str, Any]
_QUERIES: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar(
    "bench_queries", default=None)
_PER_ROUTE: dict[str, list[int]] = defaultdict(list)
_EXAMPLE: dict[str, list[str]] = {}  # the statements of a route's latest request
_SQL_SHOWN = 160  # characters of each statement kept
FRAMES = 12
_ID = re.compile(r"/\d+(?=/|$)")


class CountQueries:
    """ASGI wrapper: a counter per HTTP request, read by the cursor listener (the context is
    copied into the threadpool that runs the synchronous routes)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        statements: list[str] = []
        token = _QUERIES.set(statements)
        try:
            await self.app(scope, receive, send)
        finally:
            _QUERIES.reset(token)
            route = f"{scope['method']} {_ID.sub('/{id}', scope['path'])}"
            _PER_ROUTE[route].append(len(statements))
            _EXAMPLE[route] = statements


def _count(_connection: Any, _cursor: Any, statement: str, *_args: Any) -> None:
    statements = _QUERIES.get()
    if statements is not None:
        statements.append(" ".join(statement.split())[:_SQL_SHOWN])


def _write_queries(path: Path) -> None:
    summary = {route: {"requests": len(counts), "queries": sum(counts),
                       "per_request": round(sum(counts) / len(counts), 2),
                       "max": max(counts), "latest": _EXAMPLE[route]}
               for route, counts in sorted(_PER_ROUTE.items())}
    path.write_text(json.dumps(summary, indent=2), "utf-8")


def _install_query_counter(path: Path) -> None:
    import crm_server.app as app_module

    event.listen(Engine, "before_cursor_execute", _count)
    create_app = app_module.create_app

    def counted_app(settings: Any) -> Any:
        return CountQueries(create_app(settings))

    app_module.create_app = counted_app
    atexit.register(_write_queries, path)


def _on_signal(queries: Path | None, snapshots: Path | None) -> None:
    taken = [0]

    def handler(_signum: int, _frame: FrameType | None) -> None:
        if queries is not None:
            _write_queries(queries)
        if snapshots is not None:
            taken[0] += 1
            tracemalloc.take_snapshot().dump(str(snapshots / f"snapshot-{taken[0]}.pickle"))

    signal.signal(signal.SIGUSR1, handler)


def main() -> None:
    queries = Path(os.environ["CRM_BENCH_QUERIES"]) if "CRM_BENCH_QUERIES" in os.environ \
        else None
    snapshots = Path(os.environ["CRM_BENCH_TRACEMALLOC"]) \
        if "CRM_BENCH_TRACEMALLOC" in os.environ else None
    if snapshots is not None:
        snapshots.mkdir(parents=True, exist_ok=True)
        tracemalloc.start(FRAMES)
    if queries is not None:
        _install_query_counter(queries)
    _on_signal(queries, snapshots)
    from crm_server.cli import main as cli_main

    sys.exit(cli_main(sys.argv[1:]))


if __name__ == "__main__":
    main()
