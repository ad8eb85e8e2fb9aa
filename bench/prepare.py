"""The benchmark database made ready: schema at the head migration, data, planner statistics.

A migration that builds an index on an expression (0002's ``crm_cjk_pairs``) or changes a
column's type or collation (0003) leaves the planner without statistics for it until the next
ANALYZE, and autovacuum does not run one, since no rows changed. Without them every search
term is estimated at 0.5 % of the rows (so "find, then sort" is chosen for ``科技``, 14 % of a
million) and totals read "约 5,000". The benchmark measures the steady state: it lists what
lacks statistics (``server.json``: ``statistics.missing_before``), then analyses.
"""

from __future__ import annotations

import time
from typing import Any

import generate
from sqlalchemy import Engine, text

from crm_server.db.engine import make_engine
from crm_server.db.migrate import engine_revision, head_revision, upgrade_engine

TABLES = ("customer", "contact")

# Columns and expression indexes of TABLES the planner has no statistics for.
MISSING_STATISTICS = """
SELECT c.relname || '.' || a.attname FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
WHERE c.relname = ANY(:tables) AND a.attnum > 0 AND NOT a.attisdropped
  AND NOT EXISTS (SELECT 1 FROM pg_stats s WHERE s.schemaname = current_schema()
                  AND s.tablename = c.relname AND s.attname = a.attname)
UNION ALL
SELECT i.relname FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
JOIN pg_class t ON t.oid = x.indrelid
WHERE t.relname = ANY(:tables) AND x.indexprs IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM pg_stats s WHERE s.schemaname = current_schema()
                  AND s.tablename = i.relname)
ORDER BY 1
"""


def ensure_schema(url: str) -> dict[str, Any]:
    """Upgrade the database to the head migration; from which revision, in how long. A
    migration of a database holding rows may rewrite them (0005 rebuilds every search
    text): the dead row versions are vacuumed at once, as autovacuum would do during the
    measurements otherwise, and the time is kept apart (``vacuum_seconds``)."""
    engine = make_engine(url)
    try:
        before = engine_revision(engine)
        started = time.perf_counter()
        upgrade_engine(engine)
        seconds = round(time.perf_counter() - started, 1)
        head = head_revision()
        done: dict[str, Any] = {"from": before, "to": head, "seconds": seconds}
        if before == head:
            return done
        print(f"Migrated {before or 'an empty database'} → {head} in {seconds} s")
        if before is not None:
            done["vacuum_seconds"] = vacuum(engine)
        return done
    finally:
        engine.dispose()


def vacuum(engine: Engine) -> float:
    started = time.perf_counter()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text(f"VACUUM ANALYZE {', '.join(TABLES)}"))
    seconds = round(time.perf_counter() - started, 1)
    print(f"VACUUM ANALYZE {', '.join(TABLES)} in {seconds} s")
    return seconds


def ensure_data(url: str, customers: int) -> dict[str, Any]:
    """Generate the data unless a finished generation of ``customers`` is there."""
    engine = make_engine(url)
    try:
        present = generate.is_generated(engine, customers)
    finally:
        engine.dispose()
    if present:
        print(f"Data present: {customers:,} customers")
        return {"generated": False}
    print(f"Generating {customers:,} customers + contacts")
    started = time.perf_counter()
    timings = generate.generate(url, customers)
    return {"generated": True, "seconds": timings,
            "total_seconds": round(time.perf_counter() - started, 1)}


def ensure_statistics(url: str) -> dict[str, Any]:
    """ANALYZE the tables if the planner lacks statistics for some of their columns or
    expression indexes; what was missing, and how long the ANALYZE took."""
    engine = make_engine(url)
    try:
        missing = missing_statistics(engine)
        if not missing:
            return {"missing_before": []}
        print(f"No planner statistics for {', '.join(missing)}: ANALYZE")
        started = time.perf_counter()
        with engine.begin() as connection:
            connection.execute(text(f"ANALYZE {', '.join(TABLES)}"))
        return {"missing_before": missing,
                "analyze_seconds": round(time.perf_counter() - started, 1)}
    finally:
        engine.dispose()


def missing_statistics(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(text(MISSING_STATISTICS),
                                       {"tables": list(TABLES)}).scalars())
