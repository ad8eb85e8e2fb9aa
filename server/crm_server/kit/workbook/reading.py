"""``open_workbook``: a checked file's sheets and their rows, streamed."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from python_calamine import CalamineWorkbook, PasswordError, SheetTypeEnum

from crm_common.i18n import N_
from crm_server.kit.workbook import legacy, text
from crm_server.kit.workbook.cells import assembled, converted
from crm_server.kit.workbook.checks import check_file
from crm_server.kit.workbook.errors import PASSWORD, UNREADABLE, UnreadableFile
from crm_server.kit.workbook.limits import Limits

NO_SHEETS = N_("The file has no sheets")
NO_SUCH_SHEET = N_("The file has no sheet of this name")
T = TypeVar("T")


class Workbook:
    """An open spreadsheet (a context manager): its sheets and their rows."""

    sheets: list[str]  # worksheets, visible and hidden, in order (a CSV: one, its name)

    def rows(self, sheet: str) -> Iterator[list[object]]:
        """Each row of the sheet, from its first, as cell values: str, int, float, bool,
        date, datetime or None (a whole number is an int, a time of day or a duration its
        text); formulas as their cached values; hidden rows/columns like any other; the
        values of merged cells within the first 10 rows copied over their merged range;
        trailing empty cells cut (an empty row is []). Streams: never a list of all rows.
        An unknown sheet is refused here, a file that fails while read when iterated."""
        raise NotImplementedError

    def close(self) -> None:
        """Let go of the file."""

    def __enter__(self) -> Workbook:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def _known(self, sheet: str) -> None:
        if sheet not in self.sheets:
            raise UnreadableFile(NO_SUCH_SHEET, data={"sheet": sheet})


def open_workbook(path: Path, file_name: str, limits: Limits) -> Workbook:
    """The file checked (``check_file``) and opened for reading."""
    found = check_file(path, file_name, limits)
    book: Workbook
    if found == "xlsx":
        book = _Excel(path, limits)
    elif found == "xls":
        book = _Legacy(path, limits)
    else:
        book = _Csv(path, file_name, limits)
    if not book.sheets:
        book.close()
        raise UnreadableFile(NO_SHEETS)
    return book


class _Excel(Workbook):
    """An .xlsx/.xlsm through calamine, in this process: the check bounded its sheets."""

    def __init__(self, path: Path, limits: Limits) -> None:
        self.limits = limits
        self.book = _calamine(lambda: CalamineWorkbook.from_path(str(path)))
        self.sheets = [sheet.name for sheet in self.book.sheets_metadata
                       if sheet.typ == SheetTypeEnum.WorkSheet]

    def rows(self, sheet: str) -> Iterator[list[object]]:
        self._known(sheet)
        data = _calamine(lambda: self.book.get_sheet_by_name(sheet))
        first_column = data.start[1] if data.start else 0
        return assembled(converted(_calamine(data.iter_rows)), first_column,
                         data.merged_cell_ranges, self.limits.max_columns)

    def close(self) -> None:
        self.book.close()


class _Legacy(Workbook):
    """An .xls, read by calamine in a child process of bounded memory (``legacy``)."""

    def __init__(self, path: Path, limits: Limits) -> None:
        self.path, self.limits = path, limits
        self.sheets = legacy.sheet_names(path)

    def rows(self, sheet: str) -> Iterator[list[object]]:
        self._known(sheet)
        first_column, merged, raw = legacy.sheet_rows(self.path, sheet)
        return assembled(raw, first_column, merged, self.limits.max_columns)


class _Csv(Workbook):
    """A CSV: one sheet, named after the file as Excel does."""

    def __init__(self, path: Path, file_name: str, limits: Limits) -> None:
        self.path, self.limits = path, limits
        self.encoding = text.encoding_of(path)
        self.delimiter = text.delimiter_of(path, self.encoding)
        self.sheets = [Path(file_name).stem or "CSV"]

    def rows(self, sheet: str) -> Iterator[list[object]]:
        self._known(sheet)
        return text.csv_rows(self.path, self.encoding, self.delimiter,
                             self.limits.max_columns)


def _calamine(call: Callable[[], T]) -> T:
    """``call`` with calamine's failures (a Rust panic included) as ``UnreadableFile``."""
    try:
        return call()
    except PasswordError as error:
        raise UnreadableFile(PASSWORD) from error
    except Exception as error:
        raise UnreadableFile(UNREADABLE) from error
    except BaseException as error:  # pyo3's PanicException derives from BaseException
        if type(error).__name__ != "PanicException":
            raise
        raise UnreadableFile(UNREADABLE) from error
