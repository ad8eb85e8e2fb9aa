"""One spreadsheet cell read as the value of a declared field, with a verdict for the
import's report: ``clean`` (taken as it was), ``fixed`` (tidied: spaces, widths, a phone's
dashes, 广东 → 广东省), ``warning`` (taken, but look again: a two-digit year, an amount in
万, a second mobile number dropped) or ``error`` (not taken; ``message`` says why).

Everything is read from the field's declaration — its kind, format, places, bounds, choices
and length — with the rules of ``crm_common.cleansing``, so the import, the forms and the API
agree on what a valid value is. References (an owner's name, a contact's customer) are left
as text: only the import can look them up, within the importer's rights.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from typing import Any

from crm_common.cleansing import (
    clean_text,
    normalise_email,
    normalise_mobile,
    normalise_phone,
    normalise_uscc,
    read_amount,
    read_bool,
    read_choice,
    read_date,
)
from crm_common.cleansing.regions import NOT_A_PROVINCE, read_region
from crm_common.cleansing.text import HALFWIDTH, ZERO_WIDTH
from crm_common.cleansing.values import Cleaned
from crm_common.entities.spec import NUMERIC_KINDS, FieldSpec, Format, Kind
from crm_common.i18n import N_

TOO_LONG = N_("Longer than this field allows")
TOO_MANY_PLACES = N_("More decimal places than this field allows")
OUT_OF_RANGE = N_("Outside the range this field allows")
NOT_WHOLE = N_("Must be a whole number")
SEVERAL_NUMBERS = N_("Several numbers in one cell: the first is kept")
LETTER_FOR_DIGIT = N_("The letter O or I where the code needs the digit 0 or 1: check the code")
NOT_IMPORTABLE = N_("This field cannot be imported")
TIDIED = N_("Tidied up")

_SEVERAL = re.compile(r"[,，;；/、|]|\s{2,}|\n")
_TAG_SEPARATORS = re.compile(r"[,，;；、|\n]")
# One pass per cell: full-width letters and digits made ASCII (not punctuation: a company's
# （） stay as written), zero-width characters dropped; for codes, numbers and addresses
# (０２０－１２３４) every full-width ASCII form.
_WIDE_ALNUM = {code: ascii_code for code, ascii_code in HALFWIDTH.items()
               if chr(ascii_code).isalnum() or ascii_code == ord(" ")} | ZERO_WIDTH
_WIDE_ASCII = HALFWIDTH | ZERO_WIDTH
_NORMALISERS = {Format.MOBILE: normalise_mobile, Format.PHONE: normalise_phone,
                Format.EMAIL: normalise_email, Format.USCC: normalise_uscc}
# The parts of an address, read together: a district is known only within its city.
_REGION_PARTS = {Format.PROVINCE: "province", Format.CITY: "city", Format.DISTRICT: "district"}


class Verdict(StrEnum):
    CLEAN = "clean"
    FIXED = "fixed"
    WARNING = "warning"
    ERROR = "error"


@dataclass(frozen=True)
class Cell:
    """What a cell gives: ``value`` (None when empty or refused), the verdict, and the
    message (English source, translated for the reader) of a fix, warning or error."""

    value: Any
    verdict: Verdict = Verdict.CLEAN
    message: str | None = None


def _error(message: str) -> Cell:
    return Cell(None, Verdict.ERROR, message)


def _text_of(raw: object) -> str:
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)  # a phone number Excel stored as a number
    return "" if raw is None else str(raw)


def clean_cell(field: FieldSpec, raw: object) -> Cell:
    """``raw`` (text, number, date or bool from a sheet) as a value of ``field``; a city or
    district read on its own, without the row's other address parts (``clean_row`` has
    them)."""
    if field.format in _REGION_PARTS:
        return _address_cells(((_REGION_PARTS[field.format], field.max_length,
                                _text_of(raw)),))[0]
    return _cell(field, raw)


def clean_row(fields: Sequence[FieldSpec], raws: Sequence[object]) -> list[Cell]:
    """The cells of one row, ``raws[i]`` read as ``fields[i]``: each as its declaration
    says, the province, city and district together (天河 is a district of 广州市)."""
    pairs = list(zip(fields, raws, strict=True))
    address = tuple((_REGION_PARTS[field.format], field.max_length, _text_of(raw))
                    for field, raw in pairs if field.format in _REGION_PARTS)
    read = iter(_address_cells(address) if address else ())
    return [next(read) if field.format in _REGION_PARTS else _cell(field, raw)
            for field, raw in pairs]


@lru_cache(maxsize=16_384)
def _address_cells(address: tuple[tuple[str, int | None, str], ...]) -> tuple[Cell, ...]:
    """The cells of an address's parts, given as (part, the field's length, cell text):
    read together, and once for every repetition of the same address in a sheet."""
    region = read_region(**{part: text for part, _, text in address})
    return tuple(Cell(None) if _empty(text) else _listed_cell(length, text, getattr(region, part))
                 for part, length, text in address)


def _empty(raw: object) -> bool:
    return raw is None or (isinstance(raw, str) and not clean_text(raw))


def _cell(field: FieldSpec, raw: object) -> Cell:
    if _empty(raw):
        return Cell(None)
    try:
        return _read(field, raw)
    except ValueError as exc:
        return _error(str(exc))


def clean_listed(field: FieldSpec, raw: object,
                 reader: Callable[[object], Cleaned[str]]) -> Cell:
    """A cell of a field offered from a list (``FieldSpec.choices_from``: a customer's
    industry) read by ``reader`` over the list's live entries
    (``crm_common.cleansing.industry_reader``): a listed name, or the text kept with a
    warning."""
    text = _text_of(raw)
    return Cell(None) if _empty(text) else _listed_cell(field.max_length, text, reader(text))


def _listed_cell(max_length: int | None, written: str, read: Cleaned[str]) -> Cell:
    """A cell's text read against a list: an unknown province is refused (that list is
    complete), a city, district or industry not in its list kept with a warning."""
    if read.note == NOT_A_PROVINCE:
        return _error(NOT_A_PROVINCE)
    if max_length is not None and len(read.value) > max_length:
        return _error(TOO_LONG)
    if read.note:
        return Cell(read.value, Verdict.WARNING, read.note)
    return Cell(read.value) if read.value == written else Cell(read.value, Verdict.FIXED, TIDIED)


def _read(field: FieldSpec, raw: object) -> Cell:
    kind = field.kind
    if kind in (Kind.TEXT, Kind.LONG_TEXT):
        return _text(field, raw)
    if kind in NUMERIC_KINDS or kind is Kind.INT:
        return _number(field, raw)
    if kind is Kind.DATE:
        return _noted(read_date(raw), raw)
    if kind is Kind.DATETIME:
        if isinstance(raw, datetime):
            return Cell(raw)
        day = read_date(raw)
        return Cell(datetime.combine(day.value, datetime.min.time()), Verdict.WARNING,
                    day.note or N_("A date without a time: midnight assumed"))
    if kind is Kind.BOOL:
        return _noted(read_bool(raw), raw)
    if kind is Kind.CHOICE:
        return _noted(read_choice(raw, field.choices), raw)
    if kind is Kind.TAGS:
        tags = [clean_text(part) for part in _TAG_SEPARATORS.split(_text_of(raw))]
        return Cell([tag for tag in tags if tag])
    if kind is Kind.REF:
        return Cell(clean_text(_text_of(raw)))  # looked up by the import
    return _error(NOT_IMPORTABLE)


def _noted(cleaned: Cleaned[Any], raw: object) -> Cell:
    if cleaned.note:
        return Cell(cleaned.value, Verdict.WARNING, cleaned.note)
    same = isinstance(raw, str) and clean_text(raw) == str(cleaned.value)
    return Cell(cleaned.value, Verdict.CLEAN if same or not isinstance(raw, str)
                else Verdict.FIXED, None if same or not isinstance(raw, str) else TIDIED)


def _text(field: FieldSpec, raw: object) -> Cell:
    written = _text_of(raw)
    wide = _WIDE_ASCII if field.format in _NORMALISERS else _WIDE_ALNUM
    text = " ".join(written.translate(wide).split())
    if not text:  # nothing but zero-width characters
        return Cell(None)
    note: str | None = None
    if field.format in (Format.MOBILE, Format.PHONE) and _SEVERAL.search(text):
        parts = [part for part in _SEVERAL.split(text) if part.strip()]
        text, note = parts[0].strip(), SEVERAL_NUMBERS
    if field.format is Format.USCC:
        _check_letters(text)
    if field.format in _NORMALISERS:
        text = _NORMALISERS[field.format](text)
    if field.max_length is not None and len(text) > field.max_length:
        return _error(TOO_LONG)
    if note:
        return Cell(text, Verdict.WARNING, note)
    return Cell(text) if text == written else Cell(text, Verdict.FIXED, TIDIED)


def _check_letters(text: str) -> None:
    """A code that fails only because O / I stand for 0 / 1 is reported as such, never
    changed: the person importing decides."""
    try:
        normalise_uscc(text)
    except ValueError:
        swapped = text.upper().replace("O", "0").replace("I", "1")
        if swapped != text.upper():
            try:
                normalise_uscc(swapped)
            except ValueError:
                return
            raise ValueError(LETTER_FOR_DIGIT) from None


def _number(field: FieldSpec, raw: object) -> Cell:
    cleaned = read_amount(raw)
    value = cleaned.value
    places = 0 if field.kind is Kind.INT else field.scale or 0
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and -exponent > places:
        return _error(NOT_WHOLE if field.kind is Kind.INT else TOO_MANY_PLACES)
    if (field.minimum is not None and value < field.minimum) or (
            field.maximum is not None and value > field.maximum):
        return _error(OUT_OF_RANGE)
    result: int | Decimal = int(value) if field.kind is Kind.INT else value
    if cleaned.note:
        return Cell(result, Verdict.WARNING, cleaned.note)
    tidy = not isinstance(raw, str) or clean_text(raw) == str(value)
    return Cell(result) if tidy else Cell(result, Verdict.FIXED, TIDIED)
