"""The security policy an administrator sets in the console (one row), recent sign-in
attempts, which the rate limits count across every server process, and the access version
every process checks its cached principals against."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_server.db.base import Base, Id, Record


class SecurityPolicy(Record, Base):
    __tablename__ = "security_policy"

    password_min_length: Mapped[int] = mapped_column(default=8)
    password_classes: Mapped[int] = mapped_column(default=2)
    password_expiry_days: Mapped[int] = mapped_column(default=0)
    lockout_threshold: Mapped[int] = mapped_column(default=5)
    lockout_minutes: Mapped[int] = mapped_column(default=15)
    session_absolute_hours: Mapped[int] = mapped_column(default=12)
    session_idle_minutes: Mapped[int] = mapped_column(default=120)
    duplicate_policy: Mapped[str] = mapped_column(String(8), default="warn")


class LoginAttempt(Base):
    """A failed sign-in, kept for the rate-limit window and then pruned."""

    __tablename__ = "login_attempt"
    __table_args__ = (
        Index("ix_login_attempt_address_at", "client_address", "at"),
        Index("ix_login_attempt_username_at", "username", "at"),
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    at: Mapped[datetime]
    username: Mapped[str] = mapped_column(String(64))
    client_address: Mapped[str | None] = mapped_column(String(64))


class AccessVersion(Base):
    """One row (id 1) counting the changes to what a signed-in principal is made of: users,
    roles and their grants, who has which role, departments, the security policy. Bumped in
    the transaction of each such change (``crm_server.security.versions``) and read with
    every session token, so a process uses a principal it cached only while it is current."""

    __tablename__ = "access_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
