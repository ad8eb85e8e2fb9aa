"""CSV files: UTF-8 (with or without a BOM), else GB18030 (which covers GBK and GB2312);
the delimiter (comma, semicolon or tab) sniffed from the first lines. Anything with NUL
bytes, or that decodes as neither, is no CSV."""

from __future__ import annotations

import codecs
import csv
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from crm_common.i18n import N_
from crm_server.kit.workbook.errors import DAMAGED, NOT_A_SPREADSHEET, UnreadableFile

ENCODINGS = ("utf-8-sig", "gb18030")
DELIMITERS = (",", ";", "\t")
CHUNK = 1 << 20
SAMPLE_ROWS = 50
WEB_PAGE_MARKS = (b"<html", b"<!doctype html", b"<table", b"<?xml")
UNKNOWN_ENCODING = N_("The CSV file's text is neither UTF-8 nor GB18030 (GBK)")
TOO_MANY_COLUMNS = N_("A row of this file has more columns than the import reads")
WEB_PAGE = N_("This file is a web page or XML export under a spreadsheet's name: open it in "
              "Excel and save it as .xlsx")


def check_head(head: bytes) -> None:
    """Refuse a file whose first bytes are not text (they may end inside a character), or
    are a web page saved under a spreadsheet's name."""
    if b"\x00" in head or not any(_decodes(head, encoding) for encoding in ENCODINGS):
        raise UnreadableFile(NOT_A_SPREADSHEET)
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:200].lower().startswith(WEB_PAGE_MARKS):
        raise UnreadableFile(WEB_PAGE)


def _decodes(data: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)().decode(data)
    except UnicodeDecodeError:
        return False
    return True


def encoding_of(path: Path) -> str:
    """The whole file's encoding, decoded in chunks; a NUL byte anywhere refuses it."""
    for encoding in ENCODINGS:
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(CHUNK):
                    if b"\x00" in chunk:
                        raise UnreadableFile(NOT_A_SPREADSHEET)
                    decoder.decode(chunk)
                decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return encoding
    raise UnreadableFile(UNKNOWN_ENCODING)


def delimiter_of(path: Path, encoding: str) -> str:
    """The candidate that splits the first rows most consistently into several columns."""
    def score(delimiter: str) -> tuple[bool, int, int]:
        with path.open(encoding=encoding, newline="") as handle:
            widths = [len(row) for row, _ in zip(csv.reader(handle, delimiter=delimiter),
                                                 range(SAMPLE_ROWS), strict=False) if row]
        width, count = Counter(widths).most_common(1)[0] if widths else (0, 0)
        return width > 1, count, width

    try:
        return max(DELIMITERS, key=score)
    except csv.Error as error:
        raise UnreadableFile(DAMAGED) from error


def csv_rows(path: Path, encoding: str, delimiter: str,
             max_columns: int) -> Iterator[list[object]]:
    """The file's rows as text cells (None for an empty cell, trailing ones cut)."""
    try:
        with path.open(encoding=encoding, newline="") as handle:
            for row in csv.reader(handle, delimiter=delimiter):
                if len(row) > max_columns:
                    raise UnreadableFile(TOO_MANY_COLUMNS, data={"columns": len(row)})
                cells: list[object] = [cell or None for cell in row]
                while cells and cells[-1] is None:
                    cells.pop()
                yield cells
    except csv.Error as error:
        raise UnreadableFile(DAMAGED) from error
