"""Role (角色): a named set of grants (see ``crm_common.permissions``)."""

from __future__ import annotations

from pydantic import Field

from crm_common.permissions import Permissions
from crm_common.schemas.base import RecordRead


class RoleRead(RecordRead):
    key: str | None = None  # built-in roles only: administrator, sales_rep, …
    name: str | None = None
    description: str | None = None
    is_builtin: bool | None = None
    permissions: Permissions = Field(default_factory=Permissions)
