"""An .xls read by calamine in a child process whose address space is bounded.

calamine holds a sheet as the full rectangle its cells span: for an .xls up to 65,536 x 256
cells, about 1 GB and half a minute for one cell at IV65536, and BIFF records carry counts
a hostile file can inflate. A BIFF scan in the server would bound the first only; a child
bounds both (and its CPU time), and a Rust abort or an exhausted limit ends the child, not
the server. The child sends pickled messages on its stdout: the sheet names, or the sheet's
first column, merged ranges and rows in batches (values already plain: ``cells.value_of``).
"""

from __future__ import annotations

import pickle
import resource
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from python_calamine import CalamineWorkbook, PasswordError, SheetTypeEnum

from crm_common.i18n import N_
from crm_server.kit.workbook.cells import Merged, value_of
from crm_server.kit.workbook.errors import PASSWORD, UNREADABLE, UnreadableFile

ADDRESS_SPACE = 1 << 30  # the child's whole address space: interpreter, calamine, the sheet
CPU_SECONDS = 120  # a legitimate .xls (65,536 x 50 cells) reads in a few seconds
BATCH = 500
TOO_BIG = N_("The file needs more memory or time to read than the import allows")
FAULTS = {"password": PASSWORD, "unreadable": UNREADABLE, "memory": TOO_BIG}
ALLOWED = {("datetime", "date"), ("datetime", "datetime")}
# Not ``-m`` this module: its package imports it first, and runpy would warn.
CHILD = f"import sys; from {__name__} import main; main(sys.argv[1], sys.argv[2])"


class _Values(pickle.Unpickler):
    """Unpickles plain values only: the child's output is data, never code."""

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in ALLOWED:
            raise pickle.UnpicklingError(name)
        return super().find_class(module, name)


def sheet_names(path: Path) -> list[str]:
    """The workbook's worksheets, hidden ones included, in order."""
    for message in _child(path, ""):
        if message[0] == "sheets":
            names: list[str] = message[1]
            return names
    raise UnreadableFile(UNREADABLE)


def sheet_rows(path: Path, sheet: str) -> tuple[int, Merged, Iterator[list[object]]]:
    """The sheet's first column, merged ranges and its rows (streamed from the child)."""
    messages = _child(path, sheet)
    head = next(messages, ("end",))
    if head[0] != "sheet":
        raise UnreadableFile(UNREADABLE)

    def rows() -> Iterator[list[object]]:
        for message in messages:
            yield from message[1]
    return head[1], head[2], rows()


def _child(path: Path, sheet: str) -> Iterator[tuple[Any, ...]]:
    command = [sys.executable, "-c", CHILD, str(path), sheet]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    assert process.stdout is not None
    try:
        reader = _Values(process.stdout)
        while True:
            try:
                message: tuple[Any, ...] = reader.load()
            except (EOFError, pickle.UnpicklingError):
                process.wait()
                break
            if message[0] == "end":
                return
            if message[0] == "fault":
                raise UnreadableFile(FAULTS[message[1]])
            yield message
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        process.stdout.close()
    raise UnreadableFile(TOO_BIG if process.returncode < 0 else UNREADABLE)


def main(path: str, sheet: str) -> None:
    """The child: bound its address space and time, read with calamine, send the
    messages."""
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    out = sys.stdout.buffer
    try:
        book = CalamineWorkbook.from_path(path)
        if not sheet:
            names = [meta.name for meta in book.sheets_metadata
                     if meta.typ == SheetTypeEnum.WorkSheet]
            pickle.dump(("sheets", names), out)
        else:
            _send_sheet(book.get_sheet_by_name(sheet), out)
        pickle.dump(("end",), out)
    except MemoryError:
        pickle.dump(("fault", "memory"), out)
    except PasswordError:
        pickle.dump(("fault", "password"), out)
    except BaseException:  # any calamine error or Rust panic: the file cannot be read
        pickle.dump(("fault", "unreadable"), out)
    out.flush()


def _send_sheet(data: Any, out: Any) -> None:
    start = data.start
    pickle.dump(("sheet", start[1] if start else 0, data.merged_cell_ranges or []), out)
    batch: list[list[object]] = []
    for raw in data.iter_rows():
        batch.append([value_of(cell) for cell in raw])
        if len(batch) == BATCH:
            pickle.dump(("rows", batch), out)
            batch = []
    pickle.dump(("rows", batch), out)
