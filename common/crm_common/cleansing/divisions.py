"""China's administrative divisions (GB/T 2260) as shipped in ``crm_common/data/divisions.tsv``
(built by ``tools/divisions.py``, which names the source, its version and licence), indexed
once, on first use, by every wording people write:

* the full name (广州市, 湘西土家族苗族自治州, 海淀区);
* the name without its suffix (广州, 海淀, 锡林郭勒 for 锡林郭勒盟), and for an autonomous
  prefecture, county or banner also without its peoples (湘西, 湘西州, 湘西自治州);
* a few well-known former names (襄樊 → 襄阳市, 思茅 → 普洱市).

A wording maps to every division it may name: the reader decides, from the context given,
whether it is unique. Names of cities are unique nationally only by luck, names of districts
only within their city (朝阳区 is in 北京市 and in 长春市).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

# Former names of cities still found in old customer lists, with the name that replaced them.
FORMER_CITY_NAMES = {"襄樊市": "襄阳市", "思茅市": "普洱市"}

_PEOPLES = (
    "蒙古", "回", "藏", "维吾尔", "苗", "彝", "壮", "布依", "朝鲜", "满", "侗", "瑶", "白",
    "土家", "哈尼", "哈萨克", "傣", "黎", "傈僳", "佤", "畲", "高山", "拉祜", "水", "东乡",
    "纳西", "景颇", "柯尔克孜", "土", "达斡尔", "仫佬", "羌", "布朗", "撒拉", "毛南", "仡佬",
    "锡伯", "阿昌", "普米", "塔吉克", "怒", "乌孜别克", "俄罗斯", "鄂温克", "德昂", "保安",
    "裕固", "京", "塔塔尔", "独龙", "鄂伦春", "赫哲", "门巴", "珞巴", "基诺",
)
_PEOPLE = "|".join(sorted(_PEOPLES, key=len, reverse=True))
# 湘西土家族苗族自治州 → 湘西 + 州; 长阳土家族自治县 → 长阳 + 县.
_AUTONOMOUS = re.compile(rf"(?P<place>.{{2,}}?)(?:(?:{_PEOPLE})族)+自治(?P<kind>[州县旗])")
# Longest first: 新区 before 区, 自治区 before 区.
_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "林区", "新区",
             "盟", "省", "市", "区", "县", "旗")


def short_forms(name: str) -> set[str]:
    """The ways ``name`` is written short: 广州市 → 广州; 湘西土家族苗族自治州 → 湘西, 湘西州,
    湘西自治州. A stem of one character (城区 → 城) is no wording."""
    autonomous = _AUTONOMOUS.fullmatch(name)
    if autonomous:
        place, kind = autonomous["place"], autonomous["kind"]
        return {place, place + kind, f"{place}自治{kind}"}
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return {name.removesuffix(suffix)}
    return set()


@dataclass
class City:
    """A prefecture-level city (or a county-level one its province governs directly) with
    its districts by every wording."""

    name: str
    code: str
    districts: list[str] = field(default_factory=list)
    district_wordings: dict[str, set[str]] = field(default_factory=dict)


@dataclass
class Province:
    name: str
    code: str
    cities: dict[str, City] = field(default_factory=dict)
    city_wordings: dict[str, set[str]] = field(default_factory=dict)
    # district wording → (city, district) in this province, for rows that skip the city
    district_wordings: dict[str, set[tuple[str, str]]] = field(default_factory=dict)


@dataclass
class Divisions:
    provinces: dict[str, Province] = field(default_factory=dict)
    # city wording → (province, city) across the country, for rows without a province
    city_wordings: dict[str, set[tuple[str, str]]] = field(default_factory=dict)


def _add(index: dict[str, set[str]], name: str, wordings: Iterable[str]) -> None:
    for wording in (name, *wordings):
        index.setdefault(wording, set()).add(name)


def _lines() -> Iterable[tuple[str, str, str]]:
    text = resources.files("crm_common").joinpath("data", "divisions.tsv").read_text("utf-8")
    for line in text.splitlines():
        if line and not line.startswith("#"):
            level, code, name = line.split("\t")
            yield level, code, name


@cache
def divisions() -> Divisions:
    """The divisions and their wordings, read from the data file on first use (some tens
    of milliseconds)."""
    found = Divisions()
    province = Province("", "")
    city = City("", "")
    former = {current: old for old, current in FORMER_CITY_NAMES.items()}
    for level, code, name in _lines():
        if level == "P":
            province = found.provinces.setdefault(name, Province(name, code))
        elif level == "C":
            city = province.cities.setdefault(name, City(name, code))
            wordings = short_forms(name)
            if name in former:
                wordings |= {former[name], *short_forms(former[name])}
            _add(province.city_wordings, name, wordings)
            for wording in (name, *wordings):
                found.city_wordings.setdefault(wording, set()).add((province.name, name))
        else:
            city.districts.append(name)
            wordings = short_forms(name)
            _add(city.district_wordings, name, wordings)
            for wording in (name, *wordings):
                province.district_wordings.setdefault(wording, set()).add((city.name, name))
    return found
