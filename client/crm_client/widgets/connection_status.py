"""``ConnectionStatusLabel``: "● 已连接" or "● 离线" in the status bar.

The offline banner appears over the page only when something failed; this label says at any
time whether the server answers, from what the task runner learns of every call (a call
that cannot reach the server → offline; the next one that gets an answer → connected).
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from crm_client.core.i18n import _

CONNECTED_COLOUR = "#389e0d"
OFFLINE_COLOUR = "#cf1322"


class ConnectionStatusLabel(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.offline = False
        self.set_offline(False)

    def set_offline(self, offline: bool) -> None:
        self.offline = offline
        colour = OFFLINE_COLOUR if offline else CONNECTED_COLOUR
        text = _("Offline") if offline else _("Connected")
        self.setText(f'<span style="color:{colour}">●</span> {text}')
        self.setStyleSheet(f"QLabel {{ color: {colour if offline else 'palette(text)'};"
                           " padding: 0 8px; }")
        self.setToolTip(
            _("The server cannot be reached. What you entered is kept; retry from the banner.")
            if offline else _("The server answers."))
