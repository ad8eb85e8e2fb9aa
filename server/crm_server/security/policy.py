"""The security policy row (password rules, lockout, session lifetimes, duplicates), read
on each use so a change in the console applies to the next request of every process."""

from __future__ import annotations

from sqlalchemy.orm import Session

from crm_common.schemas.security import SecurityPolicy as PolicyRead
from crm_server.models import SecurityPolicy

POLICY_ID = 1


def current(session: Session) -> PolicyRead:
    row = session.get(SecurityPolicy, POLICY_ID)
    return PolicyRead.model_validate(row) if row is not None else PolicyRead()


def stored(session: Session) -> SecurityPolicy:
    """The row itself, created with the defaults when missing."""
    row = session.get(SecurityPolicy, POLICY_ID)
    if row is None:
        row = SecurityPolicy(id=POLICY_ID, **PolicyRead().model_dump(exclude={"version"}))
        session.add(row)
        session.flush()
    return row
