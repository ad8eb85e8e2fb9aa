"""Attachment (附件): a file on any record, stored by content hash, uploaded not created."""

from __future__ import annotations

from crm_common.schemas.base import RecordRead


class AttachmentRead(RecordRead):
    entity: str | None = None
    record_id: int | None = None
    filename: str | None = None
    content_type: str | None = None
    size: int | None = None
    owner_id: int | None = None
    owner_name: str | None = None
