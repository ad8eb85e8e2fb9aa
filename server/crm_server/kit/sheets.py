"""Records' presented values written as a spreadsheet: .xlsx (XlsxWriter, constant memory:
each row goes to disk as it is written) or .csv (UTF-8 with a BOM, so Excel reads Chinese).

One column per declared field, headed by its label in the reader's language; cells typed
by the field's kind (dates as dates, amounts as numbers with their places, choices as their
labels, references as their titles). Every text cell that a spreadsheet would read as a
formula (``=``, ``+``, ``-``, ``@``, tab, CR first) is written as text behind an apostrophe.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import IO, Any, Protocol

from xlsxwriter import Workbook
from xlsxwriter.format import Format

from crm_common.entities import FieldSpec, Kind
from crm_common.entities.spec import NUMERIC_KINDS
from crm_common.i18n import N_, translate

FORMATS = ("xlsx", "csv")
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"
TIME_FORMAT = "yyyy-mm-dd hh:mm"
PIXELS_PER_CHARACTER = 7  # a field's declared list width in pixels, as Excel characters
Cell = str | int | Decimal | date | datetime | None


def neutralised(text: str) -> str:
    """``text``, behind an apostrophe when a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


@dataclass(frozen=True)
class Column:
    """A field as a column: its header, and how its values are written."""

    field: FieldSpec
    language: str

    @property
    def header(self) -> str:
        label = translate(self.field.label, self.language)
        return f"{label} (UTC)" if self.field.kind is Kind.DATETIME else label

    @property
    def width(self) -> int:
        return max(8, min(60, self.field.width // PIXELS_PER_CHARACTER + 2))

    @property
    def number_format(self) -> str | None:
        kind, scale = self.field.kind, self.field.scale
        if kind is Kind.DATE:
            return DATE_FORMAT
        if kind is Kind.DATETIME:
            return TIME_FORMAT
        if kind in NUMERIC_KINDS:
            places = "0." + "0" * scale if scale else "0"
            return f'#,##{places}"%"' if kind is Kind.PERCENT else f"#,##{places}"
        return None

    def cell(self, item: dict[str, Any]) -> Cell:
        """The value of this column in ``item`` (a presented record, as a dict): its masked
        form when masked, else the value as the field's kind writes it."""
        field = self.field
        masked = item.get("masked", {}).get(field.name)
        if masked is not None:
            return neutralised(masked)
        value = item.get(field.display) if field.display else item.get(field.name)
        if value is None:
            return None
        if field.kind is Kind.DATETIME:
            return value.astimezone(UTC).replace(tzinfo=None)  # type: ignore[no-any-return]
        if isinstance(value, date | int | Decimal) and not isinstance(value, bool):
            return value
        return neutralised(self._text(value))

    def _text(self, value: Any) -> str:
        field = self.field
        if field.kind is Kind.BOOL:
            return translate(N_("Yes") if value else N_("No"), self.language)
        if field.kind is Kind.CHOICE:
            labels = {choice.value: choice.label for choice in field.choices}
            return translate(labels.get(value, str(value)), self.language)
        if isinstance(value, list):
            return "、".join(str(part) for part in value)
        if isinstance(value, dict):
            return json.dumps(value, ensure_ascii=False)
        return str(value)

    def text(self, value: Cell) -> str:
        """``value`` as the text of a CSV cell (numbers with their places)."""
        if value is None:
            return ""
        if isinstance(value, datetime):
            return value.strftime("%Y-%m-%d %H:%M:%S")
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Decimal) and self.field.scale is not None:
            return f"{value:.{self.field.scale}f}"
        return str(value)


class Sheet(Protocol):
    def add(self, rows: Iterable[list[Cell]]) -> None:
        """Write ``rows`` below those written so far."""

    def close(self) -> None:
        """Finish the file."""


class XlsxSheet:
    """A workbook of one sheet, its header frozen and filtered."""

    def __init__(self, path: Path, columns: list[Column], title: str) -> None:
        self.columns = columns
        self.book = Workbook(str(path), {"constant_memory": True, "strings_to_formulas": False,
                                         "strings_to_numbers": False, "strings_to_urls": False})
        self.sheet = self.book.add_worksheet(title[:31])
        bold = self.book.add_format({"bold": True})
        self.formats: list[Format | None] = []
        for index, column in enumerate(columns):
            pattern = column.number_format
            self.formats.append(self.book.add_format({"num_format": pattern})
                                if pattern else None)
            self.sheet.set_column(index, index, column.width)
            self.sheet.write_string(0, index, column.header, bold)
        self.sheet.freeze_panes(1, 0)
        self.row = 0

    def add(self, rows: Iterable[list[Cell]]) -> None:
        for cells in rows:
            self.row += 1
            for index, value in enumerate(cells):
                self._write(index, value)

    def _write(self, index: int, value: Cell) -> None:
        if value is None:
            return
        if isinstance(value, str):
            self.sheet.write_string(self.row, index, value)
        elif isinstance(value, datetime | date):
            self.sheet.write_datetime(self.row, index, value, self.formats[index])
        else:
            self.sheet.write_number(self.row, index, value, self.formats[index])

    def close(self) -> None:
        self.sheet.autofilter(0, 0, self.row, max(len(self.columns) - 1, 0))
        self.book.close()


class CsvSheet:
    """Comma-separated text, UTF-8 with a byte order mark."""

    def __init__(self, path: Path, columns: list[Column]) -> None:
        self.columns = columns
        self.file: IO[str] = path.open("w", encoding="utf-8-sig", newline="")
        self.writer = csv.writer(self.file)
        self.writer.writerow([column.header for column in columns])

    def add(self, rows: Iterable[list[Cell]]) -> None:
        self.writer.writerows([column.text(value) for column, value in zip(
            self.columns, cells, strict=True)] for cells in rows)

    def close(self) -> None:
        self.file.close()


def open_sheet(path: Path, file_format: str, columns: list[Column], title: str) -> Sheet:
    """A new file at ``path`` in ``file_format`` (one of ``FORMATS``) with ``columns``."""
    if file_format == "csv":
        return CsvSheet(path, columns)
    return XlsxSheet(path, columns, title)
