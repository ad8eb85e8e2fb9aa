"""Role (角色): a named set of grants (see ``crm_common.permissions``)."""

from __future__ import annotations

from pydantic import Field

from crm_common.permissions import Permissions
from crm_common.schemas.base import Input, OptText, RecordRead, Text, UpdateInput


class RoleCreate(Input):
    name: Text = Field(min_length=1, max_length=64)
    description: OptText = Field(default=None, max_length=500)
    permissions: Permissions = Field(default_factory=Permissions)


class RoleUpdate(UpdateInput):
    name: Text | None = Field(default=None, min_length=1, max_length=64)
    description: OptText = Field(default=None, max_length=500)
    permissions: Permissions | None = None


class RoleRead(RecordRead):
    key: str | None = None  # built-in roles only: administrator, sales_rep, …
    name: str | None = None
    description: str | None = None
    is_builtin: bool = False
    permissions: Permissions = Field(default_factory=Permissions)
