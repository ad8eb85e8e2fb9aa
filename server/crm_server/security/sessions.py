"""Opaque bearer tokens kept in the database (hashed), so every server process can check
them and an administrator can revoke them. Absolute and idle expiry both apply."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm_common import API_PREFIX
from crm_common.errors import PasswordChangeRequired
from crm_common.i18n import N_
from crm_server.db.types import utcnow
from crm_server.models import User, UserSession
from crm_server.security import policy
from crm_server.security.passwords import password_expired

# What a user whose password was reset or has expired may still do: see who they are, read
# the password rules, change the password, or sign out.
WHILE_PASSWORD_DUE = frozenset({
    ("GET", "/me"), ("POST", "/auth/password"), ("POST", "/auth/logout"),
    ("GET", "/security/policy"),
})

# Refreshing "last seen" on every request would turn every read into a write.
_TOUCH_EVERY = timedelta(seconds=60)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: datetime


def issue(session: Session, user: User, address: str | None, agent: str | None) -> IssuedToken:
    token = secrets.token_urlsafe(32)
    now = utcnow()
    expires = now + timedelta(hours=policy.current(session).session_absolute_hours)
    session.add(UserSession(
        token_hash=token_hash(token), user_id=user.id, created_at=now, last_seen_at=now,
        expires_at=expires, client_address=address, user_agent=(agent or "")[:200],
    ))
    return IssuedToken(token, expires)


def resolve(session: Session, token: str) -> tuple[UserSession, User] | None:
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
    rules = policy.current(session)
    idle_limit = live.last_seen_at + timedelta(minutes=rules.session_idle_minutes)
    # A lifetime shortened in the console applies to sessions issued before the change too.
    absolute_limit = min(live.expires_at,
                         live.created_at + timedelta(hours=rules.session_absolute_hours))
    if live.revoked_at or absolute_limit <= now or idle_limit <= now:
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


def revoke_all(session: Session, user_id: int, keep: int | None = None) -> None:
    """End every live session of a user (disabled, password reset), except ``keep`` (the
    session that changed the password)."""
    stmt = update(UserSession).where(UserSession.user_id == user_id,
                                     UserSession.revoked_at.is_(None))
    if keep is not None:
        stmt = stmt.where(UserSession.id != keep)
    session.execute(stmt.values(revoked_at=utcnow()))


def password_change_due(session: Session, user: User) -> bool:
    """Whether ``user`` must change their password before doing anything else: reset by an
    administrator, or older than the policy's expiry."""
    if user.must_change_password:
        return True
    return password_expired(user.password_changed_at,
                            policy.current(session).password_expiry_days, utcnow())


def require_password_current(session: Session, user: User, method: str, path: str) -> None:
    """Refuse (403 ``password_change_required``) every request but those in
    ``WHILE_PASSWORD_DUE`` while ``user`` must change their password."""
    path = path.rstrip("/")
    below = path.removeprefix(API_PREFIX) if path.startswith(API_PREFIX + "/") else path
    if (method.upper(), below) in WHILE_PASSWORD_DUE:
        return
    if password_change_due(session, user):
        raise PasswordChangeRequired(N_("Please change your password first"))
