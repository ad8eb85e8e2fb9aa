"""The refusals of an uploaded spreadsheet: 4xx errors with a translatable message."""

from __future__ import annotations

from crm_common.errors import BadRequest, PayloadTooLarge


class UnreadableFile(BadRequest):
    """400: the file is not a spreadsheet the import reads (its message says why)."""


class FileTooLarge(PayloadTooLarge):
    """413: the upload is larger than ``Limits.max_bytes``."""
