"""Industries read from the wordings spreadsheets use, against the list the server passes."""

from __future__ import annotations

import pytest

from crm_common.cleansing.industries import NOT_LISTED, Industry, industry_reader

LIST = (
    Industry("C", "制造业", "Manufacturing"),
    Industry("F", "批发和零售业", "Wholesale and retail trade"),
    Industry("H", "住宿和餐饮业", "Accommodation and catering"),
    Industry("I", "信息传输、软件和信息技术服务业",
             "Information transmission, software and information technology services"),
    Industry("L", "租赁和商务服务业", "Leasing and business services"),
    Industry("O", "居民服务、修理和其他服务业", "Resident services, repair and other services"),
    Industry("P", "教育", "Education"),
    Industry("X1", "新能源", None),  # added by an administrator
)
read = industry_reader(LIST)


@pytest.mark.parametrize(("raw", "expected"), [
    ("制造业", "制造业"), ("制造", "制造业"), ("C", "制造业"), (" c ", "制造业"),
    ("MANUFACTURING", "制造业"), ("Manufacturing", "制造业"),
    ("零售", "批发和零售业"), ("零售业", "批发和零售业"), ("批发", "批发和零售业"),
    ("餐饮", "住宿和餐饮业"), ("餐饮业", "住宿和餐饮业"),
    ("软件", "信息传输、软件和信息技术服务业"),
    ("信息传输、软件和信息技术服务", "信息传输、软件和信息技术服务业"), ("Ｐ", "教育"),
    ("教育", "教育"), ("新能源", "新能源"), ("x1", "新能源"),
])
def test_the_wordings_people_use_read_as_the_listed_name(raw: str, expected: str) -> None:
    assert read(raw).value == expected and read(raw).note is None


def test_a_part_two_entries_share_is_no_wording() -> None:
    # 服务 ends 租赁和商务服务业's and 居民服务…'s parts alike: neither is guessed
    shared = industry_reader((Industry("L", "租赁和商务服务", None),
                              Industry("O", "商务服务和修理", None)))
    assert shared("商务服务").note == NOT_LISTED
    assert shared("租赁").value == "租赁和商务服务"


def test_what_is_not_listed_is_kept_with_a_note() -> None:
    assert (read(" 光伏 ").value, read(" 光伏 ").note) == ("光伏", NOT_LISTED)
    assert (read(None).value, read("").value, read(None).note) == ("", "", None)
    assert industry_reader(())("制造业").note == NOT_LISTED
