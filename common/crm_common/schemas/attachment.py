"""Attachment (附件): a file on any record, stored by content hash, uploaded not created."""

from __future__ import annotations

from pydantic import Field

from crm_common.schemas.base import RecordRead, Text, UpdateInput


class AttachmentUpdate(UpdateInput):
    filename: Text | None = Field(default=None, min_length=1, max_length=200)


class AttachmentRead(RecordRead):
    entity: str | None = None
    record_id: int | None = None
    filename: str | None = None
    content_type: str | None = None
    size: int | None = None
    owner_id: int | None = None
    owner_name: str | None = None
