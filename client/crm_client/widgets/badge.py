"""``BadgeLabel``: a small coloured tag ("重点客户", "活跃") next to a title."""

from __future__ import annotations

from PySide6.QtGui import QColor
from PySide6.QtWidgets import QLabel, QWidget

TINT = 0.9  # how far towards white the background is mixed from the text colour


def tint(colour: str, amount: float = TINT) -> str:
    """``colour`` mixed with white: the badge background for a text colour."""
    base = QColor(colour)
    mixed = [round(c + (255 - c) * amount) for c in (base.red(), base.green(), base.blue())]
    return QColor(*mixed).name()


class BadgeLabel(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.hide()

    def set_badge(self, text: str, colour: str) -> None:
        """Show ``text`` in ``colour`` on a light tint of it; hidden when ``text`` is empty."""
        self.setText(text)
        self.setStyleSheet(
            f"QLabel {{ color: {colour}; background: {tint(colour)};"
            f" border: 1px solid {tint(colour, 0.6)}; border-radius: 3px; padding: 1px 6px; }}"
        )
        self.setVisible(bool(text))
