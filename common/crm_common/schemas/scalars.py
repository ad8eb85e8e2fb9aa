"""The scalars every wire contract is made of, bounded where the database is.

One annotated type per kind of value, used by every body field, path and query parameter
and by the server's own parsing of filters, cursors and headers, so a value the database
cannot hold (an id past 64 bits, a NUL byte, a lone surrogate, a time without a zone) is a
field error at the wire and never an exception deep in a query:

* ``DbId``: a record id, 1 … 2⁶³−1 (BIGINT); ``Int32`` and ``Version`` for INTEGER columns.
* ``ZonedDateTime``: an ISO 8601 date-time *with* its zone (``2026-01-15T08:00:00+08:00``).
  A naive time is refused rather than guessed: the client always sends its zone, and a
  server-side guess would silently shift a follow-up by hours for a user in another zone.
  Numbers (Unix timestamps) are refused too. ``Day``: an ISO date, numbers refused.
* ``Checked``: text as typed, without control characters other than tab, line feed and
  carriage return, and without lone surrogates (which cannot even be encoded as UTF-8).
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from annotated_types import Interval
from pydantic import AfterValidator, BeforeValidator, TypeAdapter

from crm_common.i18n import N_

DB_ID_MAX = 2**63 - 1
INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1

# C0 and C1 controls except tab, line feed and carriage return (CR: text pasted on Windows),
# DEL, and UTF-16 surrogates: a str decoded from JSON holds one only when it stands alone.
# Control characters (tab, LF and CR are text), lone surrogates, and the noncharacters of
# the BMP: U+FFFF is what bounds "names starting with …" in the collation (kit.search).
_FORBIDDEN = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufdd0-\ufdef\ufffe\uffff]")
NOT_A_WHOLE_NUMBER = N_("Must be a whole number")
CONTROL_CHARACTERS = N_("Contains control characters or invalid characters")
ZONE_NEEDED = N_("A time with a time zone is needed")
NOT_A_DATETIME = N_("Not a valid date and time")
NOT_A_DATE = N_("Not a valid date")


def _whole(value: Any) -> Any:
    """``true`` is not the number 1 on this wire."""
    if isinstance(value, bool):
        raise ValueError(NOT_A_WHOLE_NUMBER)
    return value


def check_text(value: str) -> str:
    """``value`` unchanged, or ValueError when it holds a control character, a lone
    surrogate or a noncharacter."""
    if _FORBIDDEN.search(value):
        raise ValueError(CONTROL_CHARACTERS)
    return value


def _zoned(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ValueError(NOT_A_DATETIME) from None
    if not isinstance(value, datetime):
        raise ValueError(NOT_A_DATETIME)
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(ZONE_NEEDED)
    return value


def _day(value: Any) -> date:
    if isinstance(value, str):
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise ValueError(NOT_A_DATE) from None
    if isinstance(value, datetime) or not isinstance(value, date):
        raise ValueError(NOT_A_DATE)
    return value


DbId = Annotated[int, BeforeValidator(_whole), Interval(ge=1, le=DB_ID_MAX)]
Int64 = Annotated[int, BeforeValidator(_whole), Interval(ge=-DB_ID_MAX - 1, le=DB_ID_MAX)]
Int32 = Annotated[int, BeforeValidator(_whole), Interval(ge=INT32_MIN, le=INT32_MAX)]
Version = Annotated[int, BeforeValidator(_whole), Interval(ge=1, le=INT32_MAX)]
ZonedDateTime = Annotated[datetime, BeforeValidator(_zoned)]
Day = Annotated[date, BeforeValidator(_day)]
Checked = Annotated[str, AfterValidator(check_text)]

DB_ID: TypeAdapter[int] = TypeAdapter(DbId)
INT64: TypeAdapter[int] = TypeAdapter(Int64)
ZONED: TypeAdapter[datetime] = TypeAdapter(ZonedDateTime)
DAY: TypeAdapter[date] = TypeAdapter(Day)


def parse_id(raw: str) -> int:
    """A record id typed as text (a header, a filter): ASCII digits only, in range; else
    ValueError (pydantic's ``ValidationError`` is one)."""
    if not (raw.isascii() and raw.isdigit()):
        raise ValueError(NOT_A_WHOLE_NUMBER)
    return DB_ID.validate_python(raw)


def parse_int(raw: Any) -> int:
    """A 64-bit integer from a query string or a cursor; ValueError otherwise."""
    if isinstance(raw, str) and not re.fullmatch(r"-?[0-9]+", raw):
        raise ValueError(NOT_A_WHOLE_NUMBER)
    return INT64.validate_python(raw)
