"""Attachment (附件): a file on any record, stored by content hash, uploaded not created."""

from __future__ import annotations

from pydantic import Field

from crm_common.schemas.base import RecordRead, Text, UpdateInput


class AttachmentUpdate(UpdateInput):
    filename: Text | None = Field(default=None, min_length=1, max_length=200)


class AttachmentRead(RecordRead):
    entity: str
    record_id: int
    filename: str
    content_type: str
    size: int
    sha256: str
    owner_id: int | None = None
    owner_name: str | None = None
