"""Activity (跟进记录): a call, visit, meeting, email or technical exchange with a customer."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from crm_common.schemas.base import RecordRead


class ActivityType(StrEnum):
    CALL = "call"
    VISIT = "visit"
    MEETING = "meeting"
    EMAIL = "email"
    TECHNICAL = "technical"  # 技术交流


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
