"""``MaintenancePage``: the console's maintenance work, run as background jobs on the server
(their progress shows in the jobs panel): for now, recomputing the search text."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QGroupBox, QLabel, QPushButton, QVBoxLayout, QWidget

from crm_client.core.i18n import _
from crm_client.views.jobs_panel import RecomputeSearchDialog

if TYPE_CHECKING:
    from crm_client.core.context import AppContext


class MaintenancePage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.recompute_button = QPushButton(_("Recompute search text…"), self)
        self.recompute_button.clicked.connect(self.open_recompute)
        group = QGroupBox(_("Search"), self)
        explanation = QLabel(_("After the rules that clean names, phone numbers or pinyin "
                               "initials changed, rebuild what the search box finds. It "
                               "runs in the background; follow it in the jobs panel."), group)
        explanation.setWordWrap(True)
        inner = QVBoxLayout(group)
        inner.addWidget(explanation)
        inner.addWidget(self.recompute_button)
        layout = QVBoxLayout(self)
        layout.addWidget(group)
        layout.addStretch(1)

    def open_recompute(self) -> RecomputeSearchDialog:
        dialog = RecomputeSearchDialog(self._ctx, self)
        dialog.open()
        return dialog
