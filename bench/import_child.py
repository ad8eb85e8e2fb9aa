"""One measured run in its own process, for ``bench/imports.py``: an import of a file by the
bench administrator (``crm-server import``'s code path), or the export of every customer
with its XlsxWriter-alone baseline. Prints one JSON line: seconds and peak RSS."""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for _part in ("common", "server"):
    if str(ROOT / _part) not in sys.path:
        sys.path.insert(0, str(ROOT / _part))

from generate import BENCH_USER  # noqa: E402

from crm_server.settings import Settings  # noqa: E402


def peak_rss_mb() -> float:
    """This process's own peak RSS (``VmHWM``). Not ``getrusage``: Linux carries the
    high-water mark of the forked parent's memory across ``execve`` into ``ru_maxrss``, so
    a child of a big parent would report the parent's size."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_import(settings: Settings, path: Path) -> dict[str, Any]:
    from crm_server.domains.imports import console

    started = time.perf_counter()
    result = console.run_in_console(settings, "customer", path, BENCH_USER,
                                    {"mode": "skip"}, lambda line: None)
    seconds = time.perf_counter() - started
    return {"seconds": round(seconds, 3), "peak_rss_mb": round(peak_rss_mb(), 1),
            "counts": result["counts"], "problems": result.get("problems"),
            "import_id": result["import_id"]}


def run_export(settings: Settings) -> dict[str, Any]:
    from xlsxwriter import Workbook

    from crm_server.domains import export
    from crm_server.kit import sheets
    from crm_server.kit.unit import console_user

    params = export.ExportParams(entity="customer")
    with tempfile.TemporaryDirectory() as folder, \
            console_user(settings, BENCH_USER) as (session, user):
        started = time.perf_counter()
        rows = export.write_export(session, user, params, Path(folder) / "a.xlsx",
                                   lambda done, total=None, commit=True: None)
        seconds = time.perf_counter() - started
        cells: list[list[Any]] = []

        class Collect:
            def __init__(self, *args: Any) -> None:
                pass

            def add(self, batch: Any) -> None:
                cells.extend(list(row) for row in batch)

            def close(self) -> None:
                pass

        original = sheets.open_sheet
        sheets.open_sheet = Collect  # type: ignore[assignment]
        try:
            export.write_export(session, user, params, Path(folder) / "b.xlsx",
                                lambda done, total=None, commit=True: None)
        finally:
            sheets.open_sheet = original
        started = time.perf_counter()
        book = Workbook(str(Path(folder) / "c.xlsx"), {"constant_memory": True})
        sheet = book.add_worksheet()
        for index, row in enumerate(cells):
            sheet.write_row(index, 0, row)
        book.close()
        alone = time.perf_counter() - started
    return {"rows": rows, "seconds": round(seconds, 3), "xlsxwriter_seconds": round(alone, 3),
            "ratio": round(seconds / alone, 2)}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--data-dir", type=Path)
    parser.add_argument("--file", type=Path)
    parser.add_argument("--export", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(data_dir=args.data_dir or Path(scratch),
                            database_url=args.database_url, import_max_mb=1024)
        profile = os.environ.get("CRM_BENCH_PROFILE")  # a file for cProfile's figures
        if profile:
            import cProfile

            with cProfile.Profile() as profiler:
                result = run_export(settings) if args.export else run_import(settings, args.file)
            profiler.dump_stats(profile)
        else:
            result = run_export(settings) if args.export else run_import(settings, args.file)
    print(json.dumps(result, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
