"""跟进记录: a follow-up with a customer."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_server.db.base import Base, Id, Record


class Activity(Record, Base):
    __tablename__ = "activity"
    __table_args__ = (
        Index("ix_activity_customer_occurred", "customer_id", "occurred_at", "id"),
        Index("ix_activity_owner_occurred", "owner_id", "occurred_at", "id"),
        Index("ix_activity_next_follow_up_on_id", "next_follow_up_on", "id"),
    )

    customer_id: Mapped[int] = mapped_column(Id, ForeignKey("customer.id"))
    contact_id: Mapped[int | None] = mapped_column(Id, ForeignKey("contact.id"), index=True)
    type: Mapped[str] = mapped_column(String(16), default="call")
    occurred_at: Mapped[datetime] = mapped_column(index=True)
    subject: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
    next_follow_up_on: Mapped[date | None] = mapped_column(Date)
    owner_id: Mapped[int | None] = mapped_column(Id, ForeignKey("user_account.id"))
