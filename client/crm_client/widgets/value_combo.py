"""``ValueComboBox``: a combo whose options carry Python values (``None`` for "all"/"none").

The values stay on the Python side instead of in Qt item data: PySide6 6.12 on Python 3.11
drops a reference to ``None`` each time ``None`` crosses into or out of a ``QVariant``
(``addItem(text, None)``, ``currentData()`` of such an item), which ends in a "deallocating
None" crash at exit. Keeping values in a list avoids that and keeps them typed.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QComboBox, QWidget


class ValueComboBox(QComboBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._values: list[Any] = []

    def add_option(self, text: str, value: Any) -> None:
        self._values.append(value)
        self.addItem(text)

    def value(self) -> Any:
        index = self.currentIndex()
        return self._values[index] if 0 <= index < len(self._values) else None

    def set_value(self, value: Any) -> None:
        """Select the option with ``value`` (the first option when there is none)."""
        index = self._values.index(value) if value in self._values else 0
        self.setCurrentIndex(index)
