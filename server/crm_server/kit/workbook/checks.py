"""``check_file``: what the upload is, decided by its content, and refused before anything
is inflated or parsed when it is not a spreadsheet the import reads."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from crm_common.i18n import N_
from crm_common.schemas.imports import FILE_FORMATS
from crm_server.kit.workbook import ole, packed, text
from crm_server.kit.workbook.errors import FileTooLarge, UnreadableFile
from crm_server.kit.workbook.limits import Limits

FORMATS = FILE_FORMATS
HEAD = 64 * 1024
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
EMPTY = N_("The file is empty")
UNSUPPORTED = N_("Only .xlsx, .xlsm, .xls and .csv files can be imported")
PDF = N_("This file is a PDF document, not a spreadsheet")
MISNAMED = {
    "xlsx": N_("This file is an Excel workbook (.xlsx) under another extension: rename it "
               "to .xlsx"),
    "xls": N_("This file is an Excel 97-2003 workbook (.xls) under another extension: "
              "rename it to .xls"),
    "csv": N_("This file is CSV text under a workbook's extension: rename it to .csv"),
}


def check_name(file_name: str) -> str:
    """The format ``file_name``'s extension claims ("xlsx", "xls", "csv"); refused when it
    is none the import reads — before an upload is even received."""
    named = FORMATS.get(Path(file_name).suffix.lower())
    if named is None:
        raise UnreadableFile(UNSUPPORTED, {"file": file_name})
    return named


def check_file(path: Path, file_name: str, limits: Limits) -> str:
    """Refuse what is not a readable spreadsheet BEFORE anything is inflated or parsed
    (size, kind by content not extension, zip guard, encryption, DOCTYPE/ENTITY in any XML
    part, absurd dimensions by the cells' real references); the format: "xlsx", "xls" or
    "csv". Macros are never run: an .xlsm is read as data.

    A file that passed is remembered by its identity (inode, size, modification time), so
    the upload's check and each later ``open_workbook`` of the stored file scan it once."""
    stat = path.stat()
    return _checked(str(path.resolve()), stat.st_ino, stat.st_size, stat.st_mtime_ns,
                    file_name, limits)


@lru_cache(maxsize=64)
def _checked(location: str, inode: int, size: int, modified: int, file_name: str,
             limits: Limits) -> str:
    path = Path(location)
    if size > limits.max_bytes:
        raise FileTooLarge(N_("The file is larger than the allowed size"),
                           data={"limit_mb": limits.max_bytes // 2**20})
    if size == 0:
        raise UnreadableFile(EMPTY)
    named = check_name(file_name)
    with path.open("rb") as handle:
        head = handle.read(HEAD)
    found = _format_of(path, head)
    if found != named:
        raise UnreadableFile(MISNAMED[found])
    if found == "xlsx":
        packed.check(path, limits)
    elif found == "csv":
        text.encoding_of(path)
    return found


def _format_of(path: Path, head: bytes) -> str:
    """The format by the file's first bytes; the OLE kinds that are no workbook (a
    password-protected .xlsx, a Word file) and what is not a spreadsheet are refused."""
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    if head.startswith(ole.MAGIC):
        ole.check(path)
        return "xls"
    if head.startswith(b"%PDF"):
        raise UnreadableFile(PDF)
    text.check_head(head)
    return "csv"
