"""Tests for crm_common.money: parsing, 人民币大写 and formatting."""

from __future__ import annotations

import re
from decimal import Decimal
from pathlib import Path

import pytest

import crm_common.money
from crm_common.i18n import translate
from crm_common.money import amount_in_words, format_money, to_decimal


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1,234.50", "1234.50"),
        ("¥1,234.5", "1234.50"),
        ("￥1,234.5", "1234.50"),
        ("１２３", "123.00"),
        ("１，２３４．５", "1234.50"),
        (" 1 234.565 ", "1234.57"),
        ("-¥5", "-5.00"),
        ("¥-5", "-5.00"),
        ("+7", "7.00"),
        (".5", "0.50"),
        ("1.", "1.00"),
        ("0.005", "0.01"),
        ("0.004", "0.00"),
        ("-0.001", "0.00"),
        ("1234567890123.456", "1234567890123.46"),
        (0, "0.00"),
        (-42, "-42.00"),
        (Decimal("2.675"), "2.68"),
        (Decimal("-2.675"), "-2.68"),
        (Decimal("-0"), "0.00"),
    ],
)
def test_to_decimal(raw: str | int | Decimal, expected: str) -> None:
    result = to_decimal(raw)
    assert result == Decimal(expected)
    assert str(result) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "",
        " ",
        "abc",
        "1,23",
        "12,34.5",
        "1.2.3",
        "1e3",
        "NaN",
        "Infinity",
        "1_000",
        "¥",
        "¥¥1",
        "--1",
        "1-",
        "五",
        Decimal("NaN"),
        Decimal("sNaN"),
        Decimal("Infinity"),
        Decimal("1e40"),
    ],
)
def test_to_decimal_errors(raw: str | Decimal) -> None:
    with pytest.raises(ValueError, match="Not a valid amount"):
        to_decimal(raw)


@pytest.mark.parametrize("raw", [1.5, 0.0, True, None, [1]])
def test_to_decimal_refuses_floats_and_other_types(raw: object) -> None:
    with pytest.raises(TypeError):
        to_decimal(raw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        (0, "零元整"),
        ("0.00", "零元整"),
        (1, "壹元整"),
        (10, "壹拾元整"),
        (15, "壹拾伍元整"),
        (100, "壹佰元整"),
        (110, "壹佰壹拾元整"),
        (1010, "壹仟零壹拾元整"),
        (1001, "壹仟零壹元整"),
        (100000, "壹拾万元整"),
        (101000, "壹拾万壹仟元整"),
        (1000010, "壹佰万零壹拾元整"),
        (100000000, "壹亿元整"),
        (100000001, "壹亿零壹元整"),
        (110000000, "壹亿壹仟万元整"),
        (3250801390, "叁拾贰亿伍仟零捌拾万壹仟叁佰玖拾元整"),
        (1000000000000, "壹万亿元整"),
        (1000100000000, "壹万零壹亿元整"),
        (325991, "叁拾贰万伍仟玖佰玖拾壹元整"),
        (Decimal("12345.67"), "壹万贰仟叁佰肆拾伍元陆角柒分"),
        ("10.05", "壹拾元零伍分"),
        ("0.5", "伍角"),
        ("0.05", "伍分"),
        ("0.55", "伍角伍分"),
        ("1.50", "壹元伍角"),
        ("100200300.40", "壹亿零贰拾万零叁佰元肆角"),
        ("1409.50", "壹仟肆佰零玖元伍角"),
        ("6007.14", "陆仟零柒元壹角肆分"),
        ("1680.32", "壹仟陆佰捌拾元叁角贰分"),
        ("5390021.35", "伍佰叁拾玖万零贰拾壹元叁角伍分"),
        ("76089231.02", "柒仟陆佰零捌万玖仟贰佰叁拾壹元零贰分"),
        ("10101010.67", "壹仟零壹拾万壹仟零壹拾元陆角柒分"),
        ("11111111.11", "壹仟壹佰壹拾壹万壹仟壹佰壹拾壹元壹角壹分"),
        ("¥1,234.5", "壹仟贰佰叁拾肆元伍角"),
        (-10, "负壹拾元整"),
        ("-199.01", "负壹佰玖拾玖元零壹分"),
        ("-0.001", "零元整"),
        (
            "9999999999999.99",
            "玖万玖仟玖佰玖拾玖亿玖仟玖佰玖拾玖万玖仟玖佰玖拾玖元玖角玖分",
        ),
    ],
)
def test_amount_in_words(amount: Decimal | int | str, expected: str) -> None:
    assert amount_in_words(amount) == expected


@pytest.mark.parametrize("amount", ["10000000000000", "-10000000000000", "9999999999999.995"])
def test_amount_in_words_out_of_range(amount: str) -> None:
    with pytest.raises(ValueError, match="too large"):
        amount_in_words(amount)


def test_amount_in_words_refuses_float() -> None:
    with pytest.raises(TypeError):
        amount_in_words(1.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "symbol", "expected"),
    [
        (Decimal("1234567.8"), "¥", "¥1,234,567.80"),
        (Decimal("0"), "¥", "¥0.00"),
        (Decimal("999.995"), "¥", "¥1,000.00"),
        (Decimal("-5"), "¥", "-¥5.00"),
        (Decimal("1234.5"), "$", "$1,234.50"),
        (Decimal("12"), "", "12.00"),
    ],
)
def test_format_money(value: Decimal, symbol: str, expected: str) -> None:
    assert format_money(value, symbol) == expected


def test_format_money_default_symbol() -> None:
    assert format_money(Decimal("1234567.80")) == "¥1,234,567.80"


def test_error_messages_have_chinese_translations() -> None:
    source = Path(crm_common.money.__file__).read_text("utf-8")
    messages = set(re.findall(r'N_\(\s*"([^"]+)"\s*\)', source))
    assert messages == {"Not a valid amount", "Amount is too large to write in words"}
    for message in messages:
        assert translate(message, "zh_CN") != message, message
