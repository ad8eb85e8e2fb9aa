"""``RecordTableView``: the table every record list uses, set up for big server-paged lists.

Fixed row heights (Qt then never measures rows, ARCHITECTURE §5a), whole-row selection,
elided text, no ``ResizeToContents``; a short grey text in the empty viewport says why
nothing is shown instead of leaving a blank white box.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from crm_client.widgets.sort_header import SortHeaderView

ROW_PADDING = 12
EMPTY_TEXT_COLOUR = "#8c8c8c"


class RecordTableView(QTableView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.sort_header = SortHeaderView(self)
        self.setHorizontalHeader(self.sort_header)
        self.sort_header.setSortIndicatorShown(True)  # setHorizontalHeader switched it off
        self.sort_header.setDefaultAlignment(
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
        )
        rows = self.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + ROW_PADDING)
        rows.hide()
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.setShowGrid(False)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self._empty_text = ""

    def set_empty_text(self, text: str) -> None:
        """What the viewport says while there are no rows ("" while loading)."""
        self._empty_text = text
        self.viewport().update()

    def current_row(self) -> int:
        """The selected row, -1 when none."""
        rows = self.selectionModel().selectedRows() if self.selectionModel() else []
        return rows[0].row() if rows else -1

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        if self._empty_text and model is not None and model.rowCount() == 0:
            painter = QPainter(self.viewport())
            painter.setPen(QColor(EMPTY_TEXT_COLOUR))
            area = self.viewport().rect().adjusted(0, 24, 0, 0)
            flags = Qt.AlignmentFlag.AlignHCenter | Qt.AlignmentFlag.AlignTop
            painter.drawText(area, int(flags), self._empty_text)
            painter.end()
