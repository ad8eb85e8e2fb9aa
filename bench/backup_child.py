"""One measured run of the product's backup code in its own process, for
``bench/backups.py``, so its peak RSS is its own:

* ``--make``: ``service.make(settings, BackupKind.MANUAL)``, a backup and its integrity
  verification (what the scheduler runs);
* ``--drill ARCHIVE``: ``service.verify(settings, ARCHIVE, restore_test=True)``, the restore
  drill (a scratch database, row counts and checksums).

Prints one JSON line: seconds, peak RSS (``VmHWM``), CPU seconds of this process (Python:
the archive's compression, encryption and hashing) and of its children (pg_dump,
pg_restore), and the time spent inside the engine's phases (wrapped here, not in the
product; the fingerprints run in a thread beside pg_dump, so the phases overlap).
``CRM_BENCH_PROFILE=FILE`` writes a cProfile of the run to FILE.
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for _part in ("common", "server"):
    if str(ROOT / _part) not in sys.path:
        sys.path.insert(0, str(ROOT / _part))

from import_child import peak_rss_mb  # noqa: E402

from crm_common.schemas.backups import BackupKind  # noqa: E402
from crm_server.domains.backups import database, service  # noqa: E402
from crm_server.settings import Settings, load_settings  # noqa: E402

PHASES: dict[str, float] = {}


def timed(owner: Any, name: str, label: str) -> None:
    """Replace ``owner.name`` by a wrapper adding its wall time to ``PHASES[label]``."""
    original: Callable[..., Any] = getattr(owner, name)

    @functools.wraps(original)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        started = time.perf_counter()
        try:
            return original(*args, **kwargs)
        finally:
            PHASES[label] = PHASES.get(label, 0.0) + time.perf_counter() - started

    setattr(owner, name, wrapper)


def instrument() -> None:
    pg = database.PostgresDatabase
    timed(pg, "dump", "dump: pg_dump streamed into the archive")
    timed(database, "table_fingerprints", "fingerprints (row counts and checksums)")
    timed(service, "verify", "verify")
    timed(pg, "check", "verify: pg_restore --list")
    timed(pg, "restore_test", "drill: scratch database, pg_restore, fingerprints")
    timed(service, "prune", "retention")


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return round(usage.ru_utime + usage.ru_stime, 2)


def run(settings: Settings, drill: Path | None) -> dict[str, Any]:
    started = time.perf_counter()
    if drill is None:
        entry = service.make(settings, BackupKind.MANUAL)
        path = service.backup_dir(settings) / entry.name
    else:
        entry = service.verify(settings, drill, restore_test=True)
        path = drill
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 2), "peak_rss_mb": round(peak_rss_mb(), 1),
            "cpu_self_seconds": cpu_seconds(resource.RUSAGE_SELF),
            "cpu_children_seconds": cpu_seconds(resource.RUSAGE_CHILDREN),
            "phases": {k: round(v, 2) for k, v in PHASES.items()},
            "state": entry.state.value, "archive": str(path), "bytes": path.stat().st_size}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--backup-dir", type=Path, required=True)
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--make", action="store_true")
    action.add_argument("--drill", type=Path)
    args = parser.parse_args()
    settings = load_settings(args.data_dir, database_url=args.database_url,
                             backup_dir=args.backup_dir)
    service.ensure_key(settings)
    instrument()
    profile = os.environ.get("CRM_BENCH_PROFILE")
    if profile:
        import cProfile

        with cProfile.Profile() as profiler:
            result = run(settings, args.drill)
        profiler.dump_stats(profile)
    else:
        result = run(settings, args.drill)
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
