"""``ConnectionStatusLabel``: "● 已连接", "● 服务器繁忙或数据库不可用，正在重试…" or "● 离线" in the
status bar.

The offline banner appears over the page only when something failed; this label says at any
time whether the server answers, from what the task runner learns of every call (a call
that cannot reach the server → offline; the next one that gets an answer → connected), and
while reads wait to be repeated because the server is busy or its database unavailable.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from crm_client.core.i18n import _

CONNECTED_COLOUR = "#389e0d"
RETRYING_COLOUR = "#d46b08"
OFFLINE_COLOUR = "#cf1322"


class ConnectionStatusLabel(QLabel):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.offline = False
        self.retrying = False
        self._show()

    def set_offline(self, offline: bool) -> None:
        self.offline = offline
        self._show()

    def set_retrying(self, retrying: bool) -> None:
        self.retrying = retrying
        self._show()

    def _show(self) -> None:
        if self.retrying:
            colour, text = RETRYING_COLOUR, _("Server busy or database unavailable, retrying…")
            tip = _("The server cannot serve right now; reads are repeated by themselves. "
                    "Saving is not: what you entered is kept.")
        elif self.offline:
            colour, text = OFFLINE_COLOUR, _("Offline")
            tip = _("The server cannot be reached. What you entered is kept; retry from the "
                    "banner.")
        else:
            colour, text, tip = CONNECTED_COLOUR, _("Connected"), _("The server answers.")
        self.setText(f'<span style="color:{colour}">●</span> {text}')
        text_colour = "palette(text)" if colour == CONNECTED_COLOUR else colour
        self.setStyleSheet(f"QLabel {{ color: {text_colour}; padding: 0 8px; }}")
        self.setToolTip(tip)
