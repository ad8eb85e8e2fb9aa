"""Where the main window appears: inside the screen's available area, always.

A laptop with 1366×768 pixels at 125 % offers about 1092×580 logical pixels; a fixed
1280×800 window there hides the search box and the status bar. The first window takes the
default size shrunk to the available area, centred; a remembered geometry is restored only
when its frame still lies wholly on one of the screens (not after a move from a larger
monitor, or on a screen that is gone). Qt would otherwise squeeze it onto the screen in its
own way, which is why the remembered rectangle is read before it is restored.
"""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QDataStream, QIODevice, QMargins, QPoint, QRect, QSize
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

DEFAULT_SIZE = QSize(1280, 800)
# Title bar and borders, which lie outside the geometry and are unknown before showing.
FRAME = QMargins(8, 32, 8, 8)
GEOMETRY_MAGIC = 0x1D9D0CB  # the first word of QWidget.saveGeometry()


def saved_frame(state: bytes) -> QRect | None:
    """The window frame a ``saveGeometry()`` state holds, or None when it is not one."""
    data = QByteArray(state)  # kept in a name: the stream reads it and must not outlive it
    stream = QDataStream(data, QIODevice.OpenModeFlag.ReadOnly)
    if len(state) < 24 or stream.readUInt32() != GEOMETRY_MAGIC:
        return None
    stream.readUInt16()  # format version, major
    stream.readUInt16()  # and minor; the frame comes first in every version
    frame = QRect()
    stream >> frame
    return frame if stream.status() == QDataStream.Status.Ok and frame.isValid() else None


def fits_a_screen(frame: QRect) -> bool:
    return any(screen.availableGeometry().contains(frame)
               for screen in QGuiApplication.screens())


def first_geometry(available: QRect) -> QRect:
    """The default size, shrunk to what ``available`` leaves beside the frame, centred."""
    room = available.marginsRemoved(FRAME)
    geometry = QRect(QPoint(0, 0), DEFAULT_SIZE.boundedTo(room.size()))
    geometry.moveCenter(room.center())
    return geometry


def place_window(window: QWidget, state: bytes) -> None:
    """Restore ``state`` (from ``saveGeometry``) when it fits a screen, else fit the window
    to the available area of its screen."""
    frame = saved_frame(state) if state else None
    if frame is not None and fits_a_screen(frame) and window.restoreGeometry(state):
        return
    window.setGeometry(first_geometry(window.screen().availableGeometry()))
