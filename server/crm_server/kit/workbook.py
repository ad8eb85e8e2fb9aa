"""Opening an uploaded spreadsheet (placeholder until the guarded reader lands)."""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from crm_common.errors import BadRequest
from crm_common.i18n import N_


class UnreadableFile(BadRequest):
    """A file that is no spreadsheet the import can read."""


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 50 * 2**20
    max_uncompressed: int = 2**30
    max_ratio: int = 200
    max_cells: int = 30_000_000
    max_columns: int = 1_000


def check_file(path: Path, file_name: str, limits: Limits) -> str:
    head = path.read_bytes()[:8]
    if head.startswith(b"PK"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if b"\0" in path.read_bytes()[:4096]:
        raise UnreadableFile(N_("The file is not a spreadsheet"))
    return "csv"


class Workbook:
    def __init__(self, path: Path, kind: str) -> None:
        self.path, self.kind = path, kind
        if kind == "csv":
            self.sheets = ["CSV"]
        else:
            from python_calamine import CalamineWorkbook

            self._book = CalamineWorkbook.from_path(str(path))
            self.sheets = list(self._book.sheet_names)

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        return None

    def rows(self, sheet: str) -> Iterator[list[object]]:
        if self.kind == "csv":
            raw = self.path.read_bytes()
            try:
                text = codecs.decode(raw, "utf-8-sig")
            except UnicodeDecodeError:
                text = raw.decode("gb18030")
            yield from (list[object](row) for row in csv.reader(io.StringIO(text)))
            return
        yield from (list[object](row) for row in self._book.get_sheet_by_name(sheet).iter_rows())


def open_workbook(path: Path, file_name: str, limits: Limits) -> Workbook:
    return Workbook(path, check_file(path, file_name, limits))
