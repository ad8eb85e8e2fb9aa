"""The client's icons: small line drawings kept as SVG text and rendered at any size.

Vector icons stay crisp at 125 %/150 % scaling on Windows, need no resource compiler, and
are bundled with the code. ``icon(name)`` gives a ``QIcon`` whose disabled state is greyed.
Names follow the registry's ``EntitySpec.icon`` (customer, contact, activity, user, …).
"""

from __future__ import annotations

from functools import cache

from PySide6.QtCore import QByteArray, QPoint, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QIcon, QIconEngine, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

NORMAL = "#4b5563"
DISABLED = "#b6bcc6"
ACCENT = "#1677ff"

_PATHS = {
    "workbench": '<path d="M3 10.5 12 3l9 7.5"/><path d="M5.5 9v11h4.5v-6h4v6h4.5V9"/>',
    "customer": '<path d="M4 21V4.5h10.5V21"/><path d="M14.5 9H20v12"/><path d="M2.5 21h19"/>'
    '<path d="M7.5 8h4M7.5 12h4M7.5 16h4"/>',
    "contact": '<circle cx="12" cy="8" r="4"/><path d="M4 21c0-4.2 3.6-7 8-7s8 2.8 8 7"/>',
    "activity": '<path d="M4 4.5h16v11.5H10l-4.5 4v-4H4z"/><path d="M8 8.5h8M8 12h5"/>',
    "product": '<path d="M12 2.8 20.5 7.5v9L12 21.2 3.5 16.5v-9z"/>'
    '<path d="M3.5 7.5 12 12l8.5-4.5"/><path d="M12 12v9.2M7.8 5.1l8.4 4.7"/>',
    "user": '<circle cx="9" cy="8" r="3.5"/><path d="M2.5 20c0-3.6 2.9-6 6.5-6s6.5 2.4 6.5 6"/>'
    '<path d="M15.5 4.8a3.3 3.3 0 0 1 0 6.4"/><path d="M18 14.3c2.1.6 3.5 2.6 3.5 5.7"/>',
    "department": '<rect x="9" y="3" width="6" height="5" rx="1"/>'
    '<rect x="3" y="16" width="6" height="5" rx="1"/>'
    '<rect x="15" y="16" width="6" height="5" rx="1"/>'
    '<path d="M12 8v4M6 16v-4h12v4"/>',
    "industry": '<path d="M3 21V11l5 3v-3l5 3v-3l5 3V4h3v17z"/><path d="M2 21h20"/>',
    "attachment": '<path d="M20 11.5 12.2 19.3a5 5 0 0 1-7.1-7.1l8-8a3.3 3.3 0 0 1 4.7 4.7l-8 8'
    'a1.7 1.7 0 0 1-2.4-2.4l7.3-7.3"/>',
    "search": '<circle cx="10.5" cy="10.5" r="6.5"/><path d="m15.5 15.5 5 5"/>',
    "settings": '<path d="M4 6.5h9M17 6.5h3M4 12h3M11 12h9M4 17.5h11M19 17.5h1"/>'
    '<circle cx="15" cy="6.5" r="2"/><circle cx="9" cy="12" r="2"/>'
    '<circle cx="17" cy="17.5" r="2"/>',
    "sign_out": '<path d="M14 4h5v16h-5"/><path d="m10 8-4 4 4 4"/><path d="M6 12h10"/>',
    "exit": '<circle cx="12" cy="12" r="9"/><path d="m9 9 6 6M15 9l-6 6"/>',
    "lock": '<rect x="5" y="11" width="14" height="10" rx="2"/>'
    '<path d="M8 11V7.5a4 4 0 0 1 8 0V11"/>',
    "refresh": '<path d="M20 12a8 8 0 1 1-2.6-5.9"/><path d="M20 4v5h-5"/>',
    "info": '<circle cx="12" cy="12" r="9"/><path d="M12 11v6M12 7.5v.5"/>',
    "warning": '<path d="M12 3.5 2.5 20h19z"/><path d="M12 10v4.5M12 17.3v.4"/>',
    "close_tab": '<path d="m7 7 10 10M17 7 7 17"/>',
    "add": '<path d="M12 5v14M5 12h14"/>',
    "edit": '<path d="M4 20h4L19 9l-4-4L4 16z"/><path d="m13.5 6.5 4 4"/>',
    "delete": '<path d="M4 7h16M10 4h4M6 7l1 13h10l1-13"/><path d="M10 11v6M14 11v6"/>',
    "restore": '<path d="M4 12a8 8 0 1 0 2.4-5.7"/><path d="M4 4v5h5"/><path d="M12 8v4l3 2"/>',
    "recycle_bin": '<path d="M4 7h16M10 4h4M6 7l1 13h10l1-13"/><path d="m10 14 2-2 2 2M12 12v5"/>',
    "upload": '<path d="M12 16V4M7 9l5-5 5 5"/><path d="M4 15v5h16v-5"/>',
    "download": '<path d="M12 4v12M7 11l5 5 5-5"/><path d="M4 15v5h16v-5"/>',
    # A sheet with an arrow into it: the import history and mapping templates.
    "import": '<path d="M14 3H5v18h14V8z"/><path d="M14 3v5h5"/><path d="M12 10.5v6.5"/>'
    '<path d="m9 14 3 3 3-3"/>',
    "job": '<rect x="3" y="9" width="18" height="6" rx="3"/><path d="M6 12h6"/>'
    '<path d="M12 3.5v2.5M12 18v2.5"/>',
    "history": '<circle cx="12" cy="12" r="8.5"/><path d="M12 7.5V12l3 2"/>',
    "open": '<path d="M2.5 12S6 5.5 12 5.5 21.5 12 21.5 12 18 18.5 12 18.5 2.5 12 2.5 12z"/>'
    '<circle cx="12" cy="12" r="3"/>',
    "admin": '<path d="M12 3 4.5 6v5.5c0 4.6 3.2 8.2 7.5 9.5 4.3-1.3 7.5-4.9 7.5-9.5V6z"/>'
    '<path d="m9 12 2 2 4-4"/>',
    "audit": '<rect x="5" y="4" width="14" height="17" rx="1.5"/><path d="M9 4V2.8h6V4"/>'
    '<path d="M8.5 10h7M8.5 13.5h7M8.5 17h4"/>',
    "key": '<circle cx="8" cy="15" r="4"/><path d="m11 12 9-9M16.5 6.5l2.5 2.5M14 9l2 2"/>',
    "role": '<rect x="3.5" y="5" width="17" height="14" rx="2"/><circle cx="9" cy="11" r="2.2"/>'
    '<path d="M5.8 16c.5-1.6 1.7-2.4 3.2-2.4s2.7.8 3.2 2.4M14.5 10h3.5M14.5 13.5h3.5"/>',
}


def _svg(name: str, colour: str) -> bytes:
    return (
        '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" '
        f'stroke="{colour}" stroke-width="1.7" stroke-linecap="round" stroke-linejoin="round">'
        f"{_PATHS[name]}</svg>"
    ).encode()


class SvgIconEngine(QIconEngine):
    """Renders one drawing at whatever size and scale Qt asks for."""

    def __init__(self, name: str, colour: str, selected: str) -> None:
        super().__init__()
        self._name = name
        self._colour = colour
        self._selected = selected

    def paint(self, painter: QPainter, rect: QRect, mode: QIcon.Mode, state: QIcon.State) -> None:
        colour = {QIcon.Mode.Disabled: DISABLED, QIcon.Mode.Selected: self._selected}.get(
            mode, self._colour
        )
        QSvgRenderer(QByteArray(_svg(self._name, colour))).render(painter, QRectF(rect))

    def pixmap(self, size: QSize, mode: QIcon.Mode, state: QIcon.State) -> QPixmap:
        pixmap = QPixmap(size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.paint(painter, QRect(QPoint(0, 0), size), mode, state)
        painter.end()
        return pixmap

    def clone(self) -> QIconEngine:
        return SvgIconEngine(self._name, self._colour, self._selected)


@cache
def icon(name: str, colour: str = NORMAL, selected: str | None = None) -> QIcon:
    """The icon called ``name`` (an empty icon for an unknown name, never an error);
    ``selected`` colours it in selected items (default: as normal)."""
    if name not in _PATHS:
        return QIcon()
    return QIcon(SvgIconEngine(name, colour, selected or colour))
