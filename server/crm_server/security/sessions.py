"""Opaque bearer tokens kept in the database (hashed), so every server process can check
them and an administrator can revoke them. Absolute and idle expiry both apply."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import Session

from crm_common import API_PREFIX
from crm_common.errors import PasswordChangeRequired
from crm_common.i18n import N_
from crm_common.schemas.security import SecurityPolicy as PolicyRead
from crm_server.db.types import utcnow
from crm_server.models import User, UserSession
from crm_server.security import policy, versions
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


@dataclass(frozen=True)
class Live:
    """A session as each request reads it, with the access version read in the same query
    (``crm_server.security.versions``; None on a database without it)."""

    id: int
    user_id: int
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    access_version: int | None


# Every request sends it: made once, not per request.
_LOOKUP = select(UserSession.id, UserSession.user_id, UserSession.created_at,
                 UserSession.last_seen_at, UserSession.expires_at, UserSession.revoked_at,
                 versions.current_value()).where(UserSession.token_hash == bindparam("hash"))


def lookup(session: Session, token: str) -> Live | None:
    """The session behind ``token``, live or not, in one query; None when there is none."""
    row = session.execute(_LOOKUP, {"hash": token_hash(token)}).first()
    return None if row is None else Live(*row)


def is_live(live: Live, rules: PolicyRead, now: datetime) -> bool:
    """Not revoked, and within both its absolute and its idle lifetime."""
    idle_limit = live.last_seen_at + timedelta(minutes=rules.session_idle_minutes)
    # A lifetime shortened in the console applies to sessions issued before the change too.
    absolute_limit = min(live.expires_at,
                         live.created_at + timedelta(hours=rules.session_absolute_hours))
    return live.revoked_at is None and absolute_limit > now and idle_limit > now


def touch(session: Session, live: Live, now: datetime) -> None:
    """Refresh "last seen" (the idle lifetime), at most once a minute, at the end of a
    request's unit of work. It never waits for the row (PostgreSQL ``SKIP LOCKED``; SQLite
    admits one writer at a time anyway): the row is locked by a transaction revoking the
    session (signing out, changing the password), which may be waiting for a lock this
    request holds (the audit chain's), and waiting would deadlock. A refresh skipped is made
    by the next request."""
    if now - live.last_seen_at > _TOUCH_EVERY:
        free = (select(UserSession.id).where(UserSession.id == live.id)
                .with_for_update(skip_locked=True).scalar_subquery())
        session.execute(update(UserSession).where(UserSession.id == free)
                        .values(last_seen_at=now))


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


def password_due(must_change: bool, changed_at: datetime | None, rules: PolicyRead,
                 now: datetime) -> bool:
    """Whether a user must change their password before doing anything else: reset by an
    administrator, or older than the policy's expiry."""
    return must_change or password_expired(changed_at, rules.password_expiry_days, now)


def password_change_due(session: Session, user: User) -> bool:
    return password_due(user.must_change_password, user.password_changed_at,
                        policy.current(session), utcnow())


def require_password_current(due: bool, method: str, path: str) -> None:
    """Refuse (403 ``password_change_required``) every request but those in
    ``WHILE_PASSWORD_DUE`` while the password is ``due`` for a change."""
    path = path.rstrip("/")
    below = path.removeprefix(API_PREFIX) if path.startswith(API_PREFIX + "/") else path
    if due and (method.upper(), below) not in WHILE_PASSWORD_DUE:
        raise PasswordChangeRequired(N_("Please change your password first"))
