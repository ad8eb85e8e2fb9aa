"""PostgreSQL's time per statement during a measured window, from ``pg_stat_statements``
(``load.py --queries``): the throwaway cluster is started with the module preloaded
(``PRELOAD``), the extension is created in the benchmark database, its counters are reset
when the window opens and the statements that took the most time are read when it closes.
On a database named by ``CRM_BENCH_DATABASE_URL`` without the module, nothing is reported.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from crm_server.db.engine import make_engine

PRELOAD = {"shared_preload_libraries": "pg_stat_statements",
           "pg_stat_statements.track_planning": "on"}
SHOWN = 400  # characters of each statement, its column lists shortened
_COLUMNS = re.compile(r"SELECT (?:DISTINCT )?(?:[\w.]+(?: AS \w+)?, )+[\w.]+(?: AS \w+)? FROM")

TOP_STATEMENTS = """
SELECT calls, round((total_exec_time + total_plan_time)::numeric, 1) AS total_ms,
       round(((total_exec_time + total_plan_time) / calls)::numeric, 3) AS mean_ms,
       round((total_plan_time / calls)::numeric, 3) AS plan_ms, rows,
       shared_blks_hit + shared_blks_read AS blocks, query
FROM pg_stat_statements WHERE dbid = (SELECT oid FROM pg_database WHERE datname =
current_database()) AND calls > 0 ORDER BY total_exec_time + total_plan_time DESC LIMIT :top
"""


def _run(url: str, statement: str, **params: Any) -> list[dict[str, Any]] | None:
    engine = make_engine(url)
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            result = connection.execute(text(statement), params)
            return [dict(row._mapping) for row in result] if result.returns_rows else []
    except DBAPIError:
        return None  # the module is not loaded in that server
    finally:
        engine.dispose()


def reset(url: str) -> bool:
    """Create the extension if need be and zero its counters; False when unavailable."""
    if _run(url, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements") is None:
        return False
    return _run(url, "SELECT pg_stat_statements_reset()") is not None


def top(url: str, count: int = 20) -> list[dict[str, Any]]:
    """The ``count`` statements with the most planning + execution time since ``reset``."""
    rows = _run(url, TOP_STATEMENTS, top=count) or []
    for row in rows:
        row["query"] = shorten(str(row["query"]))
        for key in ("total_ms", "mean_ms", "plan_ms"):
            row[key] = float(row[key])
    return rows


def shorten(query: str) -> str:
    """One line, ``SELECT a, b, c FROM`` as ``SELECT … FROM``, at most ``SHOWN`` characters."""
    return _COLUMNS.sub("SELECT … FROM", " ".join(query.split()))[:SHOWN]
