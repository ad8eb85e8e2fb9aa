"""Small pieces the console pages share: a page base that loads on its first appearance,
and a read-only table (toolbar actions are ``widgets.actions.tool_action``)."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableWidget, QWidget

from crm_client.core.i18n import _

ROW_HEIGHT = 28


class ConsolePage(QWidget):
    """A console page: ``load()`` runs when the page is first shown, so opening the console
    does not fire every page's requests at once."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._loaded_once = False

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if not self._loaded_once:
            self._loaded_once = True
            self.load()

    def load(self) -> None:
        raise NotImplementedError


def titled_table(table: QTableWidget, titles: Sequence[str], widths: Sequence[int],
                 stretch: int) -> None:
    """A read-only table (``read_only_table``) with its translated column ``titles``, their
    starting ``widths``, and the column that takes the spare width."""
    read_only_table(table)
    table.setHorizontalHeaderLabels([_(title) for title in titles])
    header = table.horizontalHeader()
    for column, width in enumerate(widths):
        header.resizeSection(column, width)
    header.setSectionResizeMode(stretch, QHeaderView.ResizeMode.Stretch)


def read_only_table(table: QTableWidget, row_height: int = ROW_HEIGHT) -> None:
    """Whole-row single selection, fixed row heights, no editing, no grid."""
    table.verticalHeader().hide()
    table.verticalHeader().setDefaultSectionSize(row_height)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(True)
    table.setShowGrid(False)
    table.setWordWrap(False)
    table.horizontalHeader().setDefaultAlignment(
        Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    table.horizontalHeader().setHighlightSections(False)
