"""OLE compound files (CFB): an .xls, or an Office file encrypted with a password (its
EncryptionInfo and EncryptedPackage streams), or some other Office document."""

from __future__ import annotations

from pathlib import Path

import olefile

from crm_common.i18n import N_
from crm_server.kit.workbook.errors import UnreadableFile

MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED = {"encryptioninfo", "encryptedpackage"}
WORKBOOK = {"workbook", "book"}
PASSWORD = N_("The file is password-protected: remove the password in Excel and upload "
              "it again")
DAMAGED = N_("The file is damaged or incomplete")
NOT_A_SPREADSHEET = N_("This file is not a spreadsheet")


def check(path: Path) -> None:
    """Refuse a compound file that is not an unencrypted Excel 97-2003 workbook; only its
    directory is read."""
    try:
        with olefile.OleFileIO(str(path)) as compound:
            streams = {"/".join(entry).lower() for entry in compound.listdir()}
    except Exception as error:  # olefile raises OSError and its own kinds on bad input
        raise UnreadableFile(DAMAGED) from error
    if streams & ENCRYPTED:
        raise UnreadableFile(PASSWORD)
    if not streams & WORKBOOK:
        raise UnreadableFile(NOT_A_SPREADSHEET)
