"""``EnterSpinBox``: a spin box whose Enter acts on the spin box itself.

In a dialog a plain ``QSpinBox`` lets Enter through to the default button: typing a row
number and pressing Enter would press "Import" instead of going to that row.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QSpinBox

ENTER_KEYS = frozenset({Qt.Key.Key_Return, Qt.Key.Key_Enter})


class EnterSpinBox(QSpinBox):
    """``sig_entered(value)`` when Enter is pressed in it; the dialog does not see it."""

    sig_entered = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in ENTER_KEYS:
            self.interpretText()
            self.selectAll()
            self.sig_entered.emit(self.value())
            event.accept()
            return
        super().keyPressEvent(event)
