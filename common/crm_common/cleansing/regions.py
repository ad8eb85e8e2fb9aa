"""Provinces, cities and districts of China (GB/T 2260) as spreadsheets and people write
them, read to the names the customer's ``province`` / ``city`` / ``district`` hold.

``read_province`` knows the 34 provincial-level divisions in every wording: the full name
(广东省), the name without its suffix (广东), the one-character abbreviation (粤), the code
(44) and older or informal forms (内蒙). ``read_region`` reads a whole address triple, each
part in the context of the one above it (a district's name is unique only within its city),
and notes what it could not place instead of refusing it: a district missing from the list
stays as written. ``provinces`` / ``cities`` / ``districts`` list the divisions for pickers.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import TypeVar

from crm_common.i18n import N_

from .divisions import City, Province, divisions, short_forms
from .values import Cleaned, cell_text

T = TypeVar("T")

NOT_A_PROVINCE = N_("Not a province, autonomous region or municipality of China")
UNKNOWN_CITY = N_("Not a city in the list of administrative divisions: kept as written")
UNKNOWN_DISTRICT = N_("Not a district in the list of administrative divisions: kept as written")
CITY_ELSEWHERE = N_("This city is not in the province given: check both")
DISTRICT_ELSEWHERE = N_("This district is not in the city given: check both")
AMBIGUOUS_CITY = N_("Several cities have this name: give the province")
AMBIGUOUS_DISTRICT = N_("Several districts have this name: give the city")

# Full name, code (first two digits of GB/T 2260), abbreviation, other wordings.
PROVINCES: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    ("北京市", "11", "京", ()), ("天津市", "12", "津", ()), ("河北省", "13", "冀", ()),
    ("山西省", "14", "晋", ()), ("内蒙古自治区", "15", "蒙", ("内蒙", "内蒙古")),
    ("辽宁省", "21", "辽", ()), ("吉林省", "22", "吉", ()), ("黑龙江省", "23", "黑", ()),
    ("上海市", "31", "沪", ("申",)), ("江苏省", "32", "苏", ()), ("浙江省", "33", "浙", ()),
    ("安徽省", "34", "皖", ()), ("福建省", "35", "闽", ()), ("江西省", "36", "赣", ()),
    ("山东省", "37", "鲁", ()), ("河南省", "41", "豫", ()), ("湖北省", "42", "鄂", ()),
    ("湖南省", "43", "湘", ()), ("广东省", "44", "粤", ()),
    ("广西壮族自治区", "45", "桂", ("广西", "广西自治区")), ("海南省", "46", "琼", ()),
    ("重庆市", "50", "渝", ()), ("四川省", "51", "川", ("蜀",)), ("贵州省", "52", "黔", ("贵",)),
    ("云南省", "53", "云", ("滇",)), ("西藏自治区", "54", "藏", ("西藏",)),
    ("陕西省", "61", "陕", ("秦",)), ("甘肃省", "62", "甘", ("陇",)),
    ("青海省", "63", "青", ()), ("宁夏回族自治区", "64", "宁", ("宁夏", "宁夏自治区")),
    ("新疆维吾尔自治区", "65", "新", ("新疆", "新疆自治区")),
    ("台湾省", "71", "台", ("台湾",)),
    ("香港特别行政区", "81", "港", ("香港",)), ("澳门特别行政区", "82", "澳", ("澳门",)),
)
_BY_WORDING: dict[str, str] = {}
for _full, _code, _abbreviation, _others in PROVINCES:
    for _wording in (_full, *short_forms(_full), _abbreviation, _code, *_others):
        _BY_WORDING.setdefault(_wording, _full)


def read_province(raw: object) -> Cleaned[str]:
    """The full name of the province ``raw`` names (广东 / 广东省 / 粤 → 广东省)."""
    text = cell_text(raw).replace(" ", "")
    found = _BY_WORDING.get(text)
    if found is None:
        raise ValueError(NOT_A_PROVINCE)
    return Cleaned(found)


@dataclass(frozen=True)
class Region:
    """An address's province, city and district as read; each part's ``note`` says what
    the person importing should check. An empty part stays empty: nothing is filled in."""

    province: Cleaned[str]
    city: Cleaned[str]
    district: Cleaned[str]


def read_region(province: object = None, city: object = None, district: object = None) -> Region:
    """The names of the divisions the three cells give (广东 / 广州 / 天河 → 广东省 / 广州市 /
    天河区), each read in the context of the parts above it; never raises."""
    return _read_region(cell_text(province), cell_text(city), cell_text(district))


@lru_cache(maxsize=16_384)
def _read_region(province: str, city: str, district: str) -> Region:
    try:
        province_read = read_province(province) if province else Cleaned("")
    except ValueError:
        province_read = Cleaned(province, NOT_A_PROVINCE)
    place = divisions().provinces.get(province_read.value)
    city_read, found = _city(place, city)
    return Region(province_read, city_read, _district(place, found, district))


def _lookup(index: Mapping[str, set[T]], text: str, name: Callable[[T], str]) -> set[T]:
    """The divisions ``text`` may name: only the one it names in full when there is one,
    else every division one of its wordings names, trying its own short form last
    (毕节地区 → 毕节 → 毕节市)."""
    key = text.replace(" ", "")
    found = index.get(key)
    if found:
        return {item for item in found if name(item) == key} or set(found)
    return {item for form in short_forms(key) for item in index.get(form, ())}


def _itself(name: str) -> str:
    return name


def _second(pair: tuple[str, str]) -> str:
    return pair[1]


def _city(place: Province | None, text: str) -> tuple[Cleaned[str], City | None]:
    if not text:
        return Cleaned(""), None
    if place is not None:
        names = _lookup(place.city_wordings, text, _itself)
        if len(names) == 1:
            name = names.pop()
            return Cleaned(name), place.cities[name]
        if names:
            return Cleaned(text, AMBIGUOUS_CITY), None
    national = _lookup(divisions().city_wordings, text, _second)
    if len(national) == 1:
        province, name = national.pop()
        note = CITY_ELSEWHERE if place is not None else None
        return Cleaned(name, note), divisions().provinces[province].cities[name]
    return Cleaned(text, AMBIGUOUS_CITY if national else UNKNOWN_CITY), None


def _district(place: Province | None, city: City | None, text: str) -> Cleaned[str]:
    if not text or (city is None and place is None) or (city and not city.districts):
        return Cleaned(text)  # nothing to check against (东莞市's towns)
    if city is not None:
        names = _lookup(city.district_wordings, text, _itself)
        if len(names) == 1:
            return Cleaned(names.pop())
        if names:
            return Cleaned(text, AMBIGUOUS_DISTRICT)
    if place is None:
        return Cleaned(text, UNKNOWN_DISTRICT)
    pairs = _lookup(place.district_wordings, text, _second)
    if len({name for _, name in pairs}) == 1:
        return Cleaned(pairs.pop()[1], DISTRICT_ELSEWHERE if city is not None else None)
    return Cleaned(text, AMBIGUOUS_DISTRICT if pairs else UNKNOWN_DISTRICT)


def provinces() -> list[str]:
    """The provincial-level divisions in the order of their codes."""
    return list(divisions().provinces)


def cities(province: str) -> list[str]:
    """The cities of ``province`` (its full name), in the order of their codes."""
    place = divisions().provinces.get(province)
    return list(place.cities) if place else []


def districts(province: str, city: str) -> list[str]:
    """The districts of ``city`` in ``province`` (full names), in the order of their codes."""
    place = divisions().provinces.get(province)
    found = place.cities.get(city) if place else None
    return list(found.districts) if found else []
