"""客户: a company we sell to."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from sqlalchemy import Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from crm_server.db.base import Base, Id, Record, Searchable
from crm_server.db.types import PortableJSON, pinyin_ordered

_LIVE = text("deleted_at IS NULL")


class Customer(Searchable, Record, Base):
    """``search_text`` and ``name_key`` are derived on every write: the first holds what the
    search box matches (names, pinyin initials, USCC, phone digits of the customer and its
    contacts), the second the normalised name used to spot duplicates."""

    __tablename__ = "customer"
    __audit_exclude__: ClassVar[frozenset[str]] = frozenset(
        {"search_text", "name_key", "last_activity_at", "next_follow_up_on"}
    )
    __table_args__ = (
        Index("ix_customer_name_id", "name", "id"),
        Index("ix_customer_province_name_id", "province", "name", "id"),
        Index("ix_customer_province_id", "province", "id"),
        Index("ix_customer_last_activity_at_id", "last_activity_at", "id"),
        Index("ix_customer_owner_name_id", "owner_id", "name", "id"),
        Index("ix_customer_level_id", "level", "id"),
        Index("ix_customer_updated_at_id", "updated_at", "id"),
        # A sales rep's own customers in each sort order and filter (migration 0009).
        *[Index(f"ix_customer_owner_{key}_id", "owner_id", key, "id",
                postgresql_where=_LIVE, sqlite_where=_LIVE)
          for key in ("level", "status", "province", "last_activity_at", "created_at",
                      "updated_at")],
    )

    name: Mapped[str] = mapped_column(pinyin_ordered(100))
    short_name: Mapped[str | None] = mapped_column(String(64))
    uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    industry: Mapped[str | None] = mapped_column(String(64))
    province: Mapped[str | None] = mapped_column(pinyin_ordered(32))
    city: Mapped[str | None] = mapped_column(String(32))
    district: Mapped[str | None] = mapped_column(String(32))
    address: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(32))
    level: Mapped[str] = mapped_column(String(8), default="C")
    status: Mapped[str] = mapped_column(String(16), default="potential")
    source: Mapped[str | None] = mapped_column(String(16))
    owner_id: Mapped[int | None] = mapped_column(Id, ForeignKey("user_account.id"))
    parent_id: Mapped[int | None] = mapped_column(Id, ForeignKey("customer.id"))
    tags: Mapped[list[str]] = mapped_column(PortableJSON, default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    last_activity_at: Mapped[datetime | None] = mapped_column(default=None)
    next_follow_up_on: Mapped[date | None] = mapped_column(Date, default=None)
    name_key: Mapped[str] = mapped_column(String(100), default="", index=True)
