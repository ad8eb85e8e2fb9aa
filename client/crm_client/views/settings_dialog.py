"""Settings…: language, list page size, and the servers this computer trusts.

Changes are written when the person clicks OK. The language applies after a restart (the
dialog says so), which keeps every screen free of re-translation code.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from crm_client.api.errors import host_of
from crm_client.core.i18n import _
from crm_client.core.settings import LANGUAGE_CHOICES, PAGE_SIZE_RANGE, ClientSettings
from crm_common.tlsinfo import fingerprint

ROLE_URL = Qt.ItemDataRole.UserRole


def language_names() -> dict[str, str]:
    """Each language in its own script, so anyone can find theirs."""
    return {"system": _("Follow the system"), "zh_CN": "简体中文", "en": "English"}


class SettingsDialog(QDialog):
    def __init__(
        self, settings: ClientSettings, current_server: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self._current_server = current_server
        self._forgotten: set[str] = set()
        self.setWindowTitle(_("Settings"))
        self.language_combo = QComboBox()
        for key in LANGUAGE_CHOICES:
            self.language_combo.addItem(language_names()[key], key)
        self.language_combo.setCurrentIndex(
            max(
                0,
                LANGUAGE_CHOICES.index(settings.language)
                if settings.language in LANGUAGE_CHOICES
                else 0,
            )
        )
        self.page_size_spin = QSpinBox()
        self.page_size_spin.setRange(*PAGE_SIZE_RANGE)
        self.page_size_spin.setSingleStep(50)
        self.page_size_spin.setValue(settings.page_size)
        self.page_size_spin.setSuffix(_(" rows"))
        self.servers_list = QListWidget()
        self.servers_list.setMaximumHeight(120)
        self.forget_button = QPushButton(_("Forget"))
        self.forget_button.setToolTip(
            _("Forget the selected server's certificate; you will be asked to trust it again")
        )
        self.forget_button.clicked.connect(self._forget_selected)
        self.servers_list.itemSelectionChanged.connect(self._selection_changed)
        self._fill_servers()
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self._general_group())
        layout.addWidget(self._servers_group())
        layout.addWidget(buttons)
        self.setMinimumWidth(520)

    def _general_group(self) -> QGroupBox:
        group = QGroupBox(_("General"))
        form = QFormLayout(group)
        note = QLabel(_("A new language applies the next time you start the client."))
        note.setObjectName("hint")
        note.setStyleSheet("QLabel#hint { color: #6b7280; }")
        note.setWordWrap(True)
        form.addRow(_("Language:"), self.language_combo)
        form.addRow("", note)
        form.addRow(_("Rows per page in lists:"), self.page_size_spin)
        return group

    def _servers_group(self) -> QGroupBox:
        group = QGroupBox(_("Trusted servers"))
        explanation = QLabel(
            _(
                "The client only connects to these servers with the certificate authority you "
                "trusted. Forget one if IT has reinstalled it with a new certificate authority."
            )
        )
        explanation.setWordWrap(True)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.forget_button)
        box = QVBoxLayout(group)
        box.addWidget(explanation)
        box.addWidget(self.servers_list)
        box.addLayout(row)
        return group

    def _fill_servers(self) -> None:
        self.servers_list.clear()
        for url, pem in sorted(self.settings.trusted_cas.items()):
            if url in self._forgotten:
                continue
            short = fingerprint(pem).replace(":", "")[:16]
            text = f"{host_of(url)}    SHA-256 {short}…"
            if url == self._current_server:
                text += "    " + _("(connected)")
            item = QListWidgetItem(text)
            item.setData(ROLE_URL, url)
            item.setToolTip(fingerprint(pem))
            self.servers_list.addItem(item)
        self._selection_changed()

    def _selection_changed(self) -> None:
        self.forget_button.setEnabled(bool(self.servers_list.selectedItems()))

    def _forget_selected(self) -> None:
        for item in self.servers_list.selectedItems():
            self._forgotten.add(str(item.data(ROLE_URL)))
        self._fill_servers()

    def accept(self) -> None:
        self.settings.language = str(self.language_combo.currentData())
        self.settings.page_size = self.page_size_spin.value()
        for url in self._forgotten:
            self.settings.forget(url)
        super().accept()
