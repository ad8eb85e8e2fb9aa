"""OLE compound files (CFB): an .xls, or an Office file encrypted with a password (its
EncryptionInfo and EncryptedPackage streams), or some other Office document."""

from __future__ import annotations

from pathlib import Path

import olefile

from crm_server.kit.workbook.errors import (
    DAMAGED,
    NOT_A_SPREADSHEET,
    PASSWORD,
    UnreadableFile,
)

MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ENCRYPTED = {"encryptioninfo", "encryptedpackage"}
WORKBOOK = {"workbook", "book"}


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
