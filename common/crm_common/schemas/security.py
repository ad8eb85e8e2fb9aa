"""The admin console's wire contracts: security policy, sign-in sessions, audit entries."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from crm_common.schemas.base import Input
from crm_common.schemas.scalars import Int32, Version

_CLASSES = (str.islower, str.isupper, str.isdigit)


def character_classes(password: str) -> int:
    """How many of lower case, upper case, digits and other characters ``password`` has
    (what ``SecurityPolicy.password_classes`` counts; the client checks as the server does)."""
    found = {index for char in password for index, test in enumerate(_CLASSES) if test(char)}
    others = any(not any(test(char) for test in _CLASSES) for char in password)
    return len(found) + others


class SecurityPolicy(BaseModel):
    """Password, lockout and session rules, set by an administrator in the console."""

    model_config = ConfigDict(from_attributes=True)

    version: int = 1
    password_min_length: int = Field(default=8, ge=6, le=64)
    # How many of the four classes (lower case, upper case, digits, symbols) a password needs.
    password_classes: int = Field(default=2, ge=1, le=4)
    password_expiry_days: int = Field(default=0, ge=0, le=3650)  # 0: never expires
    lockout_threshold: int = Field(default=5, ge=1, le=100)
    lockout_minutes: int = Field(default=15, ge=1, le=24 * 60)
    session_absolute_hours: int = Field(default=12, ge=1, le=24 * 30)
    session_idle_minutes: int = Field(default=120, ge=5, le=24 * 60)
    duplicate_policy: Literal["warn", "block"] = "warn"


class SecurityPolicyUpdate(Input):
    version: Version
    password_min_length: Int32 | None = Field(default=None, ge=6, le=64)
    password_classes: Int32 | None = Field(default=None, ge=1, le=4)
    password_expiry_days: Int32 | None = Field(default=None, ge=0, le=3650)
    lockout_threshold: Int32 | None = Field(default=None, ge=1, le=100)
    lockout_minutes: Int32 | None = Field(default=None, ge=1, le=24 * 60)
    session_absolute_hours: Int32 | None = Field(default=None, ge=1, le=24 * 30)
    session_idle_minutes: Int32 | None = Field(default=None, ge=5, le=24 * 60)
    duplicate_policy: Literal["warn", "block"] | None = None


class SessionRead(BaseModel):
    """A live sign-in session (never its token)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    user_id: int
    user_name: str | None = None
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    client_address: str | None = None
    user_agent: str | None = None
    current: bool = False  # the session making this request


class AuditRead(BaseModel):
    """One audit entry; changes of fields the viewer may not see are left out or masked."""

    id: int
    at: datetime | None = None
    user_id: int | None = None
    user_name: str | None = None
    action: str | None = None
    entity: str | None = None
    record_id: int | None = None
    record_title: str | None = None  # only when the viewer may read that record's title
    changes: list[dict[str, Any]] = Field(default_factory=list)
    client_address: str | None = None
