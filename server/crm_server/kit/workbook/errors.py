"""The refusals of an uploaded spreadsheet: 4xx errors with a translatable message."""

from __future__ import annotations

from crm_common.errors import BadRequest, PayloadTooLarge
from crm_common.i18n import N_

PASSWORD = N_("The file is password-protected: remove the password in Excel and upload "
              "it again")
DAMAGED = N_("The file is damaged or incomplete")
NOT_A_SPREADSHEET = N_("This file is not a spreadsheet")
UNREADABLE = N_("The file could not be read as a spreadsheet")


class UnreadableFile(BadRequest):
    """400: the file is not a spreadsheet the import reads (its message says why)."""


class FileTooLarge(PayloadTooLarge):
    """413: the upload is larger than ``Limits.max_bytes``."""
