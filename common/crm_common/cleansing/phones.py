"""Mainland China mobile and landline numbers as users type them.

Mobiles become their 11 digits. Landlines follow the numbering plan: an area code (``0`` and
two digits for Beijing ``010`` and ``020``–``029``, ``0`` and three digits elsewhere), then
the subscriber number (8 digits after a two-digit area code, 7 or 8 after a three-digit one,
never starting with 0 or 1), then an optional extension. They keep one ``-`` between the
area code and the number and one before an extension (``0755-26881234-802``) so they stay
readable in lists and printouts; 400/800 service numbers become plain digits; numbers with a
foreign country code become ``+`` and their digits.
"""

from __future__ import annotations

import re

from crm_common.i18n import N_

from .text import remove_zero_width, to_halfwidth

MIN_DIGITS = 7
MAX_DIGITS = 20

_MOBILE = re.compile(r"1[3-9]\d{9}")
_MOBILE_CHARS = re.compile(r"[\d\s\-().+]*")
_CHINA_PREFIX = re.compile(r"(?:\+|00)\s*86")
_INTERNATIONAL_PREFIX = re.compile(r"\+|00")
_EXTENSION_MARK = re.compile(r"转|分机")
_DIGIT_GROUP = re.compile(r"\d+")
_SERVICE_NUMBER = re.compile(r"[48]00\d{7}")
_LOCAL_LENGTHS = (7, 8)
_EXTENSION_DIGITS = 6


def digits(value: str | None) -> str:
    """Only the ASCII digits of ``value`` (full-width digits count)."""
    return "".join(char for char in to_halfwidth(value or "") if "0" <= char <= "9")


def normalise_mobile(value: str) -> str:
    """The 11 digits of a mainland mobile; ``+86``, ``0086`` and ``86`` prefixes are dropped."""
    text = _prepare(value)
    if not _MOBILE_CHARS.fullmatch(text):
        raise ValueError(N_("Not a valid mainland China mobile number"))
    china = _CHINA_PREFIX.match(text)
    number = digits(text[china.end() :] if china else text)
    if not china and len(number) == 13 and number.startswith("86"):
        number = number[2:]
    foreign = not china and _INTERNATIONAL_PREFIX.match(text) is not None
    if foreign or not _MOBILE.fullmatch(number):
        raise ValueError(N_("Not a valid mainland China mobile number"))
    return number


def normalise_phone(value: str) -> str:
    """A landline or mobile number in canonical form (see the module docstring).

    Loose on purpose: spacing and punctuation are ignored; only letters (other than the
    ``转``/``分机`` extension marks) and implausible lengths are refused.
    """
    try:
        return normalise_mobile(value)
    except ValueError:
        pass
    main, extension = _split_extension(_prepare(value))
    china = _CHINA_PREFIX.match(main)
    if china:
        return _domestic(main[china.end() :], extension, after_country_code=True)
    if _INTERNATIONAL_PREFIX.match(main):
        return _joined("+" + _checked(main, extension), extension)
    return _domestic(main, extension, after_country_code=False)


def _prepare(value: str) -> str:
    return remove_zero_width(to_halfwidth(value)).strip()


def _split_extension(text: str) -> tuple[str, str]:
    """The number and the extension written after ``转`` or ``分机`` (empty when none)."""
    parts = _EXTENSION_MARK.split(text)
    if len(parts) > 2 or any(char.isalpha() for char in "".join(parts)):
        raise ValueError(N_("Not a valid phone number"))
    return parts[0], digits(parts[1]) if len(parts) == 2 else ""


def _checked(main: str, extension: str) -> str:
    """The digits of ``main``, refused when the whole number is implausibly short or long."""
    number = digits(main)
    if len(number) < MIN_DIGITS or len(number) + len(extension) > MAX_DIGITS:
        raise ValueError(N_("Not a valid phone number"))
    return number


def _domestic(main: str, extension: str, *, after_country_code: bool) -> str:
    groups = _DIGIT_GROUP.findall(main)
    number = _checked(main, extension)
    if _SERVICE_NUMBER.fullmatch(number):
        return _joined(number, extension)
    if after_country_code and not number.startswith("0"):
        number = "0" + number  # +86 drops the trunk prefix of the area code
    if not number.startswith("0"):
        raise ValueError(N_("Add the area code, e.g. 0755-26881234"))
    area = _area_code(number)
    local = number[len(area):]
    if not extension:
        local, extension = _trailing_extension(local, groups)
    _check_local(area, local, extension)
    return _joined(f"{area}-{local}", extension)


def _area_code(number: str) -> str:
    """``010`` and ``020``–``029`` have two digits after the 0, every other area code three."""
    if number[1] == "2" or number.startswith("010"):
        return number[:3]
    if number[1] in "3456789":
        return number[:4]
    raise ValueError(N_("Not a valid area code"))


def _check_local(area: str, local: str, extension: str) -> None:
    lengths = (8,) if len(area) == 3 else _LOCAL_LENGTHS
    if len(local) not in lengths:
        raise ValueError(N_("After area code 010 or 02x a landline number has 8 digits")
                         if len(area) == 3 else
                         N_("After the area code a landline number has 7 or 8 digits"))
    if local[0] in "01":
        raise ValueError(N_("A landline number does not start with 0 or 1 after the area code"))
    if len(extension) > _EXTENSION_DIGITS:
        raise ValueError(N_("An extension has at most 6 digits"))


def _trailing_extension(local: str, groups: list[str]) -> tuple[str, str]:
    """Split ``0755-26881234-802``: a last group beyond a 7/8-digit number is the extension."""
    last = groups[-1]
    if len(groups) > 1 and len(local) - len(last) in _LOCAL_LENGTHS:
        return local[: -len(last)], last
    return local, ""


def _joined(number: str, extension: str) -> str:
    return f"{number}-{extension}" if extension else number
