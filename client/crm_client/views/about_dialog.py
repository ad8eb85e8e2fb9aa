"""Help › About: client version, the server, its version and the fingerprint of the
certificate authority this client pinned for it (what IT compares when in doubt)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QVBoxLayout,
    QWidget,
)

import crm_client
from crm_client.api.trust import grouped_fingerprint
from crm_client.core.context import AppContext
from crm_client.core.i18n import _
from crm_client.views.sign_in import monospace_font
from crm_common.schemas.auth import Health
from crm_common.tlsinfo import fingerprint


class AboutDialog(QDialog):
    """The server version arrives off the GUI thread; the dialog shows at once."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("About CRM"))
        title = QLabel(_("CRM"))
        title.setObjectName("aboutTitle")
        title.setStyleSheet("QLabel#aboutTitle { font-size: 14pt; font-weight: 600; }")
        self.server_version = QLabel(_("Checking…"))
        form = QFormLayout()
        form.addRow(_("Client version:"), QLabel(crm_client.__version__))
        form.addRow(_("Server:"), QLabel(ctx.api.base_url))
        form.addRow(_("Server version:"), self.server_version)
        if ctx.api.ca_pem:
            value = QLabel(grouped_fingerprint(fingerprint(ctx.api.ca_pem), per_line=16))
            value.setFont(monospace_font())
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            form.addRow(_("Certificate authority\n(SHA-256):"), value)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addLayout(form)
        layout.addWidget(buttons)
        (
            ctx.tasks.query(self, lambda api: api.health())
            .success(self._health)
            .failure(self._health_failed)
            .run()
        )

    def _health(self, health: Health) -> None:
        self.server_version.setText(health.version)

    def _health_failed(self, _error: BaseException) -> bool:
        self.server_version.setText(_("unknown (the server did not answer)"))
        return True
