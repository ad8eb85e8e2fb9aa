"""``tool_action``: a toolbar and context-menu action with an icon, shortcuts and a tooltip
that names its shortcut ("Refresh (F5)"), as every list and console page makes them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QWidget

from crm_client.core.icons import icon


def tool_action(
    parent: QWidget,
    text: str,
    icon_name: str,
    slot: Callable[..., Any],
    keys: Sequence[QKeySequence | QKeySequence.StandardKey | str] = (),
    owner: QWidget | None = None,
) -> QAction:
    """An action on ``parent``; with an ``owner`` its shortcut works only while that widget
    has focus (Delete must not delete a record while typing in the search box)."""
    action = QAction(icon(icon_name), text, owner or parent)
    action.setShortcuts([QKeySequence(key) for key in keys])
    action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut if owner else
                              Qt.ShortcutContext.WidgetWithChildrenShortcut)
    shortcut = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
    action.setToolTip(f"{text} ({shortcut})" if shortcut else text)
    action.triggered.connect(slot)
    (owner or parent).addAction(action)
    return action
