"""Cells read as declared fields: the value, and the verdict the import reports."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from builders import valid_uscc
from crm_common.cleansing.industries import NOT_LISTED, Industry, industry_reader
from crm_common.cleansing.regions import NOT_A_PROVINCE, UNKNOWN_DISTRICT
from crm_common.entities import REGISTRY
from crm_common.entities.cells import (
    LETTER_FOR_DIGIT,
    OUT_OF_RANGE,
    SEVERAL_NUMBERS,
    TIDIED,
    TOO_LONG,
    TOO_MANY_PLACES,
    Verdict,
    clean_cell,
    clean_listed,
    clean_row,
)

CUSTOMER, CONTACT, PRODUCT = REGISTRY["customer"], REGISTRY["contact"], REGISTRY["product"]


def cell(spec_key: str, field: str, raw: object) -> tuple[object, Verdict, str | None]:
    found = clean_cell(REGISTRY[spec_key].field(field), raw)
    return found.value, found.verdict, found.message


def test_empty_cells_are_empty_not_errors() -> None:
    for raw in (None, "", "   ", "\u200b"):
        assert cell("customer", "name", raw) == (None, Verdict.CLEAN, None)


def test_text_is_tidied_and_reported_as_fixed() -> None:
    assert cell("customer", "name", "苏州精密机械有限公司")[:2] == ("苏州精密机械有限公司",
                                                                 Verdict.CLEAN)
    value, verdict, _ = cell("customer", "name", "  苏州　ＡＢＣ精密\u200b机械（苏州）有限公司 ")
    assert value == "苏州 ABC精密机械（苏州）有限公司" and verdict is Verdict.FIXED
    assert cell("customer", "short_name", "x" * 65)[1:] == (Verdict.ERROR, TOO_LONG)


def test_mobiles_are_normalised_and_a_second_number_is_reported() -> None:
    assert cell("contact", "mobile", "+86 138-0013-8000")[:2] == ("13800138000", Verdict.FIXED)
    assert cell("contact", "mobile", 13800138000.0)[:2] == ("13800138000", Verdict.CLEAN)
    assert cell("contact", "mobile", "13800138000，13900139000") == (
        "13800138000", Verdict.WARNING, SEVERAL_NUMBERS)
    assert cell("contact", "mobile", "1380013800")[1] is Verdict.ERROR


def test_uscc_letter_confusion_is_reported_not_fixed() -> None:
    code = valid_uscc()
    assert cell("customer", "uscc", code.lower())[:2] == (code, Verdict.FIXED)
    if "0" in code:
        confused = code.replace("0", "O", 1)
        assert cell("customer", "uscc", confused) == (None, Verdict.ERROR, LETTER_FOR_DIGIT)
    wrong_check = code[:-1] + ("1" if code[-1] != "1" else "2")
    assert cell("customer", "uscc", wrong_check)[1] is Verdict.ERROR


def test_provinces_choices_and_yes_no() -> None:
    assert cell("customer", "province", "粤")[:2] == ("广东省", Verdict.FIXED)
    assert cell("customer", "province", "广东省")[:2] == ("广东省", Verdict.CLEAN)
    assert cell("customer", "level", "A级")[:2] == ("A", Verdict.FIXED)
    assert cell("customer", "status", "意向客户")[:2] == ("potential", Verdict.FIXED)
    assert cell("contact", "is_primary", "√")[:2] == (True, Verdict.FIXED)
    assert cell("customer", "level", "D")[1] is Verdict.ERROR


def test_an_address_is_read_as_a_whole_row() -> None:
    fields = [CUSTOMER.field(name) for name in ("name", "province", "city", "district")]
    row = clean_row(fields, ["某机械厂", "吉林", "长春", "朝阳"])
    assert [(found.value, found.verdict) for found in row] == [
        ("某机械厂", Verdict.CLEAN), ("吉林省", Verdict.FIXED), ("长春市", Verdict.FIXED),
        ("朝阳区", Verdict.FIXED)]
    row = clean_row(fields, ["某机械厂", "火星", None, "海淀区"])
    assert [(found.value, found.verdict, found.message) for found in row[1:]] == [
        (None, Verdict.ERROR, NOT_A_PROVINCE), (None, Verdict.CLEAN, None),
        ("海淀区", Verdict.CLEAN, None)]
    row = clean_row(fields[1:], ["广东省", "深圳市", "前海"])
    assert (row[2].value, row[2].verdict, row[2].message) == (
        "前海", Verdict.WARNING, UNKNOWN_DISTRICT)
    # on its own a city is read across the country, a district taken as written
    assert cell("customer", "city", "湘西州")[:2] == ("湘西土家族苗族自治州", Verdict.FIXED)
    assert cell("customer", "district", "朝阳")[:2] == ("朝阳", Verdict.CLEAN)
    assert cell("customer", "province", 44.0)[:2] == ("广东省", Verdict.FIXED)  # a code as a number


def test_an_industry_is_read_against_the_live_list() -> None:
    field = CUSTOMER.field("industry")
    assert field.choices_from == "industry"
    reader = industry_reader([Industry("C", "制造业", "Manufacturing")])
    found = [clean_listed(field, raw, reader) for raw in ("制造业", "c", "光伏", "  ")]
    assert [(cell.value, cell.verdict, cell.message) for cell in found] == [
        ("制造业", Verdict.CLEAN, None), ("制造业", Verdict.FIXED, TIDIED),
        ("光伏", Verdict.WARNING, NOT_LISTED), (None, Verdict.CLEAN, None)]


def test_numbers_keep_their_places_and_bounds() -> None:
    assert cell("product", "list_price", "¥1,200.5678")[:2] == (Decimal("1200.5678"),
                                                               Verdict.FIXED)
    assert cell("product", "list_price", 1200.5)[:2] == (Decimal("1200.5"), Verdict.CLEAN)
    assert cell("product", "list_price", "1.23456")[1:] == (Verdict.ERROR, TOO_MANY_PLACES)
    assert cell("product", "list_price", "-1")[1:] == (Verdict.ERROR, OUT_OF_RANGE)
    assert cell("product", "cost", "12.5万")[:2] == (Decimal("125000.0"), Verdict.WARNING)
    assert cell("product", "warranty_months", "12")[:2] == (12, Verdict.CLEAN)
    assert cell("product", "warranty_months", "1.5")[1] is Verdict.ERROR
    assert cell("product", "tax_rate", "13")[:2] == (Decimal(13), Verdict.CLEAN)


def test_dates_and_times() -> None:
    assert cell("activity", "next_follow_up_on", 45293)[:2] == (date(2024, 1, 2), Verdict.CLEAN)
    assert cell("activity", "next_follow_up_on", "2024年1月2日")[:2] == (date(2024, 1, 2),
                                                                     Verdict.FIXED)
    assert cell("activity", "next_follow_up_on", "24-1-2")[1] is Verdict.WARNING
    moment = datetime(2024, 1, 2, 9, 30)
    assert cell("activity", "occurred_at", moment)[:2] == (moment, Verdict.CLEAN)
    assert cell("activity", "occurred_at", "2024-01-02")[:2] == (datetime(2024, 1, 2),
                                                                Verdict.WARNING)


@pytest.mark.parametrize(("raw", "expected"), [
    ("重点，华东; 老客户", ["重点", "华东", "老客户"]), ("单个", ["单个"]), ("a、、b", ["a", "b"]),
])
def test_tags_split_on_the_usual_separators(raw: str, expected: list[str]) -> None:
    assert cell("customer", "tags", raw)[0] == expected


def test_references_stay_text_for_the_import_to_look_up() -> None:
    assert cell("customer", "owner_id", " 李销售 ")[:2] == ("李销售", Verdict.CLEAN)
