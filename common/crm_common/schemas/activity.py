"""Activity (跟进记录): a call, visit, meeting, email or technical exchange with a customer."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import Field

from crm_common.schemas.base import Input, OptText, RecordRead, Text, UpdateInput
from crm_common.schemas.scalars import Day, DbId, ZonedDateTime


class ActivityType(StrEnum):
    CALL = "call"
    VISIT = "visit"
    MEETING = "meeting"
    EMAIL = "email"
    TECHNICAL = "technical"  # 技术交流


class _ActivityFields(Input):
    contact_id: DbId | None = None
    next_follow_up_on: Day | None = None
    owner_id: DbId | None = None


class ActivityCreate(_ActivityFields):
    customer_id: DbId
    type: ActivityType = ActivityType.CALL
    occurred_at: ZonedDateTime | None = None  # the server fills "now" when absent
    subject: Text = Field(min_length=1, max_length=200)
    notes: OptText = Field(default=None, max_length=4000)


class ActivityUpdate(_ActivityFields, UpdateInput):
    customer_id: DbId | None = None
    type: ActivityType | None = None
    occurred_at: ZonedDateTime | None = None
    subject: Text | None = Field(default=None, min_length=1, max_length=200)
    notes: OptText = Field(default=None, max_length=4000)


class ActivityRead(RecordRead):
    customer_id: int | None = None
    customer_name: str | None = None
    contact_id: int | None = None
    contact_name: str | None = None
    type: ActivityType | None = None
    occurred_at: datetime | None = None
    subject: str | None = None
    notes: str | None = None
    next_follow_up_on: date | None = None
    owner_id: int | None = None
    owner_name: str | None = None
