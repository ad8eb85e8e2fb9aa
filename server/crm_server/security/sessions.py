"""Opaque bearer tokens kept in the database (hashed), so every server process can check
them and an administrator can revoke them. Absolute and idle expiry both apply."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm_server.db.types import utcnow
from crm_server.models import User, UserSession
from crm_server.settings import Settings

# Refreshing "last seen" on every request would turn every read into a write.
_TOUCH_EVERY = timedelta(seconds=60)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime


def issue(session: Session, settings: Settings, user: User, address: str | None,
          agent: str | None) -> IssuedToken:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    expires = now + timedelta(hours=settings.session_absolute_hours)
    session.add(UserSession(
        token_hash=token_hash(token), user_id=user.id, created_at=now, last_seen_at=now,
        expires_at=expires, client_address=address, user_agent=(agent or "")[:200],
    ))
    return IssuedToken(token, expires)


def resolve(session: Session, settings: Settings, token: str) -> tuple[UserSession, User] | None:
    """The live session and active user behind ``token``, or None."""
    row = session.execute(
        select(UserSession, User)
        .join(User, User.id == UserSession.user_id)
        .where(UserSession.token_hash == token_hash(token))
    ).first()
    if row is None:
        return None
    live, user = row
    now = utcnow()
    idle_limit = live.last_seen_at + timedelta(minutes=settings.session_idle_minutes)
    if live.revoked_at or live.expires_at <= now or idle_limit <= now:
        return None
    if not user.is_active or user.deleted_at is not None:
        return None
    if now - live.last_seen_at > _TOUCH_EVERY:
        session.execute(update(UserSession).where(UserSession.id == live.id)
                        .values(last_seen_at=now))
    return live, user


def revoke(session: Session, session_id: int) -> None:
    session.execute(update(UserSession).where(UserSession.id == session_id)
                    .values(revoked_at=utcnow()))
