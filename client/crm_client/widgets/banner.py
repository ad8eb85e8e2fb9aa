"""``Banner``: a one-line message strip with an optional action button, inside a screen.

Used where a modal box would get in the way: "server unreachable — your input is kept
[Retry]" in a form, "a similar customer exists [Open]" while typing.
"""

from __future__ import annotations

from enum import StrEnum

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QWidget


class BannerLevel(StrEnum):
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"


_COLOURS = {  # background, border, text
    BannerLevel.INFO: ("#e6f4ff", "#91caff", "#0b3a6e"),
    BannerLevel.WARNING: ("#fffbe6", "#ffe58f", "#5c3c00"),
    BannerLevel.ERROR: ("#fff1f0", "#ffa39e", "#820014"),
}


class Banner(QFrame):
    """Hidden until ``show_message``; ``sig_action`` fires when its button is clicked."""

    sig_action = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("banner")
        self.label = QLabel(self)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.button = QPushButton(self)
        self.button.setCursor(Qt.CursorShape.PointingHandCursor)
        # Inside a dialog a push button is "auto default": the hidden button of a banner
        # would take Enter away from the dialog's own default button (Sign in, Save).
        self.button.setAutoDefault(False)
        self.button.setDefault(False)
        self.button.clicked.connect(self.sig_action)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 6, 6, 6)
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.hide()

    def show_message(
        self, text: str, action: str | None = None, level: BannerLevel = BannerLevel.WARNING
    ) -> None:
        background, border, colour = _COLOURS[level]
        self.setStyleSheet(
            f"QFrame#banner {{ background: {background}; border: 1px solid {border};"
            f" border-radius: 4px; }} QFrame#banner QLabel {{ color: {colour}; }}"
        )
        self.label.setText(text)
        self.button.setText(action or "")
        self.button.setVisible(bool(action))
        self.show()

    def clear(self) -> None:
        self.label.clear()
        self.hide()
