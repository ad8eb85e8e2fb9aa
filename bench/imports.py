"""Import and export benchmark (issue 10), on PostgreSQL:

1. a generated 100,000-row x 12-column customer workbook with realistic dirt, imported into
   a database already holding 100,000 customers, dedupe on, valid-rows mode, against the
   floor of reading the same file with python-calamine plus COPYing the same rows into a
   bare table, both measured in the same run (target: ratio <= 2.5, peak RSS <= 400 MB);
2. a 1,000,000-row CSV import (target: peak RSS <= 400 MB; the time is reported);
3. the export of 100,000 customers against writing the same cells with XlsxWriter alone
   (target: ratio <= 1.2).

Each import runs in a child process (``bench/import_child.py``: the server's own import
code, ``crm-server import``'s path) so its peak RSS is its own; the rows it created are
removed afterwards, so every run starts from the same 100,000 customers.

    .venv/bin/python bench/imports.py [--pg-dir DIR] [--rows N] [--csv-rows N] [--skip-csv]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
for _part in ("common", "server"):
    if str(ROOT / _part) not in sys.path:
        sys.path.insert(0, str(ROOT / _part))

import pg  # noqa: E402
import prepare  # noqa: E402
from python_calamine import CalamineWorkbook  # noqa: E402
from sqlalchemy import create_engine, make_url, text  # noqa: E402
from xlsxwriter import Workbook  # noqa: E402

from crm_common.cleansing import uscc_check_char  # noqa: E402
from crm_server.db.engine import make_engine  # noqa: E402

RESULTS = BENCH / "results"
WORK = ROOT / "var" / "bench" / "import"
EXISTING = 100_000
HEADINGS = ["客户名称", "客户简称", "统一社会信用代码", "客户级别", "客户状态", "所属行业",
            "省份", "城市", "区县", "详细地址", "公司电话", "负责人"]
PROVINCES = [("广东", "深圳市", "南山区"), ("粤", "广州市", "天河区"),
             ("江苏省", "苏州市", "工业园区"), ("浙江", "杭州市", "西湖区"),
             ("北京", "北京市", "海淀区"), ("沪", "上海市", "浦东新区"),
             ("四川省", "成都市", "武侯区"), ("湖北", "武汉市", "洪山区")]
WORDS = "华宏盛达鑫泰恒瑞丰源康博新锐远航精工智控联创金石"
TRADES = ["机械", "仪器", "自动化", "电气", "医疗设备", "环保科技", "精密制造", "智能装备"]
FORMS = ["有限公司", "有限责任公司", "股份有限公司", "（集团）有限公司"]
LEVELS = ["A级", "a类", "B", "B级", "C", "c类", "重点", "VIP"]
STATES = ["潜在客户", "意向客户", "成交客户", "合作中", "休眠客户", "流失客户", "Potential"]
INDUSTRIES = ["制造业", "医疗", "教育", "能源", "交通运输", "信息技术"]
OWNERS = ["销售01", "sales02", "sales03", "销售04", "manager01"]
WIDE = str.maketrans("0123456789-", "０１２３４５６７８９－")


def uscc(rng: random.Random) -> str:
    body = "91" + "".join(rng.choice("0123456789") for _ in range(6)) + "".join(
        rng.choice("0123456789ABCDEFGHJKLMNPQRTUWXY") for _ in range(9))
    return body + uscc_check_char(body)


def messy_rows(count: int, existing: list[str], seed: int = 10) -> list[list[Any]]:
    """``count`` customer rows as offices write them: spaces, full-width digits, short
    province names, level and status wordings, a few bad codes, unknown owners, duplicates
    within the file (other brackets and spacing) and names already in the database."""
    rng = random.Random(seed)
    rows: list[list[Any]] = []
    for n in range(count):
        region = rng.choice(PROVINCES)
        name = (f"{region[1][:2]}{rng.choice(WORDS)}{rng.choice(WORDS)}{n:06d}"
                f"{rng.choice(TRADES)}{rng.choice(FORMS)}")
        roll = rng.random()
        if roll < 0.02 and rows:
            name = str(rows[rng.randrange(len(rows))][0]).replace("（", "(").replace("）", ")")
            name = " " + name + " "  # the same company again, written otherwise
        elif roll < 0.05:
            name = rng.choice(existing)
        code = uscc(rng) if rng.random() < 0.6 else None
        if code and rng.random() < 0.03:
            code = code[:-1] + ("0" if code[-1] != "0" else "1")  # a wrong check character
        phone = f"0{rng.randint(20, 29)}-{rng.randint(20000000, 89999999)}"
        if rng.random() < 0.05:
            phone = phone.translate(WIDE)
        elif rng.random() < 0.05:
            phone = phone.replace("-", " ")
        owner = rng.choice(OWNERS) if rng.random() < 0.99 else "离职员工"
        rows.append([f"  {name}" if rng.random() < 0.1 else name,
                     name[2:6], code, rng.choice(LEVELS), rng.choice(STATES),
                     rng.choice(INDUSTRIES), region[0], region[1], region[2],
                     f"{region[2]}科技路{rng.randint(1, 999)}号", phone, owner])
        if rng.random() < 0.005:
            rows.append([None] * len(HEADINGS))
    return rows


def write_xlsx(path: Path, rows: list[list[Any]]) -> None:
    book = Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("客户")
    sheet.write_row(0, 0, ["2024年客户名单（导出自旧系统）"])
    sheet.write_row(1, 0, HEADINGS)
    for index, row in enumerate(rows, 2):
        sheet.write_row(index, 0, row)
    book.close()


def write_csv(path: Path, rows: list[list[Any]], count: int) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(HEADINGS)
        for n in range(count):
            row = rows[n % len(rows)]
            writer.writerow([f"{row[0]}{n}" if n >= len(rows) and row[0] else row[0],
                             *row[1:]])


def existing_names(url: str, count: int = 5000) -> list[str]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(
                "SELECT name FROM customer ORDER BY id LIMIT :n"), {"n": count}).scalars())
    finally:
        engine.dispose()


def floor(url: str, path: Path) -> dict[str, float]:
    """Read the file with python-calamine into Python rows, then COPY them into a bare
    table: the least any import of it can cost."""
    started = time.perf_counter()
    book = CalamineWorkbook.from_path(str(path))
    rows = list(book.get_sheet_by_name(book.sheet_names[0]).iter_rows())
    read = time.perf_counter() - started
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows[2:]:
        writer.writerow(["" if v is None else v for v in row])
    engine = make_engine(url)
    try:
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            columns = ", ".join(f"c{i} text" for i in range(len(HEADINGS)))
            cursor.execute(f"CREATE TEMP TABLE bare ({columns})")
            buffer.seek(0)
            cursor.copy_expert("COPY bare FROM STDIN WITH (FORMAT csv)", buffer)
            raw.commit()
        finally:
            raw.close()
    finally:
        engine.dispose()
    total = time.perf_counter() - started
    return {"read_seconds": round(read, 3), "total_seconds": round(total, 3)}


def child(*args: str) -> dict[str, Any]:
    """``bench/import_child.py`` with ``args``: its one JSON line."""
    done = subprocess.run([sys.executable, str(BENCH / "import_child.py"), *args],
                          check=False, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"import_child.py {' '.join(args)} failed:\n{done.stderr}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def indexed_floor(url: str, count: int) -> float:
    """COPY ``count`` customer rows (copies of those there, renamed) into the customer table
    itself, with its search and keyset indexes: what storing them costs before any import
    work (the bare-table floor leaves the indexes out)."""
    engine = make_engine(url)
    try:
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("SELECT column_name FROM information_schema.columns WHERE "
                           "table_name = 'customer' AND column_name <> 'id' "
                           "ORDER BY ordinal_position")
            columns = [row[0] for row in cursor.fetchall()]
            rows = io.StringIO()
            cursor.copy_expert(f"COPY (SELECT {', '.join(columns)} FROM customer "
                               f"LIMIT {count}) TO STDOUT", rows)
            name = columns.index("name")
            renamed = io.StringIO()
            for index, line in enumerate(rows.getvalue().splitlines()):
                parts = line.split("\t")
                parts[name] += f"副本{index}"
                renamed.write("\t".join(parts) + "\n")
            renamed.seek(0)
            started = time.perf_counter()
            cursor.copy_expert(f"COPY customer ({', '.join(columns)}) FROM STDIN", renamed)
            raw.commit()
            return round(time.perf_counter() - started, 3)
        finally:
            raw.close()
    finally:
        engine.dispose()


def child_import(url: str, path: Path, data_dir: Path) -> dict[str, Any]:
    return child("--database-url", url, "--data-dir", str(data_dir), "--file", str(path))


@contextmanager
def scratch_copy(url: str) -> Iterator[str]:
    """A copy of the benchmark database (``CREATE DATABASE … TEMPLATE``) for one run, so
    every run starts from the same 100,000 customers; dropped afterwards."""
    base = make_url(url)
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"{base.database}_run"
    try:
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
            connection.execute(text(f"CREATE DATABASE {name} TEMPLATE {base.database}"))
        yield base.set(database=name).render_as_string(hide_password=False)
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name}"))
    finally:
        admin.dispose()


def export_part(url: str) -> dict[str, Any]:
    return child("--database-url", url, "--export")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg-dir", type=Path, default=ROOT / "var" / "bench" / "pg-import")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--csv-rows", type=int, default=1_000_000)
    parser.add_argument("--skip-csv", action="store_true")
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    figures: dict[str, Any] = {}
    with pg.database(args.fresh, args.pg_dir) as url:
        prepare.ensure_schema(url)
        prepare.ensure_data(url, EXISTING)
        prepare.ensure_statistics(url)
        rows = messy_rows(args.rows, existing_names(url))
        workbook = WORK / f"customers-{args.rows}.xlsx"
        write_xlsx(workbook, rows)
        with tempfile.TemporaryDirectory() as data_dir:
            base = floor(url, workbook)
            with scratch_copy(url) as copy:
                base["indexed_copy_seconds"] = indexed_floor(copy, args.rows)
            with scratch_copy(url) as copy:
                run = child_import(copy, workbook, Path(data_dir))
            ratio = run["seconds"] / base["total_seconds"]
            base["indexed_ratio"] = round(run["seconds"] / base["indexed_copy_seconds"], 2)
            figures["xlsx"] = {"rows": args.rows, "floor": base, "import": run,
                               "ratio": round(ratio, 2),
                               "pass": ratio <= 2.5 and run["peak_rss_mb"] <= 400}
            print(f"xlsx {args.rows:,} rows: import {run['seconds']:.2f} s, floor "
                  f"{base['total_seconds']:.2f} s (calamine {base['read_seconds']:.2f} s) -> "
                  f"{ratio:.2f}x (target <= 2.5); COPY of {args.rows:,} rows into the indexed "
                  f"customer table {base['indexed_copy_seconds']:.2f} s -> "
                  f"{base['indexed_ratio']:.2f}x; peak RSS {run['peak_rss_mb']:.0f} MB "
                  f"(target <= 400); counts {run['counts']}", flush=True)
            if not args.skip_csv:
                big = WORK / f"customers-{args.csv_rows}.csv"
                write_csv(big, rows, args.csv_rows)
                with scratch_copy(url) as copy:
                    run = child_import(copy, big, Path(data_dir))
                figures["csv"] = {"rows": args.csv_rows, "import": run,
                                  "pass": run["peak_rss_mb"] <= 400}
                print(f"csv {args.csv_rows:,} rows: {run['seconds']:.1f} s, peak RSS "
                      f"{run['peak_rss_mb']:.0f} MB (target <= 400); counts {run['counts']}",
                      flush=True)
        export = export_part(url)
        export["pass"] = export["ratio"] <= 1.2
        figures["export"] = export
        print(f"export {export['rows']:,} customers: {export['seconds']:.2f} s, XlsxWriter "
              f"alone {export['xlsxwriter_seconds']:.2f} s -> {export['ratio']:.2f}x "
              f"(target <= 1.2)", flush=True)
    (RESULTS / "imports.json").write_text(json.dumps(figures, indent=1, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
