"""``ConflictDialog``: "this record was changed by someone else" after a stale save (409).

Nothing is overwritten on the server, and nothing typed is thrown away without asking: the
user reloads (takes theirs), or compares field by field and keeps their own changes, which the
form then re-applies on top of the current version.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from crm_client.core.i18n import _

MINE_COLOUR = "#fffbe6"


@dataclass(frozen=True)
class ConflictRow:
    """One field whose value differs: mine (as typed) and theirs (as saved now)."""

    label: str
    mine: str
    theirs: str
    changed_by_me: bool


class ConflictChoice(IntEnum):
    CANCEL = 0
    RELOAD = 1  # discard mine, show theirs
    KEEP_MINE = 2  # re-apply mine on top of theirs


class ConflictDialog(QDialog):
    """Ends with ``done(ConflictChoice)``; open it with ``open()`` and read ``finished``."""

    def __init__(self, rows: list[ConflictRow], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Changed by someone else"))
        message = QLabel(
            _("This record was changed by someone else after you opened it. Nothing has been "
              "saved yet. Reload their version, or compare and keep your changes."),
            self,
        )
        message.setWordWrap(True)
        self.table = self._make_table(rows)
        self.table.hide()
        self.hint = QLabel(
            _("Highlighted: the fields you changed. Keep mine saves them on top of the saved "
              "version; the other person's changes to other fields stay."),
            self,
        )
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #6b7280;")
        self.hint.hide()
        self.reload_button = QPushButton(_("Reload"), self)
        self.reload_button.setToolTip(_("Discard my changes and show the saved version"))
        self.compare_button = QPushButton(_("Compare…"), self)
        self.keep_button = QPushButton(_("Keep mine"), self)
        self.keep_button.setToolTip(_("Save my changes on top of the current version"))
        self.keep_button.hide()
        buttons = QDialogButtonBox(self)
        buttons.addButton(self.keep_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.reload_button, QDialogButtonBox.ButtonRole.DestructiveRole)
        buttons.addButton(self.compare_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.addButton(_("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        buttons.rejected.connect(self.reject)
        self.reload_button.clicked.connect(lambda: self.done(ConflictChoice.RELOAD))
        self.keep_button.clicked.connect(lambda: self.done(ConflictChoice.KEEP_MINE))
        self.compare_button.clicked.connect(self.show_comparison)
        layout = QVBoxLayout(self)
        layout.addWidget(message)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.hint)
        layout.addWidget(buttons)
        self.resize(460, 150)

    def show_comparison(self) -> None:
        self.table.show()
        self.hint.show()
        self.compare_button.hide()
        self.keep_button.show()
        self.keep_button.setDefault(True)
        self.resize(max(self.width(), 620), 360)

    def _make_table(self, rows: list[ConflictRow]) -> QTableWidget:
        table = QTableWidget(len(rows), 3, self)
        table.setHorizontalHeaderLabels([_("Field"), _("My version"), _("Saved version")])
        table.verticalHeader().hide()
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.resizeSection(0, 140)
        for index, row in enumerate(rows):
            for column, text in enumerate((row.label, row.mine, row.theirs)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if row.changed_by_me:
                    item.setBackground(QBrush(QColor(MINE_COLOUR)))
                table.setItem(index, column, item)
        return table
