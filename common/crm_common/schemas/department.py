"""Department: a node of the organisation tree (部门)."""

from __future__ import annotations

from pydantic import Field

from crm_common.schemas.base import Input, RecordRead, Text, UpdateInput
from crm_common.schemas.scalars import DbId, Int32


class DepartmentCreate(Input):
    name: Text = Field(min_length=1, max_length=100)
    parent_id: DbId | None = None
    sort_order: Int32 = 0


class DepartmentUpdate(UpdateInput):
    name: Text | None = Field(default=None, min_length=1, max_length=100)
    parent_id: DbId | None = None
    sort_order: Int32 | None = None


class DepartmentRead(RecordRead):
    name: str | None = None
    parent_id: int | None = None
    parent_name: str | None = None
    sort_order: int = 0
