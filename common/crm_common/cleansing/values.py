"""Dates and amounts as they come out of years of Chinese office spreadsheets.

Each reader returns ``Cleaned``: the canonical value, and a note (a translatable English
message) when the reading involved a guess the person importing should check — a two-digit
year, an amount scaled by 万. A value that cannot be read raises ``ValueError`` with a
translatable message, as every normaliser of this package does, so the import reports it as
an error on its cell and the forms refuse it alike.

Dates: Excel serial numbers (1900 date system), ``2024-01-02``, ``2024/1/2``, ``2024.1.2``,
``2024年1月2日``, ``20240102`` and ``24-1-2`` (year first; a two-digit year is 20xx and is
noted). Amounts: ``¥1,234.50``, ``1234.5元``, ``12.5万`` (× 10,000), ``1.2亿`` (× 100,000,000),
``(1,000.00)`` and ``-1000`` for negatives, full-width digits and punctuation; never through a
float.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Generic, Protocol, TypeVar

from crm_common.i18n import LANGUAGES, N_, translate

from .text import clean_text, to_halfwidth

T = TypeVar("T")

NOT_A_DATE = N_("Not a date this import can read (for example 2024-01-02)")
NOT_AN_AMOUNT = N_("Not an amount this import can read (for example 12,500.00)")
TWO_DIGIT_YEAR = N_("Two-digit year read as 20xx: check the year")
SCALED_AMOUNT = N_("Amount given in 万 or 亿: multiplied out")
NOT_A_CHOICE = N_("Not one of the values this field allows")
NOT_YES_OR_NO = N_("Not yes or no (是 / 否)")
_YES = frozenset({"是", "√", "✓", "✔", "y", "yes", "true", "1", "有", "对", "t"})
_NO = frozenset({"否", "×", "✗", "✘", "x", "n", "no", "false", "0", "无", "不是", "f"})

# Excel's day 0 is 1899-12-30 in the 1900 date system (its phantom 1900-02-29 included),
# so serials from 61 on map exactly; earlier ones are not dates anyone keeps in a CRM.
_EXCEL_EPOCH = date(1899, 12, 30)
_SERIAL_RANGE = (61, 2_958_465)  # 1900-03-01 … 9999-12-31
_YEAR_RANGE = (1900, 2200)
_DATE = re.compile(r"(\d{2}|\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")
_COMPACT_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")
_SCALES = {"万": Decimal(10_000), "亿": Decimal(100_000_000), "万元": Decimal(10_000),
           "亿元": Decimal(100_000_000)}
_AMOUNT = re.compile(
    r"(?P<sign>[-+]?)(?P<number>\d[\d,]*(?:\.\d+)?|\.\d+)(?P<unit>万元|亿元|万|亿|元)?")
_CURRENCY = ("人民币", "rmb", "cny", "¥", "￥")


def cell_text(raw: object) -> str:
    """A cell's text as the readers compare it: cleaned and half-width; "" for no value."""
    return to_halfwidth(clean_text(str(raw) if raw is not None else ""))


def folded(raw: object) -> str:
    """``cell_text`` without spaces and in lower case (names, choices, yes and no)."""
    return cell_text(raw).replace(" ", "").lower()


@dataclass(frozen=True)
class Cleaned(Generic[T]):
    """A value read from a cell; ``note`` when the reading needs a second look."""

    value: T
    note: str | None = None


def read_date(raw: object) -> Cleaned[date]:
    """A date from a cell: a ``date``/``datetime`` (openpyxl, calamine), an Excel serial
    number (int, float or digits), or text in one of the usual Chinese forms."""
    if isinstance(raw, datetime):
        return Cleaned(raw.date())
    if isinstance(raw, date):
        return Cleaned(raw)
    if isinstance(raw, bool):
        raise ValueError(NOT_A_DATE)
    if isinstance(raw, int | float | Decimal):
        return Cleaned(_from_serial(Decimal(str(raw))))
    text = cell_text(raw).replace(" ", "")
    if not text:
        raise ValueError(NOT_A_DATE)
    compact = _COMPACT_DATE.fullmatch(text)
    if compact:
        return Cleaned(_make(*compact.groups()))
    found = _DATE.fullmatch(text)
    if found:
        year, month, day = found.groups()
        if len(year) == 2:
            return Cleaned(_make(f"20{year}", month, day), TWO_DIGIT_YEAR)
        return Cleaned(_make(year, month, day))
    if re.fullmatch(r"\d+(\.\d+)?", text):
        return Cleaned(_from_serial(Decimal(text)))
    raise ValueError(NOT_A_DATE)


def _from_serial(serial: Decimal) -> date:
    low, high = _SERIAL_RANGE
    if not serial.is_finite() or not low <= serial <= high:
        raise ValueError(NOT_A_DATE)
    return _EXCEL_EPOCH + timedelta(days=int(serial))  # a time of day is dropped


def _make(year: str, month: str, day: str) -> date:
    number = int(year)
    if not _YEAR_RANGE[0] <= number <= _YEAR_RANGE[1]:
        raise ValueError(NOT_A_DATE)
    try:
        return date(number, int(month), int(day))
    except ValueError:
        raise ValueError(NOT_A_DATE) from None


def read_amount(raw: object) -> Cleaned[Decimal]:
    """An amount from a cell: a number (never read through a float: ``0.1`` stays 0.1), or
    text with currency signs, thousands separators, 元 / 万 / 亿 and a sign or brackets."""
    if isinstance(raw, bool):
        raise ValueError(NOT_AN_AMOUNT)
    if isinstance(raw, int | Decimal):
        return Cleaned(Decimal(raw))
    if isinstance(raw, float):
        return Cleaned(_finite(Decimal(repr(raw))))
    text = cell_text(raw).lower()
    for sign in _CURRENCY:
        text = text.replace(sign, "")
    text = text.replace(" ", "")
    negative = text.startswith("(") and text.endswith(")")
    if negative:
        text = text[1:-1]
    found = _AMOUNT.fullmatch(text)
    if not text or found is None or (negative and found["sign"]):
        raise ValueError(NOT_AN_AMOUNT)
    number = found["number"].replace(",", "")
    if "," in found["number"] and not re.fullmatch(r"\d{1,3}(,\d{3})*(\.\d+)?", found["number"]):
        raise ValueError(NOT_AN_AMOUNT)  # 1,23,456 is a typo, not an amount
    try:
        value = Decimal(number)
    except InvalidOperation:
        raise ValueError(NOT_AN_AMOUNT) from None
    scale = _SCALES.get(found["unit"] or "")
    if scale is not None:
        value *= scale
    if negative or found["sign"] == "-":
        value = -value
    return Cleaned(_finite(value), SCALED_AMOUNT if scale is not None else None)


def _finite(value: Decimal) -> Decimal:
    if not value.is_finite():
        raise ValueError(NOT_AN_AMOUNT)
    return value


class Option(Protocol):
    """A value of a choice with its English label and other wordings (``entities.Choice``)."""

    @property
    def value(self) -> str: ...

    @property
    def label(self) -> str: ...

    @property
    def synonyms(self) -> tuple[str, ...]: ...


def read_choice(raw: object, options: Iterable[Option]) -> Cleaned[str]:
    """The value of the option ``raw`` names: by its value, its label in any language of
    the catalogue, or a declared synonym; case, width and spaces do not matter."""
    found = _names(tuple(options)).get(folded(raw))
    if found is None:
        raise ValueError(NOT_A_CHOICE)
    return Cleaned(found)


@lru_cache(maxsize=256)
def _names(options: tuple[Option, ...]) -> dict[str, str]:
    """Every way of naming each option, as compared, to its value (the first option
    claiming a wording keeps it)."""
    names: dict[str, str] = {}
    for option in options:
        for name in (option.value, *option.synonyms,
                     *(translate(option.label, language) for language in LANGUAGES)):
            names.setdefault(folded(name), option.value)
    names.pop("", None)
    return names


def read_bool(raw: object) -> Cleaned[bool]:
    """Yes or no as spreadsheets say it: 是 / 否, √ / ×, Y / N, true / false, 1 / 0."""
    if isinstance(raw, bool):
        return Cleaned(raw)
    wanted = folded(raw)
    if wanted in _YES:
        return Cleaned(True)
    if wanted in _NO:
        return Cleaned(False)
    raise ValueError(NOT_YES_OR_NO)
