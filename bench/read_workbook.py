"""Time and peak memory of reading an uploaded spreadsheet (``crm_server.kit.workbook``):
a generated 100,000 x 12 customer .xlsx and a 1,000,000-row CSV, each read in a process of
its own so its peak RSS (``resource.getrusage``) is its alone.

Per file: ``check_file`` (the zip guard and the scan of every XML part), then every row
through ``open_workbook(...).rows`` (which checks again), and for the .xlsx the floor of
calamine alone (open, load the sheet, ``iter_rows``). Figures to
``bench/results/read_workbook.json``.

    .venv/bin/python bench/read_workbook.py [--rows 100000] [--csv-rows 1000000]

``read_figures(path, file_name)`` is the helper other benchmarks (the import's) call.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from xlsxwriter import Workbook

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"
# A 1,000,000-row CSV of these 12 columns is about 200 MB, past the default upload limit.
MAX_BYTES = 1 << 30
HEADINGS = ["客户名称", "统一社会信用代码", "手机", "电话", "邮箱", "省份", "城市", "地址",
            "行业", "客户等级", "年营业额", "成立日期"]
PROVINCES = ["广东省", "北京", "上海市", "浙江", "江苏省", "四川"]


def customer_rows(count: int) -> Any:
    """``count`` customer rows with the dirt of real sheets (spaces, +86, 万, dates)."""
    pick = random.Random(7)
    start = date(2000, 1, 1)
    for n in range(count):
        yield [f"  深圳市{n}号科技有限公司 ", f"91440300MA5{n:07d}", f"+86 138{n % 10**8:08d}",
               f"0755-{n % 10**8:08d}", f"user{n}@example.cn", pick.choice(PROVINCES),
               "深圳", f"南山区科技园{n}栋", "制造业", pick.choice("ABC") + "级",
               f"{pick.randint(1, 9999)}万", start + timedelta(days=n % 9000)]


def write_xlsx(path: Path, rows: int) -> None:
    book = Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("客户")
    day = book.add_format({"num_format": "yyyy-mm-dd"})
    sheet.write_row(0, 0, HEADINGS)
    for number, row in enumerate(customer_rows(rows), start=1):
        sheet.write_row(number, 0, row[:-1])
        sheet.write_datetime(number, 11, row[-1], day)
    book.close()


def write_csv(path: Path, rows: int) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADINGS)
        out.writerows(customer_rows(rows))


def read_figures(path: Path, file_name: str, floor: bool = False) -> dict[str, Any]:
    """Check and read ``path`` in a fresh process: seconds and peak RSS (MB); with
    ``floor``, calamine alone instead."""
    command = [sys.executable, __file__, "--measure", str(path), file_name]
    done = subprocess.run(command + (["--floor"] if floor else []), capture_output=True,
                          text=True)
    if done.returncode:
        raise SystemExit(done.stderr)
    figures: dict[str, Any] = json.loads(done.stdout)
    return figures


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _measure(path: Path, file_name: str, floor: bool) -> dict[str, Any]:
    from python_calamine import CalamineWorkbook

    from crm_server.kit.workbook import Limits, check_file, open_workbook
    figures: dict[str, Any] = {"file": file_name, "bytes": path.stat().st_size,
                               "baseline_rss_mb": _peak_mb()}
    clock = _Clock()
    if floor:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        rows = sum(1 for _ in sheet.iter_rows())
        figures.update(calamine=clock.lap(), rows=rows)
    else:
        limits = Limits(max_bytes=MAX_BYTES)
        check_file(path, file_name, limits)
        figures["check"] = clock.lap()
        with open_workbook(path, file_name, limits) as book:  # its check is remembered
            rows = sum(1 for _ in book.rows(book.sheets[0]))
        figures.update(read=clock.lap(), rows=rows)
    figures["peak_rss_mb"] = _peak_mb()
    return figures


class _Clock:
    """Wall and CPU seconds since the last lap (CPU time says more on a busy machine)."""

    def __init__(self) -> None:
        self.wall, self.cpu = time.perf_counter(), time.process_time()

    def lap(self) -> dict[str, float]:
        wall, cpu = time.perf_counter(), time.process_time()
        figures = {"seconds": round(wall - self.wall, 3), "cpu_seconds": round(cpu - self.cpu, 3)}
        self.wall, self.cpu = wall, cpu
        return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    parser.add_argument("--measure", nargs=2, metavar=("PATH", "NAME"), help=argparse.SUPPRESS)
    parser.add_argument("--floor", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(_measure(Path(args.measure[0]), args.measure[1], args.floor)))
        return
    with tempfile.TemporaryDirectory() as folder:
        xlsx, text = Path(folder) / "customers.xlsx", Path(folder) / "customers.csv"
        write_xlsx(xlsx, args.rows)
        write_csv(text, args.csv_rows)
        report = {"xlsx": read_figures(xlsx, xlsx.name),
                  "xlsx_calamine_floor": read_figures(xlsx, xlsx.name, floor=True),
                  "csv": read_figures(text, text.name)}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "read_workbook.json").write_text(json.dumps(report, ensure_ascii=False,
                                                           indent=2), "utf-8")
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
