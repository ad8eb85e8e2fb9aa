"""Backup benchmark (issue 11), on PostgreSQL: 1,000,000 customers (with their contacts) and
1,000,000 follow-ups.

In the same run, on the same database:

1. baselines: plain ``pg_dump -Fc`` to a file, and plain ``pg_restore --no-owner`` (one
   job) of that file into a new empty database;
2. ours, each in a child process (``bench/backup_child.py``) so its peak RSS is its own:
   ``service.make(settings, BackupKind.MANUAL)`` (backup + integrity verification, what
   the scheduler runs; target <= 2x pg_dump and <= 60 s, peak RSS <= 300 MB) and the
   restore drill ``service.verify(settings, archive, restore_test=True)`` (target <= 1.5x
   pg_restore and <= 180 s).

``--rounds N`` repeats baseline and ours N times, alternating, and reports each one's
median; ``--skip-restore`` measures the backup side alone (pg_restore and the drill take
minutes on a million rows). Figures to ``bench/results/backups.json``.

    .venv/bin/python bench/backups.py [--customers N] [--follow-ups N] [--rounds N]
                                      [--skip-restore]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
for _part in ("common", "server"):
    if str(ROOT / _part) not in sys.path:
        sys.path.insert(0, str(ROOT / _part))

import follow_ups  # noqa: E402
import pg  # noqa: E402
import prepare  # noqa: E402
from sqlalchemy import create_engine, make_url, text  # noqa: E402

RESULTS = BENCH / "results"
WORK = ROOT / "var" / "bench" / "backups"
MB = 1 << 20
TARGETS = {"make_ratio": 2.0, "make_seconds": 60.0, "drill_ratio": 1.5,
           "drill_seconds": 180.0, "peak_rss_mb": 300.0}


def libpq_uri(url: str, database: str | None = None) -> str:
    """The SQLAlchemy URL as a libpq connection URI (pg_dump, pg_restore)."""
    parsed = make_url(url).set(drivername="postgresql")
    if database:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


def timed_run(command: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, check=False, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command[:2])} failed:\n{done.stderr[-2000:]}")
    return round(seconds, 2)


@contextmanager
def empty_database(url: str, name: str) -> Iterator[str]:
    """A new empty database ``name`` beside the benchmark's (same encoding and locale),
    dropped afterwards; its libpq URI."""
    admin = create_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            connection.execute(text(f"CREATE DATABASE {name} TEMPLATE template0 ENCODING "
                                    "'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"))
        yield libpq_uri(url, name)
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    finally:
        admin.dispose()


def baselines(url: str, work: Path, restore: bool) -> dict[str, Any]:
    """Plain ``pg_dump -Fc`` to a file, then (with ``restore``) plain ``pg_restore`` of it
    into a new empty database (one job, ``--no-owner``)."""
    dump = work / "plain.dump"
    found: dict[str, Any] = {"pg_dump_seconds": timed_run([
        pg.pg_binary("pg_dump"), "-Fc", "-f", str(dump), f"--dbname={libpq_uri(url)}"])}
    found["pg_dump_bytes"] = dump.stat().st_size
    if restore:
        with empty_database(url, "crm_bench_plain_restore") as target:
            found["pg_restore_seconds"] = timed_run([
                pg.pg_binary("pg_restore"), "--no-owner", "--exit-on-error",
                f"--dbname={target}", str(dump)])
    dump.unlink()
    return found


def child(url: str, work: Path, *action: str) -> dict[str, Any]:
    """``bench/backup_child.py`` with ``action``: its one JSON line."""
    done = subprocess.run(
        [sys.executable, str(BENCH / "backup_child.py"), "--database-url", url,
         "--data-dir", str(work / "data"), "--backup-dir", str(work / "archives"), *action],
        check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"backup_child.py {' '.join(action)} failed:\n{done.stderr[-4000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def ours(url: str, work: Path, restore: bool) -> dict[str, Any]:
    found = {"make": child(url, work, "--make")}
    if restore:
        found["drill"] = child(url, work, "--drill", found["make"]["archive"])
    Path(found["make"]["archive"]).unlink()
    return found


def one_round(url: str, number: int, restore: bool) -> dict[str, Any]:
    WORK.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=WORK, prefix="round-") as folder:
        work = Path(folder)
        base = baselines(url, work, restore)
        print(f"  round {number}: pg_dump -Fc {base['pg_dump_seconds']} s "
              f"({base['pg_dump_bytes'] / MB:.0f} MB), pg_restore "
              f"{base.get('pg_restore_seconds', '-')} s", flush=True)
        mine = ours(url, work, restore)
        print(f"  round {number}: make {mine['make']['seconds']} s (peak RSS "
              f"{mine['make']['peak_rss_mb']} MB, {mine['make']['bytes'] / MB:.0f} MB), "
              f"restore drill {mine.get('drill', {}).get('seconds', '-')} s", flush=True)
    return {"baseline": base, **mine}


def summary(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over the rounds (a ratio: the median of each round's own, its two runs taken
    minutes apart) and the verdicts."""
    def median(pick: Callable[[dict[str, Any]], float]) -> float:
        return round(statistics.median(pick(r) for r in rounds), 2)

    dump = median(lambda r: r["baseline"]["pg_dump_seconds"])
    make = median(lambda r: r["make"]["seconds"])
    plain, archive = rounds[-1]["baseline"]["pg_dump_bytes"], rounds[-1]["make"]["bytes"]
    found: dict[str, Any] = {
        "pg_dump_seconds": dump, "make_seconds": make,
        "make_ratio": median(lambda r: r["make"]["seconds"] / r["baseline"]["pg_dump_seconds"]),
        "peak_rss_mb": max(r["make"]["peak_rss_mb"] for r in rounds),
        "pg_dump_mb": round(plain / MB, 1), "archive_mb": round(archive / MB, 1),
        "size_ratio": round(archive / plain, 3)}
    if "drill" in rounds[0]:
        restore = median(lambda r: r["baseline"]["pg_restore_seconds"])
        drill = median(lambda r: r["drill"]["seconds"])
        found.update(pg_restore_seconds=restore, drill_seconds=drill,
                     drill_ratio=median(lambda r: r["drill"]["seconds"]
                                        / r["baseline"]["pg_restore_seconds"]),
                     drill_peak_rss_mb=max(r["drill"]["peak_rss_mb"] for r in rounds))
    found["pass"] = {name: found[name] <= limit for name, limit in TARGETS.items()
                     if name in found}
    return found


def report(found: dict[str, Any]) -> None:
    verdict = {True: "met", False: "NOT MET"}
    ok = found["pass"]
    print(f"backup + verify {found['make_seconds']} s vs pg_dump -Fc {found['pg_dump_seconds']}"
          f" s -> {found['make_ratio']}x (target <= 2x: {verdict[ok['make_ratio']]}; <= 60 s: "
          f"{verdict[ok['make_seconds']]})")
    if "drill_seconds" in found:
        print(f"restore drill {found['drill_seconds']} s vs pg_restore "
              f"{found['pg_restore_seconds']} s -> {found['drill_ratio']}x (target <= 1.5x: "
              f"{verdict[ok['drill_ratio']]}; <= 180 s: {verdict[ok['drill_seconds']]}); "
              f"peak RSS {found['drill_peak_rss_mb']} MB")
    print(f"peak RSS of the backup {found['peak_rss_mb']} MB (target <= 300 MB: "
          f"{verdict[ok['peak_rss_mb']]})")
    print(f"archive {found['archive_mb']} MB vs pg_dump -Fc file {found['pg_dump_mb']} MB "
          f"({found['size_ratio']}x)")


def environment(url: str) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            rows = {name: connection.execute(text(f"SELECT count(*) FROM {name}")).scalar()
                    for name in ("customer", "contact", "activity")}
            size = connection.execute(text(
                "SELECT pg_database_size(current_database())")).scalar()
            version = connection.execute(text("SHOW server_version")).scalar()
    finally:
        engine.dispose()
    return {"rows": rows, "database_mb": round(int(size or 0) / MB), "postgresql": version,
            "pg_dump": pg.pg_binary("pg_dump"), "fsync": "off (throwaway cluster)"}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--follow-ups", type=int, help="default: as many as --customers")
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--skip-restore", action="store_true",
                        help="the backup side alone: no pg_restore, no restore drill")
    parser.add_argument("--pg-dir", type=Path, default=ROOT / "var" / "bench" / "pg-backups")
    parser.add_argument("--fresh", action="store_true", help="new cluster, regenerate data")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    count = args.customers if args.follow_ups is None else args.follow_ups
    RESULTS.mkdir(parents=True, exist_ok=True)
    with pg.database(args.fresh, args.pg_dir) as url:
        setup = {"migration": prepare.ensure_schema(url),
                 "data": prepare.ensure_data(url, args.customers),
                 "follow_ups": follow_ups.ensure(url, count, args.customers)}
        setting = environment(url)
        print(f"Database {setting['database_mb']} MB: {setting['rows']}", flush=True)
        rounds = [one_round(url, n + 1, not args.skip_restore) for n in range(args.rounds)]
    shutil.rmtree(WORK, ignore_errors=True)
    found = summary(rounds)
    report(found)
    result = {"environment": setting, **setup, "summary": found, "rounds": rounds}
    name = "backups-dump-only.json" if args.skip_restore else "backups.json"
    (RESULTS / name).write_text(json.dumps(result, indent=1, ensure_ascii=False))
    print(f"Wrote {RESULTS / name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
