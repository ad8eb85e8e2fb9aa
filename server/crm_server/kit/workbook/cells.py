"""Rows as calamine gives them turned into the rows ``Workbook.rows`` promises: plain
values, columns at their real positions, merged header cells filled, trailing empties cut."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime

HEADER_ROWS = 10  # merged cells are copied over their range within these first rows
Merged = list[tuple[tuple[int, int], tuple[int, int]]]
EXACT_INTEGERS = 2**53
PLAIN = frozenset({bool, int, date, datetime})


def value_of(raw: object) -> object:
    """A calamine cell as str, int, float, bool, date, datetime or None: "" is None, a whole
    float an int (phone numbers, codes), a time of day or a duration its text. By exact
    type, the cheapest test (it runs for every cell)."""
    kind = raw.__class__
    if kind is str:
        return raw or None
    if kind is float:
        assert isinstance(raw, float)
        return int(raw) if raw.is_integer() and abs(raw) < EXACT_INTEGERS else raw
    if kind in PLAIN or raw is None:
        return raw
    return str(raw)  # time, timedelta


def converted(raw_rows: Iterable[Sequence[object]]) -> Iterator[list[object]]:
    """calamine's rows with each value through ``value_of`` (done in the child for .xls)."""
    for raw in raw_rows:
        yield list(map(value_of, raw))


def assembled(rows: Iterable[list[object]], first_column: int, merged: Merged | None,
              max_columns: int) -> Iterator[list[object]]:
    """Rows counted from the sheet's first row (calamine pads those above its data) with
    their first ``first_column`` empty cells put back (calamine starts rows at the data's
    first column), merged cells in the first rows filled, trailing empty cells cut."""
    fills = _fills(merged or [], max_columns)
    header: list[list[object]] = []
    pad: list[object] = [None] * first_column
    for number, row in enumerate(rows):
        cells = pad + row if first_column else row
        if number < HEADER_ROWS:
            _fill(cells, fills.get(number, ()), header)
            header.append(cells)
        while cells and cells[-1] is None:
            cells.pop()
        yield cells


def _fills(merged: Merged, max_columns: int) -> dict[int, list[tuple[int, int, int, int]]]:
    """Per header row: (first column, last column, source row, source column)."""
    fills: dict[int, list[tuple[int, int, int, int]]] = {}
    for (top, left), (bottom, right) in merged:
        for row in range(top, min(bottom, HEADER_ROWS - 1) + 1):
            fills.setdefault(row, []).append((left, min(right, max_columns - 1), top, left))
    return fills


def _fill(cells: list[object], fills: Iterable[tuple[int, int, int, int]],
          header: list[list[object]]) -> None:
    for left, right, top, source in fills:
        source_row = header[top] if top < len(header) else cells
        value = source_row[source] if source < len(source_row) else None
        if right >= len(cells):
            cells.extend([None] * (right + 1 - len(cells)))
        for column in range(left, right + 1):
            cells[column] = value
