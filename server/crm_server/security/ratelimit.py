"""Rate limits on guessing passwords, counted in the database (``login_attempt``) so they hold
across every server process; the same rows count the wrong passwords in a row that lock an
account (``domains.accounts``), for real and unknown usernames alike.

Only failures count (a wrong password, an unknown or disabled user, a wrong current password
when changing it), and a successful sign-in forgets the account's failures: people who type
their password correctly are never slowed down, however often they sign in. Two limits
apply, besides the account lockout:

* per client address, against one machine trying many accounts (password spraying). An
  office behind one NAT address is one address, so an account that has signed in from this
  address before (within ``KNOWN_FOR``) is not held by it: a typo storm, or an attacker at
  that address, cannot lock the whole company out. Its own lockout still guards it.
* per typed username, against many machines trying one account, and against an unknown
  username — it gets the same answers as a real one, so the limits do not reveal which
  usernames exist.

The check and the insert are not one atomic step: a burst of parallel requests may overshoot
a limit by the number of requests in flight, which is harmless for a rate limit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from math import ceil
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from crm_common.errors import TooManyRequests
from crm_common.i18n import N_
from crm_server.db.types import utcnow
from crm_server.models import LoginAttempt, UserSession

# Per address: 20 failures in 10 minutes. Generous enough for an office behind one NAT
# address where several people mistype their passwords on a Monday morning, yet it caps a
# single machine at ~2 900 guesses a day spread over all accounts.
ADDRESS_MAX_FAILURES = 20
ADDRESS_WINDOW = timedelta(minutes=10)

# Per username: 10 failures a minute. A person retyping a password never gets near this (the
# lockout, 5 in a row by default, comes first); it bounds guessing against an unknown
# username, or against a real one when the administrator set a high lockout threshold, and
# it stops attempts from many addresses at once from exceeding 10 a minute per account.
ACCOUNT_MAX_FAILURES = 10
ACCOUNT_WINDOW = timedelta(minutes=1)

# Wrong passwords in a row count towards the lockout for this long (and no lockout lasts
# longer: the policy allows 24 hours at most); older attempts are deleted on the next insert.
KEEP = timedelta(hours=24)

# An account that signed in from an address this recently is not held by its address limit.
KNOWN_FOR = timedelta(days=30)


def account_key(username: str) -> str:
    """The typed username as counted: case and surrounding blanks do not make a new account
    to guess against."""
    return username.strip().casefold()[:64]


def _retry_after(session: Session, column: InstrumentedAttribute[Any], value: str, limit: int,
                 window: timedelta, now: datetime) -> int | None:
    """Seconds until fewer than ``limit`` failures remain in the window, or None when the
    limit is not reached."""
    recent = list(session.scalars(
        select(LoginAttempt.at)
        .where(column == value, LoginAttempt.at > now - window)
        .order_by(LoginAttempt.at.desc())
        .limit(limit)))
    if len(recent) < limit:
        return None
    # The limit-th newest failure leaving the window brings the count below the limit.
    return max(1, ceil((recent[-1] + window - now).total_seconds()))


def known_here(session: Session, user_id: int | None, address: str | None) -> bool:
    """Whether the account signed in from ``address`` within ``KNOWN_FOR``."""
    if user_id is None or not address:
        return False
    return session.scalars(select(UserSession.id).where(
        UserSession.user_id == user_id, UserSession.client_address == address[:64],
        UserSession.created_at > utcnow() - KNOWN_FOR).limit(1)).first() is not None


def check(session: Session, username: str, address: str | None,
          known_here: bool = False) -> None:
    """Refuse with 429 while the account, or the address (unless the account is known
    there), has too many recent failures. ``data.retry_after_seconds`` and the
    ``Retry-After`` header say how long to wait."""
    now = utcnow()
    waits = [_retry_after(session, LoginAttempt.username, account_key(username),
                          ACCOUNT_MAX_FAILURES, ACCOUNT_WINDOW, now)]
    if address and not known_here:
        waits.append(_retry_after(session, LoginAttempt.client_address, address[:64],
                                  ADDRESS_MAX_FAILURES, ADDRESS_WINDOW, now))
    found = [wait for wait in waits if wait is not None]
    if found:
        raise TooManyRequests(N_("Too many failed sign-ins: please wait a while and try again"),
                              data={"retry_after_seconds": max(found)})


def record_failure(session: Session, username: str, address: str | None) -> None:
    """Count one failure (the caller commits it even though the request fails) and delete
    the attempts no window needs any more."""
    now = utcnow()
    session.execute(delete(LoginAttempt).where(LoginAttempt.at < now - KEEP))
    session.add(LoginAttempt(at=now, username=account_key(username),
                             client_address=address[:64] if address else None))
    session.flush()  # counted by the queries that follow (sessions do not autoflush)


def failures_in_row(session: Session, username: str) -> list[datetime]:
    """When the account's failures since its last successful sign-in (within ``KEEP``)
    happened, newest first."""
    return list(session.scalars(
        select(LoginAttempt.at)
        .where(LoginAttempt.username == account_key(username),
               LoginAttempt.at > utcnow() - KEEP)
        .order_by(LoginAttempt.at.desc())))


def forget(session: Session, username: str) -> None:
    """A successful sign-in: the account's failures no longer count, for any limit."""
    session.execute(delete(LoginAttempt).where(LoginAttempt.username == account_key(username)))
