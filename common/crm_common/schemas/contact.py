"""Contact (联系人): a person at a customer."""

from __future__ import annotations

from enum import StrEnum

from pydantic import Field

from crm_common.schemas.base import (
    Email,
    Input,
    Mobile,
    OptText,
    Phone,
    RecordRead,
    Text,
    UpdateInput,
)
from crm_common.schemas.scalars import DbId


class DecisionRole(StrEnum):
    DECISION_MAKER = "decision_maker"
    INFLUENCER = "influencer"
    TECHNICAL = "technical"
    PROCUREMENT = "procurement"
    USER = "user"
    OTHER = "other"


class _ContactFields(Input):
    title: OptText = Field(default=None, max_length=64)
    mobile: Mobile = None
    phone: Phone = None
    email: Email = None
    wechat: OptText = Field(default=None, max_length=64)
    decision_role: DecisionRole | None = None
    is_primary: bool | None = None
    notes: OptText = Field(default=None, max_length=2000)


class ContactCreate(_ContactFields):
    customer_id: DbId
    name: Text = Field(min_length=1, max_length=64)


class ContactUpdate(_ContactFields, UpdateInput):
    customer_id: DbId | None = None
    name: Text | None = Field(default=None, min_length=1, max_length=64)


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
