"""Customer (客户): a company we sell to."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field

from crm_common.schemas.base import Input, OptText, RecordRead, Text
from crm_common.schemas.scalars import DbId


class CustomerLevel(StrEnum):
    A = "A"
    B = "B"
    C = "C"
    KEY = "key"  # 重点客户


class CustomerStatus(StrEnum):
    POTENTIAL = "potential"
    ACTIVE = "active"
    DORMANT = "dormant"
    LOST = "lost"


class CustomerSource(StrEnum):
    EXHIBITION = "exhibition"
    REFERRAL = "referral"
    WEBSITE = "website"
    COLD_CALL = "cold_call"
    TENDER = "tender"
    PARTNER = "partner"
    OTHER = "other"


class CustomerRead(RecordRead):
    """The typed mirror of the read schema derived from the declaration."""

    name: str | None = None
    short_name: str | None = None
    uscc: str | None = None
    industry: str | None = None
    province: str | None = None
    city: str | None = None
    district: str | None = None
    address: str | None = None
    phone: str | None = None
    level: CustomerLevel | None = None
    status: CustomerStatus | None = None
    source: CustomerSource | None = None
    owner_id: int | None = None
    owner_name: str | None = None
    parent_id: int | None = None
    parent_name: str | None = None
    tags: list[str] = Field(default_factory=list)
    notes: str | None = None
    last_activity_at: datetime | None = None
    next_follow_up_on: date | None = None


class DuplicateCheck(Input):
    """The clash check's question (撞单): the name and code being entered; ``exclude_id``
    names the record being edited, so it does not clash with itself."""

    name: Text = Field(default="", max_length=200)
    uscc: OptText = Field(default=None, max_length=64)
    exclude_id: DbId | None = None


class DuplicateMatch(BaseModel):
    """An existing customer that looks like the one being entered, and why (``reason``:
    "uscc" or "name"). A customer the asker may not identify (out of their read scope, or its
    name or the matched field unreadable to them) comes without id and name: only whose it
    is (whom to talk to), when they may read that."""

    id: int | None = None
    name: str | None = None
    owner_name: str | None = None
    reason: str  # "uscc" or "name"
