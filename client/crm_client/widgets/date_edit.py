"""``DateEdit``: a date field that can also be empty ("no next follow-up date").

``QDateEdit`` always holds a date, so the minimum date stands for "none" and is shown blank
(``specialValueText``). A clear button inside the field empties it; the calendar popup of an
empty field opens on the current month instead of the sentinel year.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Signal
from PySide6.QtGui import QAction, QMouseEvent
from PySide6.QtWidgets import QDateEdit, QLineEdit, QWidget

from crm_client.core.i18n import _
from crm_client.core.icons import icon

_NONE = QDate(1900, 1, 1)
_BLANK = " "  # special value text must not be empty to be used


class DateEdit(QDateEdit):
    """``value()`` is a ``date`` or None; ``sig_value_changed`` reports both."""

    sig_value_changed = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setCalendarPopup(True)
        self.setDisplayFormat("yyyy-MM-dd")
        self.setMinimumDate(_NONE)
        self.setSpecialValueText(_BLANK)
        self.setDate(_NONE)
        self._clear = QAction(icon("close_tab"), _("Clear"), self)
        self._clear.setToolTip(_("Clear the date"))
        self._clear.triggered.connect(lambda: self.set_value(None))
        self.lineEdit().addAction(self._clear, QLineEdit.ActionPosition.TrailingPosition)
        self.dateChanged.connect(self._on_date_changed)
        self._on_date_changed(self.date())

    def value(self) -> date | None:
        current = self.date()
        if current == _NONE:
            return None
        return date(current.year(), current.month(), current.day())

    def set_value(self, value: date | None) -> None:
        self.setDate(_NONE if value is None else QDate(value.year, value.month, value.day))

    def mousePressEvent(self, event: QMouseEvent) -> None:
        super().mousePressEvent(event)
        calendar = self.calendarWidget()
        if self.value() is None and calendar is not None:
            today = QDate.currentDate()
            calendar.setCurrentPage(today.year(), today.month())

    def _on_date_changed(self, _date: QDate) -> None:
        self._clear.setVisible(self.value() is not None)
        self.sig_value_changed.emit(self.value())
