"""``SuggestCombo``: text with a list to pick from — a province, a city, an industry.

The list opens like any combo's; typing narrows it to the names containing what was typed
(南山 finds 南山区), and text the list lacks stays as typed: a district too new for the
shipped divisions, an industry nobody has listed yet.
"""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QCompleter, QLineEdit, QWidget

VISIBLE_ITEMS = 15


class SuggestCombo(QComboBox):
    """``sig_edited`` when the person types or picks (not when code sets the text)."""

    sig_edited = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditable(True)
        self.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.setMaxVisibleItems(VISIBLE_ITEMS)
        completer = QCompleter(self.model(), self)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        completer.setMaxVisibleItems(VISIBLE_ITEMS)
        self.setCompleter(completer)
        self.edit().textEdited.connect(self.sig_edited)
        self.activated.connect(self.sig_edited)
        completer.activated.connect(self.sig_edited)

    def edit(self) -> QLineEdit:
        """The line the person types into."""
        edit = self.lineEdit()
        assert edit is not None, "an editable combo has its line edit"
        return edit

    def set_options(self, names: Iterable[str]) -> None:
        """Offer ``names``; what is typed stays."""
        text = self.currentText()
        self.blockSignals(True)
        self.clear()
        self.addItems(list(names))
        self._show(text)
        self.blockSignals(False)

    def options(self) -> list[str]:
        return [self.itemText(row) for row in range(self.count())]

    def text(self) -> str:
        return self.currentText().strip()

    def set_text(self, text: str) -> None:
        self.blockSignals(True)
        self._show(text)
        self.blockSignals(False)

    def _show(self, text: str) -> None:
        self.setCurrentIndex(self.findText(text))
        self.setEditText(text)
