"""``SortHeaderView``: the header of every record list.

Only the server-sortable columns react to clicks. Qt makes either all sections clickable or
none. Sorting is done by the server and only on a declared set of fields, so a click on any
other column must neither move the sort arrow nor flash the section: the press decides, per
section, whether the header is clickable.

The columns fill the list's width: the widest declared visible column takes the slack (it
holds the longest texts: a customer's name, a contact's company), so no text is cut off next
to blank space, while the widths the person gave the other columns stay as they were set.

The sort arrow points as on Windows: up for ascending (A → Z), down for descending. Qt draws
it the other way round.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QMouseEvent, QResizeEvent
from PySide6.QtWidgets import QHeaderView, QStyleOptionHeader, QWidget

_WINDOWS_ARROW = {
    QStyleOptionHeader.SortIndicator.SortDown: QStyleOptionHeader.SortIndicator.SortUp,
    QStyleOptionHeader.SortIndicator.SortUp: QStyleOptionHeader.SortIndicator.SortDown,
}


class SortHeaderView(QHeaderView):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Horizontal, parent)
        self._sortable: frozenset[int] = frozenset()
        self._widths: tuple[int, ...] = ()
        self._fitting = False
        self.setSectionsClickable(True)
        self.setSortIndicatorShown(True)
        self.setSectionsMovable(True)
        self.setHighlightSections(False)
        self.sectionResized.connect(lambda *_args: self.fit())

    def set_sortable_sections(self, sections: frozenset[int]) -> None:
        self._sortable = sections

    def is_sortable(self, section: int) -> bool:
        return section in self._sortable

    def set_declared_widths(self, widths: Sequence[int]) -> None:
        """Each column's declared width: its least width when it takes the slack."""
        self._widths = tuple(widths)
        self.fit()

    def slack_section(self) -> int:
        """The column that takes the slack: the widest declared visible one (-1: none)."""
        visible = [s for s in range(min(self.count(), len(self._widths)))
                   if not self.isSectionHidden(s)]
        return min(visible, key=lambda s: (-self._widths[s], self.visualIndex(s)), default=-1)

    def fit(self) -> None:
        """Give the slack column what the other columns leave of the header's width."""
        if self._fitting or not self._widths:
            return
        self._fitting = True
        try:
            slack = self.slack_section()
            for section in range(min(self.count(), len(self._widths))):
                self._set_slack(section, section == slack)
            if slack >= 0:
                others = self.length() - self.sectionSize(slack)
                self.resizeSection(slack, max(self._widths[slack], self.width() - others))
        finally:
            self._fitting = False

    def _set_slack(self, section: int, slack: bool) -> None:
        """The slack column is sized here, not by dragging (Qt's Fixed mode); a column that
        stops being the slack one gets its declared width back."""
        mode = QHeaderView.ResizeMode.Fixed if slack else QHeaderView.ResizeMode.Interactive
        if self.sectionResizeMode(section) == mode:
            return
        self.setSectionResizeMode(section, mode)
        if not slack:
            self.resizeSection(section, self._widths[section])

    def initStyleOptionForIndex(self, option: QStyleOptionHeader, logicalIndex: int) -> None:
        super().initStyleOptionForIndex(option, logicalIndex)
        option.sortIndicator = _WINDOWS_ARROW.get(option.sortIndicator, option.sortIndicator)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.fit()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        section = self.logicalIndexAt(event.position().toPoint())
        self.setSectionsClickable(section in self._sortable)
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        super().mouseReleaseEvent(event)
        self.setSectionsClickable(True)
