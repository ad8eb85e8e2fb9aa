"""How fast the import reads a customer's address and industry cells: 100,000 generated rows
of province / city / district / industry as spreadsheets write them (full names, short forms,
abbreviations, section letters, English, unknown places and industries), read by
``crm_common.entities.cells.clean_row`` and ``clean_listed``, the import's own calls.

    .venv/bin/python bench/address_cells.py [--rows 100000] [--runs 3]

Prints rows per second and writes ``bench/results/address_cells.json``. The rows repeat as in
real lists (a few thousand distinct addresses), which the reader's cache is built for; every
run starts with the cache cleared and the first load of the divisions included.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

from crm_common.cleansing import divisions as division_data
from crm_common.cleansing import regions
from crm_common.cleansing.industries import Industry, industry_reader
from crm_common.entities import entity
from crm_common.entities.cells import clean_listed, clean_row

RESULTS = Path(__file__).resolve().parent / "results"
INDUSTRIES = (Industry("C", "制造业", "Manufacturing"), Industry("F", "批发和零售业", None),
              Industry("I", "信息传输、软件和信息技术服务业", None), Industry("E", "建筑业", None))
INDUSTRY_WORDINGS = ("制造业", "制造", "C", "manufacturing", "零售", "软件", "建筑", "光伏", "")


def _rows(count: int, seed: int) -> list[tuple[str, str, str, str]]:
    """Address triples written the ways people write them, and an industry."""
    rng = random.Random(seed)
    places = [(province, city.name, district)
              for province, place in division_data.divisions().provinces.items()
              for city in place.cities.values() for district in city.districts or [""]]
    rows = []
    for _ in range(count):
        province, city, district = rng.choice(places)
        style = rng.random()
        if style < 0.4:  # short forms: 广东 / 深圳 / 南山
            province, city = province[:2], city.removesuffix("市")
            district = district[:-1] if len(district) > 2 else district
        elif style < 0.45:  # not in the list
            district = "新区" + str(rng.randint(1, 99))
        rows.append((province, city, district, rng.choice(INDUSTRY_WORDINGS)))
    return rows


def _run(rows: list[tuple[str, str, str, str]]) -> float:
    division_data.divisions.cache_clear()
    regions._read_region.cache_clear()
    spec = entity("customer")
    fields = [spec.field(name) for name in ("province", "city", "district")]
    industry = spec.field("industry")
    start = time.perf_counter()
    read = industry_reader(INDUSTRIES)
    for province, city, district, sector in rows:
        clean_row(fields, (province, city, district))
        clean_listed(industry, sector, read)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rows = _rows(args.rows, seed=1)
    times = sorted(_run(rows) for _ in range(args.runs))
    report = {"rows": args.rows, "distinct_addresses": len({row[:3] for row in rows}),
              "seconds": times, "rows_per_second_best": round(args.rows / times[0])}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "address_cells.json").write_text(json.dumps(report, indent=2), "utf-8")
    print(f"{args.rows} rows ({report['distinct_addresses']} distinct addresses): "
          f"best {times[0]:.2f} s, median {times[len(times) // 2]:.2f} s, "
          f"{report['rows_per_second_best']:,} rows/s")


if __name__ == "__main__":
    main()
