"""Department: a node of the organisation tree (部门)."""

from __future__ import annotations

from crm_common.schemas.base import RecordRead


class DepartmentRead(RecordRead):
    """The typed mirror of the read schema derived from the declaration."""

    name: str | None = None
    parent_id: int | None = None
    parent_name: str | None = None
    sort_order: int | None = None
