"""Small pieces the console pages share: toolbar actions with tooltips that name their
shortcut, a page base that loads on its first appearance, and a read-only table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence, QShowEvent
from PySide6.QtWidgets import QAbstractItemView, QTableWidget, QWidget

from crm_client.core.icons import icon

ROW_HEIGHT = 28


def tool_action(
    parent: QWidget,
    text: str,
    icon_name: str,
    slot: Callable[[], Any],
    keys: Sequence[QKeySequence | QKeySequence.StandardKey | str] = (),
    owner: QWidget | None = None,
) -> QAction:
    """An action; with an ``owner`` its shortcut works only while that widget has focus
    (Delete must not act while typing in a filter box)."""
    action = QAction(icon(icon_name), text, owner or parent)
    action.setShortcuts([QKeySequence(key) for key in keys])
    action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut if owner else
                              Qt.ShortcutContext.WidgetWithChildrenShortcut)
    shortcut = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    action.setToolTip(f"{text} ({shortcut})" if shortcut else text)
    action.triggered.connect(lambda _checked=False: slot())
    (owner or parent).addAction(action)
    return action


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
