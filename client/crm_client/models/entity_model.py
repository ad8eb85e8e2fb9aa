"""``EntityTableModel``: the rows of one entity that a list view has fetched, by pages.

The model never talks to the network (ARCHITECTURE §5): when the view scrolls near the end
Qt calls ``fetchMore`` and the model only raises ``sig_fetch_more_requested``; the owner loads
the next keyset page and hands it over with ``append_page``. Rows stay counted once fetched,
but only a window of pages is held (``max_rows_held``): pages far from what is on screen are
dropped and, when scrolled back to, asked for again by their cursor
(``sig_page_requested``) — so scrolling to row 100,000 holds a few thousand records, not all.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)

from crm_client.api.client import PageResult
from crm_client.core.i18n import _
from crm_client.models.formatting import format_value, masked_text
from crm_common.entities import FieldSpec, Kind
from crm_common.entities.spec import NUMERIC_KINDS

Index = QModelIndex | QPersistentModelIndex
Formatter = Callable[[Any], str]

RECORD_ROLE = Qt.ItemDataRole.UserRole + 1  # the whole record of a row
MAX_ROWS_HELD = 5_000  # ~20 MB of customer records
_RIGHT_ALIGNED = frozenset({Kind.INT, *NUMERIC_KINDS})
_CENTRED = frozenset({Kind.BOOL})
_NEWEST_FIRST = frozenset({Kind.DATE, Kind.DATETIME})


@dataclass
class _Page:
    """One fetched page: where it starts, how many rows it has, the cursor it was fetched
    with (to fetch it again) and its records while held (None once dropped)."""

    first: int
    count: int
    after: str | None
    rows: list[BaseModel] | None
    requested: bool = False


class EntityTableModel(QAbstractTableModel):
    """Rows of one entity; one column per ``FieldSpec``.

    ``formatters`` overrides how a column reads (by field name), e.g. file sizes.
    ``sig_page_requested(page, after)``: a dropped page is on screen again; the owner fetches
    it with ``after`` and hands it back through ``fill_page(page, result)``.
    """

    sig_fetch_more_requested = Signal()
    sig_page_requested = Signal(int, object)

    def __init__(
        self,
        fields: Sequence[FieldSpec],
        parent: QObject | None = None,
        formatters: Mapping[str, Formatter] | None = None,
        max_rows_held: int = MAX_ROWS_HELD,
    ) -> None:
        super().__init__(parent)
        self._fields = tuple(fields)
        self._formatters = dict(formatters or {})
        self._max_rows_held = max_rows_held
        self._pages: list[_Page] = []
        self._firsts: list[int] = []
        self._row_count = 0
        self._row_of_id: dict[int, int] = {}
        self._next: str | None = None
        self._fetch_pending = False
        self._focus_row = 0  # the last row shown: pages far from it are dropped first
        self.total = 0
        self.total_exact = False

    # -- what the owner calls --------------------------------------------------------------

    @property
    def fields(self) -> tuple[FieldSpec, ...]:
        return self._fields

    @property
    def next_cursor(self) -> str | None:
        """The cursor of the page after the last one appended (None at the end)."""
        return self._next

    @property
    def rows_held(self) -> int:
        return sum(len(page.rows) for page in self._pages if page.rows is not None)

    def field(self, column: int) -> FieldSpec:
        return self._fields[column]

    def column_of(self, name: str) -> int:
        """The column showing field ``name`` (or its display companion), -1 when absent."""
        for column, spec in enumerate(self._fields):
            if name in (spec.name, spec.column):
                return column
        return -1

    def reset_rows(self) -> None:
        """Forget every row; the next ``append_page`` starts a fresh list."""
        self.beginResetModel()
        self._pages.clear()
        self._firsts.clear()
        self._row_count = 0
        self._row_of_id.clear()
        self._next = None
        self._fetch_pending = False
        self.total = 0
        self.total_exact = False
        self.endResetModel()

    def append_page(self, page: PageResult) -> None:
        """Add the next page fetched by the owner, skipping records already held."""
        fresh = [item for item in page.items if item.id not in self._row_of_id]  # type: ignore[attr-defined]
        after = self._next if self._pages else None
        if fresh:
            first = self._row_count
            self.beginInsertRows(QModelIndex(), first, first + len(fresh) - 1)
            self._pages.append(_Page(first, len(fresh), after, fresh))
            self._firsts.append(first)
            self._row_count += len(fresh)
            self._index_ids(self._pages[-1])
            self._focus_row = first  # the view asked for it: it is showing the end
            self.endInsertRows()
        self._next = page.next
        self._fetch_pending = False
        if after is None or not self.total_exact:  # a next page's total is an estimate
            self.total, self.total_exact = page.total, page.total_exact
        self.total = max(self.total, self._row_count)
        self._drop_far_pages()

    def fill_page(self, number: int, page: PageResult) -> None:
        """A dropped page fetched again: show its records in their rows."""
        if not 0 <= number < len(self._pages):
            return
        held = self._pages[number]
        held.rows = list(page.items[: held.count])
        held.requested = False
        self._index_ids(held)
        self.dataChanged.emit(self.index(held.first, 0),
                              self.index(held.first + held.count - 1, len(self._fields) - 1))
        self._drop_far_pages(keep=number)

    def fetch_failed(self, number: int | None = None) -> None:
        """The requested page did not arrive; scrolling may ask again."""
        if number is None:
            self._fetch_pending = False
        elif 0 <= number < len(self._pages):
            self._pages[number].requested = False

    def record(self, row: int) -> BaseModel | None:
        """The record of ``row``; None while its page is being fetched again."""
        if not 0 <= row < self._row_count:
            return None
        page = self._pages[bisect_right(self._firsts, row) - 1]
        offset = row - page.first
        if page.rows is None or offset >= len(page.rows):
            return None
        return page.rows[offset]

    def row_of(self, record_id: int) -> int:
        """The row holding record ``record_id``, -1 when it is not held."""
        return self._row_of_id.get(record_id, -1)

    def update_record(self, record: BaseModel) -> None:
        """Replace the held record with the same id (nothing when it is not held)."""
        row = self.row_of(record.id)  # type: ignore[attr-defined]
        if row < 0:
            return
        page = self._pages[bisect_right(self._firsts, row) - 1]
        assert page.rows is not None
        page.rows[row - page.first] = record
        self.dataChanged.emit(self.index(row, 0), self.index(row, len(self._fields) - 1))

    def remove_record(self, record_id: int) -> None:
        row = self.row_of(record_id)
        if row < 0:
            return
        number = bisect_right(self._firsts, row) - 1
        page = self._pages[number]
        assert page.rows is not None
        self.beginRemoveRows(QModelIndex(), row, row)
        del page.rows[row - page.first]
        page.count -= 1
        for later in self._pages[number + 1:]:
            later.first -= 1
        self._firsts = [each.first for each in self._pages]
        self._row_count -= 1
        self.total = max(self.total - 1, self._row_count)
        self._row_of_id = {}
        for each in self._pages:
            self._index_ids(each)
        self.endRemoveRows()

    def _index_ids(self, page: _Page) -> None:
        for offset, item in enumerate(page.rows or ()):
            self._row_of_id[item.id] = page.first + offset  # type: ignore[attr-defined]

    def _drop_far_pages(self, keep: int | None = None) -> None:
        """Drop the held pages farthest from the focus row until the window fits."""
        held = [n for n, page in enumerate(self._pages) if page.rows is not None and n != keep]
        held.sort(key=lambda n: abs(self._pages[n].first - self._focus_row), reverse=True)
        excess = self.rows_held - self._max_rows_held
        for number in held:
            if excess <= 0:
                break
            page = self._pages[number]
            excess -= len(page.rows or ())
            for item in page.rows or ():
                self._row_of_id.pop(item.id, None)  # type: ignore[attr-defined]
            page.rows = None

    # -- Qt overrides ----------------------------------------------------------------------

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._fields)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else self._row_count

    def canFetchMore(self, parent: Index) -> bool:
        if parent.isValid():
            return False
        return self._next is not None and not self._fetch_pending

    def fetchMore(self, parent: Index) -> None:
        if self.canFetchMore(parent):
            self._fetch_pending = True
            self.sig_fetch_more_requested.emit()

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        self._focus_row = index.row()
        record = self.record(index.row())
        if record is None:
            self._request_page_of(index.row())
            return None
        field = self._fields[index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._text(record, field)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return _alignment(field)
        if role == RECORD_ROLE:
            return record
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._fields):
            return None
        field = self._fields[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return _(field.label)
        if role == Qt.ItemDataRole.TextAlignmentRole and field.kind in _RIGHT_ALIGNED:
            return _alignment(field)  # a centred title would be clipped on narrow columns
        if role == Qt.ItemDataRole.InitialSortOrderRole and field.kind in _NEWEST_FIRST:
            return Qt.SortOrder.DescendingOrder
        return None

    def _request_page_of(self, row: int) -> None:
        number = bisect_right(self._firsts, row) - 1
        page = self._pages[number]
        if page.rows is None and not page.requested:
            page.requested = True
            self.sig_page_requested.emit(number, page.after)

    def _text(self, record: BaseModel, field: FieldSpec) -> str:
        value = getattr(record, field.column, None)
        if value is None and (shown := masked_text(record, field)):  # a masked field
            return shown
        formatter = self._formatters.get(field.name)
        if formatter is not None:
            return formatter(value)
        return format_value(field, value)


def _alignment(field: FieldSpec) -> Qt.AlignmentFlag:
    vertical = Qt.AlignmentFlag.AlignVCenter
    if field.kind in _RIGHT_ALIGNED:
        return Qt.AlignmentFlag.AlignRight | vertical
    if field.kind in _CENTRED:
        return Qt.AlignmentFlag.AlignHCenter | vertical
    return Qt.AlignmentFlag.AlignLeft | vertical
