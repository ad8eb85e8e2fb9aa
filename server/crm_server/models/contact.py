"""联系人: a person at a customer."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_server.db.base import Base, Id, Record, Searchable
from crm_server.db.types import pinyin_ordered


class Contact(Searchable, Record, Base):
    __tablename__ = "contact"
    __table_args__ = (Index("ix_contact_name_id", "name", "id"),)

    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customer.id"), index=True)
    name: Mapped[str] = mapped_column(pinyin_ordered(64))
    title: Mapped[str | None] = mapped_column(String(64))
    mobile: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    wechat: Mapped[str | None] = mapped_column(String(64))
    decision_role: Mapped[str | None] = mapped_column(String(16))
    is_primary: Mapped[bool] = mapped_column(default=False)
    notes: Mapped[str | None] = mapped_column(Text)
