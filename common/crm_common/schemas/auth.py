"""Sign-in, the signed-in user, health, history and global search on the wire."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from crm_common.permissions import Permissions
from crm_common.schemas.backups import BackupHealth
from crm_common.schemas.base import Input
from crm_common.schemas.scalars import Checked
from crm_common.schemas.user import UserRead


class LoginRequest(Input):
    username: Checked = Field(min_length=1, max_length=64)
    password: Checked = Field(min_length=1, max_length=128)


class LoginResponse(BaseModel):
    token: str
    expires_at: datetime
    user: UserRead


class Me(BaseModel):
    """The signed-in user and the merged grants of their roles."""

    user: UserRead
    permissions: Permissions = Field(default_factory=Permissions)
    must_change_password: bool = False  # reset by an administrator, or expired
    preview_role_id: int | None = None


class Health(BaseModel):
    status: str  # "ok" or "degraded"
    database: str  # "ok" or the error
    migration: str | None  # Alembic revision of the database
    expected_migration: str | None  # revision this server's code expects
    version: str
    backup: BackupHealth = BackupHealth.NONE  # the backups' state (failed shows red)
    backup_detail: str | None = None


class HistoryChange(BaseModel):
    field: str
    old: Any = None
    new: Any = None


class HistoryEntry(BaseModel):
    id: int
    at: datetime
    user_id: int | None
    user_name: str | None
    action: str  # create / update / delete / restore
    changes: list[HistoryChange] = []


class SearchHit(BaseModel):
    entity: str
    id: int
    title: str
    subtitle: str | None = None


class SearchResults(BaseModel):
    hits: list[SearchHit]
