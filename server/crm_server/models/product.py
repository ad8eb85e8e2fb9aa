"""产品: what the company sells — equipment, spare parts and services."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from crm_server.db.base import Base, Record, Searchable
from crm_server.db.types import Percent, UnitPrice, pinyin_ordered

_LIVE = text("deleted_at IS NULL")


class Product(Searchable, Record, Base):
    __tablename__ = "product"
    __table_args__ = (
        Index("ix_product_code", "code", unique=True, sqlite_where=_LIVE,
              postgresql_where=_LIVE),
        Index("ix_product_code_id", "code", "id"),
        Index("ix_product_name_id", "name", "id"),
        Index("ix_product_type_id", "type", "id"),
        Index("ix_product_updated_at_id", "updated_at", "id"),
    )

    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(pinyin_ordered(100))
    type: Mapped[str] = mapped_column(String(16), default="equipment")
    specification: Mapped[str | None] = mapped_column(String(100))
    unit: Mapped[str | None] = mapped_column(String(16))
    list_price: Mapped[Decimal | None] = mapped_column(UnitPrice)
    cost: Mapped[Decimal | None] = mapped_column(UnitPrice)
    tax_rate: Mapped[Decimal] = mapped_column(Percent, default=Decimal(13))
    warranty_months: Mapped[int | None]
    is_active: Mapped[bool] = mapped_column(default=True)
    notes: Mapped[str | None] = mapped_column(Text)
