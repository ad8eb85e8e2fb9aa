"""User accounts (用户). Passwords go in on create and never come out."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import Field

from crm_common.schemas.base import Email, Input, Mobile, RecordRead, Text, UpdateInput


class UserRole(StrEnum):
    """Coarse role until per-role permissions arrive; ``admin`` may do everything."""

    ADMIN = "admin"
    MANAGER = "manager"
    SALES = "sales"
    FINANCE = "finance"
    SERVICE = "service"


class UserCreate(Input):
    username: Text = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    name: Text = Field(min_length=1, max_length=64)
    password: str = Field(min_length=8, max_length=128)
    department_id: int | None = None
    role: UserRole = UserRole.SALES
    email: Email = None
    mobile: Mobile = None
    is_active: bool = True


class UserUpdate(UpdateInput):
    name: Text | None = Field(default=None, min_length=1, max_length=64)
    department_id: int | None = None
    role: UserRole | None = None
    email: Email = None
    mobile: Mobile = None
    is_active: bool | None = None


class UserRead(RecordRead):
    username: str
    name: str
    department_id: int | None = None
    department_name: str | None = None
    role: UserRole
    email: str | None = None
    mobile: str | None = None
    is_active: bool
    last_login_at: datetime | None = None
