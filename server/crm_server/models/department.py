"""部门: a node of the organisation tree."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from crm_server.db.base import Base, Id, Record
from crm_server.db.types import pinyin_ordered


class Department(Record, Base):
    __tablename__ = "department"
    __table_args__ = (Index("ix_department_name_id", "name", "id"),)

    name: Mapped[str] = mapped_column(pinyin_ordered(100))
    parent_id: Mapped[int | None] = mapped_column(Id, ForeignKey("department.id"), index=True)
    sort_order: Mapped[int] = mapped_column(default=0)
