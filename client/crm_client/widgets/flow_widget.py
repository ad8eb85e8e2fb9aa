"""``FlowWidget``: child widgets left to right, wrapping to a new line when the width runs out.

The filter bar uses it: a customer list has seven filters, which fit one line on a desktop
monitor and wrap on a laptop instead of being cut off. It places its children itself rather
than being a ``QLayout`` subclass: PySide6 6.12 loses a reference to ``None`` every time a
Python ``QLayout.itemAt`` returns None to Qt (which ends each layout pass), and that crashes
the interpreter at exit ("deallocating None").
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QPoint, QRect, QSize
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QWidget


class FlowWidget(QWidget):
    def __init__(self, parent: QWidget | None = None, spacing: int = 6) -> None:
        super().__init__(parent)
        self._spacing = spacing
        self._items: list[QWidget] = []
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

    def add_widget(self, widget: QWidget) -> None:
        widget.setParent(self)
        widget.installEventFilter(self)  # re-flow when it is shown, hidden or resized
        self._items.append(widget)
        self.updateGeometry()

    def add_labelled(self, label: str, editor: QWidget) -> None:
        """A label and its editor as one unit, so they wrap together."""
        pair = QWidget(self)
        layout = QHBoxLayout(pair)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(4)
        text = QLabel(label, pair)
        text.setBuddy(editor)
        layout.addWidget(text)
        layout.addWidget(editor)
        self.add_widget(pair)

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, width: int) -> int:
        return self._arrange(width, move=False)

    def sizeHint(self) -> QSize:
        width = max(self.width(), self.minimumSizeHint().width())
        return QSize(width, self.heightForWidth(width))

    def minimumSizeHint(self) -> QSize:
        widest = max((w.sizeHint().width() for w in self._shown()), default=0)
        return QSize(widest, self.heightForWidth(widest))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._arrange(self.width(), move=True)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in (QEvent.Type.Show, QEvent.Type.Hide, QEvent.Type.LayoutRequest):
            self.updateGeometry()
            self._arrange(self.width(), move=True)
        return False

    def _shown(self) -> list[QWidget]:
        return [widget for widget in self._items if not widget.isHidden()]

    def _arrange(self, width: int, *, move: bool) -> int:
        """Place the children (when ``move``) and return the height they need."""
        x = y = line_height = 0
        for widget in self._shown():
            hint = widget.sizeHint()
            if x and x + hint.width() > width:
                x, y, line_height = 0, y + line_height + self._spacing, 0
            if move:
                widget.setGeometry(QRect(QPoint(x, y), hint))
            x += hint.width() + self._spacing
            line_height = max(line_height, hint.height())
        return y + line_height
