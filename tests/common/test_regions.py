"""Cities and districts read in the context of their province and city, from the shipped
administrative divisions (GB/T 2260)."""

from __future__ import annotations

import pytest

from crm_common.cleansing.divisions import divisions, short_forms
from crm_common.cleansing.regions import (
    AMBIGUOUS_CITY,
    AMBIGUOUS_DISTRICT,
    CITY_ELSEWHERE,
    DISTRICT_ELSEWHERE,
    NOT_A_PROVINCE,
    PROVINCES,
    UNKNOWN_CITY,
    UNKNOWN_DISTRICT,
    cities,
    districts,
    provinces,
    read_region,
)


def triple(province: object, city: object, district: object) -> tuple[str, str, str]:
    region = read_region(province, city, district)
    return region.province.value, region.city.value, region.district.value


def notes(province: object, city: object, district: object) -> tuple[str | None, ...]:
    region = read_region(province, city, district)
    return region.province.note, region.city.note, region.district.note


@pytest.mark.parametrize(("written", "expected"), [
    (("广东", "广州", "天河"), ("广东省", "广州市", "天河区")),
    (("粤", "广州市", "天河区"), ("广东省", "广州市", "天河区")),
    (("湖南", "湘西", "吉首"), ("湖南省", "湘西土家族苗族自治州", "吉首市")),
    (("湖南省", "湘西州", ""), ("湖南省", "湘西土家族苗族自治州", "")),
    (("内蒙古", "锡林郭勒", "二连浩特"), ("内蒙古自治区", "锡林郭勒盟", "二连浩特市")),
    (("北京", "北京", "朝阳"), ("北京市", "北京市", "朝阳区")),
    (("吉林", "长春", "朝阳"), ("吉林省", "长春市", "朝阳区")),
    (("重庆", "重庆市", "巫山"), ("重庆市", "重庆市", "巫山县")),  # a county of a municipality
    (("湖北", "仙桃", ""), ("湖北省", "仙桃市", "")),  # governed by its province directly
    (("湖北", "襄樊", "樊城"), ("湖北省", "襄阳市", "樊城区")),  # a former name
    (("贵州", "毕节地区", ""), ("贵州省", "毕节市", "")),  # a 地区 that became a 市
    (("北京", "", "密云县"), ("北京市", "", "密云区")),  # a 县 that became a 区
    (("香港", "九龙", "油尖旺"), ("香港特别行政区", "九龙", "油尖旺区")),
    (("", "湘西州", ""), ("", "湘西土家族苗族自治州", "")),  # a city unique in the country
    (("", "", "海淀区"), ("", "", "海淀区")),  # no context: taken as written
    ((" 广东 ", "深 圳", "南山"), ("广东省", "深圳市", "南山区")),
])
def test_address_triples_in_the_wordings_people_use(written: tuple[str, str, str],
                                                    expected: tuple[str, str, str]) -> None:
    assert triple(*written) == expected
    assert notes(*written) == (None, None, None)


def test_a_district_name_is_read_within_its_city() -> None:
    # 朝阳区 is in 北京市 and in 长春市: the city decides, else the province
    assert triple("吉林省", "", "朝阳区") == ("吉林省", "", "朝阳区")
    assert notes("吉林省", "", "朝阳区") == (None, None, None)
    assert notes("北京", "长春", "")[1] == CITY_ELSEWHERE
    assert triple("广东", "广州", "南山区")[2] == "南山区"
    assert notes("广东", "广州", "南山区")[2] == DISTRICT_ELSEWHERE  # 南山区 is in 深圳市
    # 鼓楼区 is in several cities of 江苏省 (南京, 徐州): its name is right whichever it is
    assert notes("江苏", "", "鼓楼区") == (None, None, None)


def test_ambiguous_district_wordings_are_noted_not_guessed() -> None:
    province, wording = next(
        (place.name, wording) for place in divisions().provinces.values()
        for wording, found in place.district_wordings.items()
        if len({name for _, name in found}) > 1)
    assert triple(province, "", wording)[2] == wording
    assert notes(province, "", wording)[2] == AMBIGUOUS_DISTRICT


def test_what_is_not_in_the_list_is_kept_and_noted() -> None:
    assert triple("火星", "x市", "") == ("火星", "x市", "")
    assert notes("火星", "x市", "") == (NOT_A_PROVINCE, UNKNOWN_CITY, None)
    assert triple("广东", "深圳", "前海新区") == ("广东省", "深圳市", "前海新区")
    assert notes("广东", "深圳", "前海新区")[2] == UNKNOWN_DISTRICT
    assert notes("四川", "", "海淀区")[2] == UNKNOWN_DISTRICT
    # a city without districts (东莞市's towns) has nothing to check a district against
    assert notes("广东", "东莞", "长安镇") == (None, None, None)


def test_ambiguous_city_names_are_noted_not_guessed() -> None:
    ambiguous = [wording for wording, found in divisions().city_wordings.items()
                 if len({city for _, city in found}) > 1]
    assert ambiguous, "some short city names are shared (e.g. by 市 and 地区 or 州)"
    wording = ambiguous[0]
    assert notes("", wording, "")[1] == AMBIGUOUS_CITY
    assert triple("", wording, "")[1] == wording


def test_short_forms() -> None:
    assert short_forms("湘西土家族苗族自治州") == {"湘西", "湘西州", "湘西自治州"}
    assert short_forms("长阳土家族自治县") >= {"长阳", "长阳县"}
    assert short_forms("锡林郭勒盟") == {"锡林郭勒"}
    assert short_forms("城区") == set()  # one character is no name
    assert short_forms("浦东新区") == {"浦东"}


def test_the_shipped_list_agrees_with_the_provinces_table() -> None:
    loaded = divisions().provinces
    assert provinces() == list(loaded)
    assert {(name, place.code) for name, place in loaded.items()} == {
        (full, code) for full, code, *_ in PROVINCES}
    assert len(cities("广东省")) == 21 and "深圳市" in cities("广东省")
    assert cities("北京市") == ["北京市"] and "海淀区" in districts("北京市", "北京市")
    assert "市辖区" not in {name for place in loaded.values() for name in place.cities}
    assert districts("湖北省", "仙桃市") == [] and cities("不存在") == []
    every_district = [d for place in loaded.values() for city in place.cities.values()
                      for d in city.districts]
    assert len(every_district) > 2800 and "市辖区" not in every_district
    assert not [d for d in every_district if "开发区" in d]  # statistical-only entries left out
