"""Roles (角色) and who has them. A role's grants are one JSON document
(``crm_common.permissions.Permissions``), edited whole by the matrix editor and audited as
one change."""

from __future__ import annotations

from typing import Any, ClassVar

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_server.db.base import Base, Id, Record
from crm_server.db.types import PortableJSON, pinyin_ordered


class Role(Record, Base):
    __tablename__ = "role"
    __audit_permission_fields__: ClassVar[frozenset[str]] = frozenset({"permissions"})
    __table_args__ = (Index("ix_role_name_id", "name", "id"),)

    key: Mapped[str | None] = mapped_column(String(32), unique=True)  # built-in roles only
    name: Mapped[str] = mapped_column(pinyin_ordered(64))
    description: Mapped[str | None] = mapped_column(Text)
    is_builtin: Mapped[bool] = mapped_column(default=False)
    permissions: Mapped[dict[str, Any]] = mapped_column(PortableJSON, default=dict)


class UserRole(Base):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(Id, ForeignKey("user_account.id"), primary_key=True)
    role_id: Mapped[int] = mapped_column(Id, ForeignKey("role.id"), primary_key=True,
                                         index=True)
