"""How a field value reads in a list, a header or the change history, per ``Kind``.

One place decides that a date is ``yyyy-MM-dd``, a time is local ``yyyy-MM-dd HH:mm``, money
is ``¥1,234.00``, a unit price ``¥1,200.5678``, a rate ``13%`` and a choice shows its translated
label, so every screen agrees.

Numbers stay ``Decimal`` from the wire to the text: no float ever holds an amount. A unit
price keeps its four places but drops trailing zeros down to two (``¥12.50``, not
``¥12.5000``: most prices are whole cents, and a price that needs four places shows them);
a rate drops them down to none (``13%``, ``6.5%``); money always shows its two places and a
plain decimal its declared places.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from crm_client.core.i18n import N_, _
from crm_common.entities import FieldSpec, Kind
from crm_common.entities.spec import NUMERIC_KINDS, Format
from crm_common.schedules import parse as parse_schedule

CHECK_MARK = "✓"
TAG_SEPARATOR = "、"
_SIZE_UNITS = ("B", "KB", "MB", "GB")
CURRENCY = "¥"
PERCENT_SIGN = "%"
# The fewest places a numeric kind shows once trailing zeros are trimmed (others: all).
_LEAST_PLACES = {Kind.PRICE: 2, Kind.PERCENT: 0}


def format_datetime(value: datetime | str | None) -> str:
    """A moment in the user's local time zone, to the minute."""
    moment = _parse_datetime(value)
    if moment is None:
        return ""
    if moment.tzinfo is not None:
        moment = moment.astimezone()
    return moment.strftime("%Y-%m-%d %H:%M")


def format_date(value: date | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        return value[:10]
    return value.strftime("%Y-%m-%d")


def to_decimal(value: Decimal | int | str) -> Decimal | None:
    """``value`` as a Decimal, None when it is not a number. Read from its text, so
    thousands separators are allowed; never through a float."""
    try:
        number = Decimal(str(value).replace(",", "").strip())
    except InvalidOperation:
        return None
    return number if number.is_finite() else None


def format_decimal(value: Decimal, places: int, least: int | None = None,
                   grouped: bool = True) -> str:
    """``value`` rounded half-up to ``places`` (trailing zeros trimmed down to ``least``
    when given), with thousands separators when ``grouped``: ``1,200.5678``."""
    rounded = value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    if rounded.is_zero():
        rounded = rounded.copy_abs()  # no "-0.00"
    text = f"{rounded:{',' if grouped else ''}.{places}f}"
    if least is not None and least < places:
        whole, _dot, fraction = text.partition(".")
        fraction = fraction.rstrip("0").ljust(least, "0")
        text = f"{whole}.{fraction}" if fraction else whole
    return text


def format_number(field: FieldSpec, value: Decimal, grouped: bool = True) -> str:
    """A numeric field's value with its places, without currency or percent sign."""
    if field.scale is None:  # a DECIMAL declared without places: as many as it has
        return f"{value:{',' if grouped else ''}f}"
    return format_decimal(value, field.scale, _LEAST_PLACES.get(field.kind), grouped)


def format_size(size: int | None) -> str:
    """A file size people read at a glance: ``812 B``, ``23.4 KB``, ``5.0 MB``."""
    if size is None:
        return ""
    amount = float(size)
    for unit in _SIZE_UNITS:
        if amount < 1024 or unit == _SIZE_UNITS[-1]:
            return f"{int(amount)} {unit}" if unit == "B" else f"{amount:.1f} {unit}"
        amount /= 1024
    return str(size)


def format_tags(tags: Iterable[str] | None) -> str:
    return TAG_SEPARATOR.join(tags or ())


def format_value(field: FieldSpec, value: Any) -> str:
    """``value`` of ``field`` as text for people (empty for no value)."""
    if value is None:
        return ""
    if field.translated:
        return _(str(value))
    if field.format is Format.SCHEDULE:
        return format_schedule(str(value))
    formatter = _FORMATTERS.get(field.kind)
    if formatter is not None:
        return formatter(field, value)
    return str(value)


_DAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))


def format_schedule(text: str) -> str:
    """A periodic task's schedule in the user's language (每天 02:00 for ``daily 02:00``);
    a text that is no schedule as it is."""
    try:
        schedule = parse_schedule(text)
    except ValueError:
        return text
    if schedule.every is not None:
        return _("every {minutes} min").format(minutes=schedule.every)
    if schedule.at is None:
        return _("off")
    clock = schedule.at.strftime("%H:%M")
    if schedule.weekday is None:
        return _("daily {time}").format(time=clock)
    return _("weekly {day} {time}").format(day=_(_DAYS[schedule.weekday]), time=clock)


def describe_value(field: FieldSpec, value: Any) -> str:
    """Like ``format_value`` but spelled out where a list would use a sign: yes/no for
    booleans, "(empty)" for no value — for comparisons and the change history."""
    if value is None or value == "" or value == []:
        return _("(empty)")
    if field.kind == Kind.BOOL:
        return _("Yes") if value else _("No")
    return format_value(field, value)


def masked_text(record: Any, field: FieldSpec) -> str:
    """The masked form the server sent for a value the viewer's role sees masked
    (138****5678), "" when there is none. A reference shows its masked title, as in lists."""
    masked: dict[str, str] = getattr(record, "masked", None) or {}
    return masked.get(field.column) or masked.get(field.name) or ""


def _choice(field: FieldSpec, value: Any) -> str:
    return _(field.choice_label(str(value)))


def _bool(_field: FieldSpec, value: Any) -> str:
    return CHECK_MARK if value else ""


def _tags(_field: FieldSpec, value: Any) -> str:
    return format_tags(value) if isinstance(value, list | tuple) else str(value)


def _numeric(field: FieldSpec, value: Any) -> str:
    number = to_decimal(value)
    if number is None:
        return str(value)
    text = format_number(field, number)
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
    if field.kind in (Kind.MONEY, Kind.PRICE):
        return f"{sign}{CURRENCY}{text}"
    return f"{sign}{text}{PERCENT_SIGN}" if field.kind is Kind.PERCENT else sign + text


def _parse_datetime(value: datetime | str | None) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


_FORMATTERS: dict[Kind, Callable[[FieldSpec, Any], str]] = {
    Kind.CHOICE: _choice,
    Kind.BOOL: _bool,
    Kind.TAGS: _tags,
    Kind.REFS: _tags,  # the titles of the chosen records
    Kind.DATE: lambda _field, value: format_date(value),
    Kind.DATETIME: lambda _field, value: format_datetime(value),
    **dict.fromkeys(NUMERIC_KINDS, _numeric),
}
