"""``ColumnSettingsButton``: the "Columns" menu of a list, and the memory of its layout.

Which columns show, their order and widths and the sort arrow are the header's state; it is
saved per list (``ClientSettings.column_layout``) shortly after each change and restored when
the list opens again. The saved state carries a fingerprint of the column names, so a layout
saved before the registry gained or lost a field is ignored instead of misapplied.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHeaderView, QMenu, QToolButton, QWidget

from crm_client.core.i18n import _
from crm_common.entities import FieldSpec

if TYPE_CHECKING:
    from crm_client.core.settings import ClientSettings

SAVE_DELAY_MS = 500
_FORMAT = b"1"


class ColumnSettingsButton(QToolButton):
    def __init__(
        self,
        header: QHeaderView,
        fields: Sequence[FieldSpec],
        settings: ClientSettings,
        key: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._header = header
        self._fields = tuple(fields)
        self._settings = settings
        self._key = key
        names = ",".join(field.name for field in self._fields).encode()
        self._fingerprint = _FORMAT + hashlib.sha1(names).hexdigest()[:8].encode() + b":"
        self._timer = QTimer(self, singleShot=True, interval=SAVE_DELAY_MS)
        self._timer.timeout.connect(self.save)
        # The style draws the menu arrow: a "▾" in the text shows as a box where no font
        # has it (Windows' CJK fonts do not).
        self.setText(_("Columns"))
        self.setToolTip(_("Choose the columns to show"))
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self)
        menu.aboutToShow.connect(lambda: self._fill(menu))
        self.setMenu(menu)

    def restore(self) -> bool:
        """Apply the saved layout (False when there is none for these columns), then save
        every later change of widths, order or sort."""
        saved = self._settings.column_layout(self._key)
        restored = saved.startswith(self._fingerprint) and self._header.restoreState(
            saved[len(self._fingerprint):]
        )
        self._header.sectionResized.connect(lambda *_args: self._timer.start())
        self._header.sectionMoved.connect(lambda *_args: self._timer.start())
        self._header.sortIndicatorChanged.connect(lambda *_args: self._timer.start())
        return restored

    def save(self) -> None:
        state = bytes(self._header.saveState().data())
        self._settings.set_column_layout(self._key, self._fingerprint + state)

    def set_shown(self, column: int, shown: bool) -> None:
        self._header.setSectionHidden(column, not shown)
        self._timer.start()

    def _fill(self, menu: QMenu) -> None:
        menu.clear()
        header = self._header
        visible = sum(not header.isSectionHidden(i) for i in range(header.count()))
        for column, field in enumerate(self._fields):
            action = menu.addAction(_(field.label))
            action.setCheckable(True)
            action.setChecked(not header.isSectionHidden(column))
            action.setEnabled(header.isSectionHidden(column) or visible > 1)  # keep one
            action.toggled.connect(lambda on, c=column: self.set_shown(c, on))
