"""Users and their sign-in sessions."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_server.db.base import Base, Id, Record
from crm_server.db.types import pinyin_ordered


class User(Record, Base):
    __tablename__ = "user_account"
    __table_args__ = (Index("ix_user_account_name_id", "name", "id"),)
    __audit_exclude__: ClassVar[frozenset[str]] = frozenset(
        {"failed_logins", "locked_until", "last_login_at", "password_changed_at"}
    )
    __audit_redact__: ClassVar[frozenset[str]] = frozenset({"password_hash"})

    username: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(pinyin_ordered(64))
    password_hash: Mapped[str] = mapped_column(String(255))
    department_id: Mapped[int | None] = mapped_column(Id, ForeignKey("department.id"), index=True)
    email: Mapped[str | None] = mapped_column(String(254))
    mobile: Mapped[str | None] = mapped_column(String(20))
    is_active: Mapped[bool] = mapped_column(default=True)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None] = mapped_column(default=None)
    last_login_at: Mapped[datetime | None] = mapped_column(default=None)
    password_changed_at: Mapped[datetime | None] = mapped_column(default=None)
    must_change_password: Mapped[bool] = mapped_column(default=False)


class UserSession(Base):
    """An opaque bearer token, stored only as its SHA-256, so a database leak leaks no
    usable tokens. Lives in the database so any server process can check it."""

    __tablename__ = "user_session"

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(Id, ForeignKey("user_account.id"), index=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None] = mapped_column(default=None)
    client_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))
