"""Provincial-level divisions of China (GB/T 2260: 23 provinces, 5 autonomous regions, 4
municipalities, 2 special administrative regions) and the ways spreadsheets write them:
the full name (广东省), the name without its suffix (广东), the one-character abbreviation
(粤) and older or informal forms (内蒙, 广西壮族自治区 → 广西壮族自治区). ``read_province``
gives the full name, as the customer's ``province`` holds it.
"""

from __future__ import annotations

from crm_common.i18n import N_

from .values import Cleaned, cell_text

NOT_A_PROVINCE = N_("Not a province, autonomous region or municipality of China")

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
_SUFFIXES = ("特别行政区", "自治区", "省", "市")


def _short(name: str) -> str:
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name.removesuffix(suffix)
    return name


_BY_WORDING: dict[str, str] = {}
for _full, _code, _abbreviation, _others in PROVINCES:
    for _wording in (_full, _short(_full), _abbreviation, _code, *_others):
        _BY_WORDING.setdefault(_wording, _full)


def read_province(raw: object) -> Cleaned[str]:
    """The full name of the province ``raw`` names (广东 / 广东省 / 粤 → 广东省)."""
    text = cell_text(raw).replace(" ", "")
    found = _BY_WORDING.get(text)
    if found is None:
        raise ValueError(NOT_A_PROVINCE)
    return Cleaned(found)
