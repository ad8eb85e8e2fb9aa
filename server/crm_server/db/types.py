"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Dialect, Numeric, String
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC in and out. SQLite keeps no zone, so values are normalised to UTC
    on the way in and marked UTC on the way out; a naive value is refused (a bug upstream)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# JSON that is JSONB (indexable, compact) on PostgreSQL.
PortableJSON = JSON().with_variant(JSONB(), "postgresql")

# The SQLite collation of names, registered on every connection by ``db.engine``.
PINYIN_COLLATION = "pinyin"


def pinyin_ordered(length: int) -> String:
    """A name column that sorts in pinyin order: the ICU collation ``zh-x-icu`` on
    PostgreSQL (migration 0003), the ``pinyin`` collation on SQLite (migration 0006). The
    collation is the column's own, so ORDER BY, the keyset comparisons and the indexes on it
    all use the same order."""
    return (String(length)
            .with_variant(String(length, collation="zh-x-icu"), "postgresql")
            .with_variant(String(length, collation=PINYIN_COLLATION), "sqlite"))


# The numeric kinds of the registry (``Kind.MONEY``, ``PRICE``, ``PERCENT``).
Money = Numeric(18, 2)
UnitPrice = Numeric(18, 4)
Percent = Numeric(18, 2)


def utcnow() -> datetime:
    return datetime.now(UTC)


def json_safe(value: Any) -> Any:
    """A column value as plain JSON (for audit rows and cursors)."""
    if isinstance(value, datetime):
        return value.isoformat()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, (int, float, str, bool, list, dict)) or value is None:
        return value
    return str(value)
