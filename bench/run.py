"""``make bench``: the customer-list benchmark on a million customers (issue 2, "Benchmark").

1. PostgreSQL (``pg.py``): ``CRM_BENCH_DATABASE_URL`` if set, else a throwaway cluster under
   ``var/bench/pg``, kept between runs so the data is generated once.
2. Schema, data, statistics (``prepare.py``): the database is upgraded to the head migration
   (timed: on a million rows a migration that builds indexes takes a while), then
   ``bench/generate.py`` runs unless the database holds a finished generation of
   ``--customers`` customers; tables left without planner statistics are analysed.
3. Server side, in-process (``cases.py``, ``measure.py``): the product's service and HTTP
   paths, ``--runs`` timed calls per case after a warm-up, p50/p95/max against the targets;
   ``EXPLAIN (ANALYZE, BUFFERS)`` of every statement each case sends goes to
   ``bench/results/plans.txt``, figures to ``bench/results/server.json``.
4. Client side: ``bench/client_list.py`` in its own process (real server over TLS, real
   client list view offscreen) → ``bench/results/client.json``.

Exits non-zero when a part fails to run, not when a figure misses its target: the table says
which do.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pg
import prepare
from cases import server_cases
from measure import BENCH, RESULTS, ROOT, Bench
from sqlalchemy import text


def environment(bench: Bench) -> dict[str, Any]:
    with bench.engine.connect() as connection:
        settings: dict[str, str] = dict(connection.execute(text(
            "SELECT name, current_setting(name) FROM pg_settings WHERE name IN "
            "('shared_buffers', 'effective_cache_size', 'work_mem', 'random_page_cost', "
            "'jit', 'max_parallel_workers_per_gather')")).all())
        version = connection.execute(text("SHOW server_version")).scalar()
        sizes: dict[str, str] = dict(connection.execute(text(
            "SELECT relname, pg_size_pretty(pg_total_relation_size(oid)) FROM pg_class "
            "WHERE relname IN ('customer', 'contact')")).all())
        customers = connection.execute(text("SELECT count(*) FROM customer")).scalar()
    return {"postgresql": version, "settings": settings, "sizes": sizes,
            "customers": customers, "cpus": os.cpu_count()}


def server_part(url: str, args: argparse.Namespace, setup: dict[str, Any]) -> None:
    bench = Bench(url, args.runs, args.warmup)
    try:
        ratio = server_cases(bench)
        environment_now = environment(bench)
    finally:
        bench.engine.dispose()
    (RESULTS / "plans.txt").write_text("\n".join(bench.explained), "utf-8")
    report = {"environment": environment_now, **setup, "offset_vs_keyset": ratio,
              "results": [r.as_json() for r in bench.results]}
    (RESULTS / "server.json").write_text(json.dumps(report, ensure_ascii=False, indent=2),
                                         "utf-8")
    summarise(bench, ratio)


def summarise(bench: Bench, ratio: dict[str, Any]) -> None:
    print(f"\nOFFSET vs keyset at row {ratio['row']:,}: p50 {ratio['offset_p50_ms']} ms vs "
          f"{ratio['keyset_p50_ms']} ms ({ratio['ratio_p50']}×)")
    missed = [r.case + f" ({r.path})" for r in bench.results if r.passed is False]
    print("Every target met" if not missed else "Missed: " + "; ".join(missed))
    print(f"Wrote {RESULTS / 'server.json'} and {RESULTS / 'plans.txt'}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Customer list benchmark (issue 2)")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--pg-dir", type=Path, default=ROOT / "var" / "bench" / "pg")
    parser.add_argument("--fresh", action="store_true", help="new cluster, regenerate data")
    parser.add_argument("--skip-client", action="store_true")
    parser.add_argument("--skip-server", action="store_true")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    with pg.database(args.fresh, args.pg_dir) as url:
        setup = {"migration": prepare.ensure_schema(url),
                 "data": prepare.ensure_data(url, args.customers),
                 "statistics": prepare.ensure_statistics(url)}
        if not args.skip_server:
            server_part(url, args, setup)
        if not args.skip_client:
            client = subprocess.run([sys.executable, str(BENCH / "client_list.py"),
                                     "--database-url", url], check=False)
            if client.returncode != 0:
                print("client benchmark failed", file=sys.stderr)
                return client.returncode
    return 0


if __name__ == "__main__":
    sys.exit(main())
