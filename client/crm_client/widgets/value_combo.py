"""``ValueComboBox``: a combo whose options carry Python values (``None`` for "all"/"none").

The values stay on the Python side instead of in Qt item data: PySide6 6.12 on Python 3.11
drops a reference to ``None`` each time ``None`` crosses into or out of a ``QVariant``
(``addItem(text, None)``, ``currentData()`` of such an item), which ends in a "deallocating
None" crash at exit. Keeping values in a list avoids that and keeps them typed.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QComboBox, QWidget


class ValueComboBox(QComboBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._values: list[Any] = []

    def add_option(self, text: str, value: Any) -> None:
        self._values.append(value)
        self.addItem(text)

    def clear_options(self) -> None:
        self.clear()
        self._values.clear()

    def value(self) -> Any:
        index = self.currentIndex()
        return self._values[index] if 0 <= index < len(self._values) else None

    def set_value(self, value: Any) -> None:
        """Select the option with ``value`` (the first option when there is none)."""
        index = self._values.index(value) if value in self._values else 0
        self.setCurrentIndex(index)


class CellComboBox(ValueComboBox):
    """A ``ValueComboBox`` in a table cell: the mouse wheel changes it only once it has
    focus, so scrolling the table does not change every combo on the way."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # no focus steal on the mouse wheel

    def wheelEvent(self, event: QWheelEvent) -> None:
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()
