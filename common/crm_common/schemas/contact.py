"""Contact (联系人): a person at a customer."""

from __future__ import annotations

from enum import StrEnum

from crm_common.schemas.base import RecordRead


class DecisionRole(StrEnum):
    DECISION_MAKER = "decision_maker"
    INFLUENCER = "influencer"
    TECHNICAL = "technical"
    PROCUREMENT = "procurement"
    USER = "user"
    OTHER = "other"


class ContactRead(RecordRead):
    customer_id: int | None = None
    customer_name: str | None = None
    name: str | None = None
    title: str | None = None
    mobile: str | None = None
    phone: str | None = None
    email: str | None = None
    wechat: str | None = None
    decision_role: DecisionRole | None = None
    is_primary: bool | None = None
    notes: str | None = None
