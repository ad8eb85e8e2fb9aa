"""``FieldEditor``: what the generic form knows of every field's editor
(``widgets.field_editors`` picks them)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QWidget

from crm_client.models.formatting import describe_value
from crm_common.entities import FieldSpec

PAGE_MAXIMUM = 500  # the API's page maximum: lists offered as choices (roles) are few


class FieldEditor(QObject):
    """Base: subclasses set ``self.widget`` and implement ``value``/``set_value``."""

    sig_changed = Signal()

    def __init__(self, field: FieldSpec, widget: QWidget) -> None:
        super().__init__(widget)
        self.field = field
        self.widget = widget

    def value(self) -> Any:
        raise NotImplementedError

    def set_value(self, value: Any, display: str | None = None) -> None:
        """Show ``value``; ``display`` is the title of a referenced record, when known."""
        raise NotImplementedError

    def display_text(self) -> str:
        """The current value as people read it (for the conflict comparison)."""
        return describe_value(self.field, self.value())

    def focus(self) -> None:
        self.widget.setFocus()

    def set_read_only(self, reason: str) -> None:
        """Greyed out with ``reason`` as tooltip: shown, but not for this person to change
        (no "type to search" hint in a box nobody can type into)."""
        self.widget.setEnabled(False)
        self.widget.setToolTip(reason)
        if isinstance(self.widget, QLineEdit | QPlainTextEdit):
            self.widget.setPlaceholderText("")
