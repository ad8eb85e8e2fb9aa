"""``SortHeaderView``: a table header where only the server-sortable columns react to clicks.

Qt makes either all sections clickable or none. Sorting is done by the server and only on a
declared set of fields, so a click on any other column must neither move the sort arrow nor
flash the section: the press decides, per section, whether the header is clickable.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QMouseEvent
from PySide6.QtWidgets import QHeaderView, QWidget


class SortHeaderView(QHeaderView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self._sortable: frozenset[int] = frozenset()
        self.setSectionsClickable(True)
        self.setSortIndicatorShown(True)
        self.setSectionsMovable(True)
        self.setHighlightSections(False)

    def set_sortable_sections(self, sections: frozenset[int]) -> None:
        self._sortable = sections

    def is_sortable(self, section: int) -> bool:
        return section in self._sortable

    def mousePressEvent(self, event: QMouseEvent) -> None:
        section = self.logicalIndexAt(event.position().toPoint())
        self.setSectionsClickable(section in self._sortable)
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        self.setSectionsClickable(True)
