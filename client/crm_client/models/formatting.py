"""How a field value reads in a list, a header or the change history, per ``Kind``.

One place decides that a date is ``yyyy-MM-dd``, a time is local ``yyyy-MM-dd HH:mm``, money
is ``¥1,234.00`` and a choice shows its translated label, so every screen agrees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from crm_client.core.i18n import _
from crm_common.entities import FieldSpec, Kind

CHECK_MARK = "✓"
TAG_SEPARATOR = "、"
_SIZE_UNITS = ("B", "KB", "MB", "GB")


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


def format_money(value: Decimal | float | str | None) -> str:
    if value is None or value == "":
        return ""
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    return f"¥{amount:,.2f}"


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
    formatter = _FORMATTERS.get(field.kind)
    if formatter is not None:
        return formatter(field, value)
    return str(value)


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
    Kind.MONEY: lambda _field, value: format_money(value),
}
