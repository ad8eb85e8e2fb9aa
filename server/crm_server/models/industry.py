"""行业: an entry of the industry list customers are classified by (GB/T 4754 sections)."""

from __future__ import annotations

from sqlalchemy import Index, String, text
from sqlalchemy.orm import Mapped, mapped_column

from crm_server.db.base import Base, Record
from crm_server.db.types import pinyin_ordered

_LIVE = text("deleted_at IS NULL")


class Industry(Record, Base):
    __tablename__ = "industry"
    __table_args__ = (
        Index("ix_industry_code", "code", unique=True, sqlite_where=_LIVE,
              postgresql_where=_LIVE),
        Index("ix_industry_name", "name", unique=True, sqlite_where=_LIVE,
              postgresql_where=_LIVE),
        Index("ix_industry_code_id", "code", "id"),
        Index("ix_industry_name_id", "name", "id"),
        Index("ix_industry_sort_order_id", "sort_order", "id"),
    )

    code: Mapped[str] = mapped_column(String(8))
    name: Mapped[str] = mapped_column(pinyin_ordered(64))
    english_name: Mapped[str | None] = mapped_column(String(100))
    sort_order: Mapped[int] = mapped_column(default=0)
    is_active: Mapped[bool] = mapped_column(default=True)
