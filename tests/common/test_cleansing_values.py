"""Dates and amounts read from spreadsheet cells: each form people use, what needs a second
look, and what is refused."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import pytest

from crm_common.cleansing.regions import PROVINCES, read_province
from crm_common.cleansing.values import (
    SCALED_AMOUNT,
    TWO_DIGIT_YEAR,
    read_amount,
    read_bool,
    read_choice,
    read_date,
)
from crm_common.entities import REGISTRY


@pytest.mark.parametrize("raw", [
    "2024-01-02", "2024/1/2", "2024.1.2", "2024年1月2日", "2024 年 1 月 2 日", "20240102",
    "２０２４－０１－０２", 45293, 45293.75, "45293", Decimal("45293"),
    datetime(2024, 1, 2, 15, 30), date(2024, 1, 2),
])
def test_every_usual_form_of_a_date(raw: object) -> None:
    assert read_date(raw).value == date(2024, 1, 2)
    assert read_date(raw).note is None


def test_a_two_digit_year_is_read_as_this_century_and_noted() -> None:
    assert read_date("24-1-2").value == date(2024, 1, 2)
    assert read_date("24-1-2").note == TWO_DIGIT_YEAR


@pytest.mark.parametrize("raw", [
    "", None, "明天", "2024-13-01", "2024-02-30", "2024/1", "1/2/2024", "0", 12, True,
    "99999999", "1800-01-01", float("nan"), "2024-01-02x",
])
def test_what_is_not_a_date_is_refused(raw: object) -> None:
    with pytest.raises(ValueError):
        read_date(raw)


@pytest.mark.parametrize(("raw", "expected"), [
    ("1234.50", "1234.50"), ("¥1,234.50", "1234.50"), ("￥1,234.50", "1234.50"),
    ("1234.5元", "1234.5"), ("人民币 12,500", "12500"), ("RMB 99", "99"),
    ("-1000", "-1000"), ("(1,000.00)", "-1000.00"), ("１２３４．５", "1234.5"),
    (1200, "1200"), (0.1, "0.1"), (Decimal("1200.5678"), "1200.5678"), (".5", "0.5"),
])
def test_every_usual_form_of_an_amount(raw: object, expected: str) -> None:
    cleaned = read_amount(raw)
    assert cleaned.value == Decimal(expected) and str(cleaned.value) == expected
    assert cleaned.note is None


@pytest.mark.parametrize(("raw", "expected"), [
    ("12.5万", "125000.0"), ("12.5万元", "125000.0"), ("1.2亿", "120000000.0"),
    ("-3万", "-30000"),
])
def test_wan_and_yi_are_multiplied_out_and_noted(raw: str, expected: str) -> None:
    cleaned = read_amount(raw)
    assert cleaned.value == Decimal(expected) and cleaned.note == SCALED_AMOUNT


@pytest.mark.parametrize("raw", [
    "", None, "abc", "12.5.3", "1,23,456", "(-5)", "5%", "--5", True, float("inf"),
    "1e5", "万",
])
def test_what_is_not_an_amount_is_refused(raw: object) -> None:
    with pytest.raises(ValueError):
        read_amount(raw)


@pytest.mark.parametrize(("raw", "expected"), [
    ("A", "A"), ("a", "A"), ("A级", "A"), ("Ａ类", "A"), ("重点客户", "key"),
    ("Key account", "key"), ("VIP", "key"), (" c 级 ", "C"),
])
def test_a_choice_is_read_from_its_value_label_or_wording(raw: str, expected: str) -> None:
    level = REGISTRY["customer"].field("level").choices
    assert read_choice(raw, level).value == expected


def test_statuses_from_the_words_sales_teams_use() -> None:
    status = REGISTRY["customer"].field("status").choices
    assert {read_choice(w, status).value for w in ("潜在客户", "意向客户", "潜在")} == {"potential"}
    assert read_choice("流失", status).value == "lost"
    for bad in ("", "D", "大客户", None):
        with pytest.raises(ValueError):
            read_choice(bad, status)


@pytest.mark.parametrize(("raw", "expected"), [
    ("是", True), ("√", True), ("Y", True), ("ｙｅｓ", True), (1, True), (True, True),
    ("否", False), ("×", False), ("n", False), ("FALSE", False), (0, False), ("无", False),
])
def test_yes_and_no_as_spreadsheets_say_it(raw: object, expected: bool) -> None:
    assert read_bool(raw).value is expected


@pytest.mark.parametrize("raw", ["", None, "也许", "2", "yesno"])
def test_what_is_not_yes_or_no_is_refused(raw: object) -> None:
    with pytest.raises(ValueError):
        read_bool(raw)


@pytest.mark.parametrize(("raw", "expected"), [
    ("广东", "广东省"), ("广东省", "广东省"), ("粤", "广东省"), ("44", "广东省"),
    ("北京", "北京市"), ("北京市", "北京市"), ("京", "北京市"), ("内蒙", "内蒙古自治区"),
    ("内蒙古", "内蒙古自治区"), ("广西", "广西壮族自治区"), ("新疆", "新疆维吾尔自治区"),
    (" 上海 ", "上海市"), ("沪", "上海市"), ("香港", "香港特别行政区"), ("黑龙江", "黑龙江省"),
])
def test_provinces_in_every_wording(raw: str, expected: str) -> None:
    assert read_province(raw).value == expected


def test_every_province_is_there_once() -> None:
    assert len(PROVINCES) == 34
    assert len({full for full, *_ in PROVINCES}) == len({code for _, code, *_ in PROVINCES}) == 34


@pytest.mark.parametrize("raw", ["", None, "广", "苏州", "加州", "45省"])
def test_what_is_not_a_province_is_refused(raw: object) -> None:
    with pytest.raises(ValueError):
        read_province(raw)
