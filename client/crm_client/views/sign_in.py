"""Signing in: server address, user name, password — and trusting a server the first time.

Everything that touches the network runs off the GUI thread; the dialog shows a busy state
meanwhile and explains failures inline (wrong password, locked account, unreachable server,
a certificate authority that changed). On first contact with a server the dialog shows the
fingerprint of its certificate authority and pins it only if the person trusts it — unless IT
pre-set the fingerprint to trust when it rolled the client out (``Deployment``): then a CA with
that fingerprint is pinned without asking, and any other one is refused.

The password is never stored. The server address and user name are remembered.
"""

from __future__ import annotations

from html import escape

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from crm_client.api.client import ApiClient, normalise_base_url
from crm_client.api.errors import CertificateChanged, host_of
from crm_client.api.trust import fetch_server_ca, grouped_fingerprint
from crm_client.core.changes import ChangeBus
from crm_client.core.failures import describe_failure, wait_message
from crm_client.core.i18n import _, current_language
from crm_client.core.icons import ACCENT, icon
from crm_client.core.settings import ClientSettings
from crm_client.core.tasks import TaskRunner
from crm_client.widgets.banner import Banner, BannerLevel
from crm_common.errors import AccountLocked, TooManyRequests, Unauthenticated
from crm_common.schemas.auth import Me
from crm_common.tlsinfo import fingerprint


def monospace_font() -> QFont:
    font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
    font.setStyleHint(QFont.StyleHint.Monospace)
    return font


def _heading(icon_name: str, text: str) -> QHBoxLayout:
    glyph = QLabel()
    glyph.setPixmap(icon(icon_name, ACCENT).pixmap(QSize(32, 32)))
    title = QLabel(text)
    font = title.font()
    font.setPointSizeF(font.pointSizeF() * 1.25)
    font.setBold(True)
    title.setFont(font)
    row = QHBoxLayout()
    row.setSpacing(10)
    row.addWidget(glyph)
    row.addWidget(title, 1)
    return row


class TrustServerDialog(QDialog):
    """Asks whether to trust a server's certificate authority, showing its fingerprint."""

    def __init__(self, host: str, ca_fingerprint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_("Trust this server?"))
        self.setModal(True)
        intro = QLabel(
            _(
                "You are connecting to {host} for the first time. It identifies itself with "
                "its own certificate authority, which this computer does not know yet."
            ).format(host=host)
        )
        intro.setWordWrap(True)
        compare = QLabel(
            _(
                "Compare this fingerprint (SHA-256) with the one your IT department gave you. "
                "Only trust the server if they are identical."
            )
        )
        compare.setWordWrap(True)
        self.fingerprint_label = QLabel(grouped_fingerprint(ca_fingerprint))
        self.fingerprint_label.setObjectName("fingerprint")
        self.fingerprint_label.setFont(monospace_font())
        self.fingerprint_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.fingerprint_label.setStyleSheet(
            "QLabel#fingerprint { background: #f5f7fa; border: 1px solid #d9dee7;"
            " border-radius: 4px; padding: 8px 10px; }"
        )
        self.fingerprint_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.buttons = QDialogButtonBox()
        self.trust_button = self.buttons.addButton(
            _("Trust this server"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        cancel = self.buttons.addButton(_("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        cancel.setDefault(True)  # trusting must be a deliberate click, not a stray Enter
        self.trust_button.setAutoDefault(False)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setSpacing(12)
        layout.addLayout(_heading("lock", _("New server: confirm its identity")))
        for widget in (intro, compare, self.fingerprint_label):
            layout.addWidget(widget)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)


class SignInDialog(QDialog):
    """``sig_signed_in(api, me)`` when signed in; then ``api`` and ``me`` are set and the
    dialog is accepted. ``sig_failed(text)`` whenever a failure is shown. With
    ``reauth_api`` it signs the same connection in again after the session expired (server
    and user fixed)."""

    sig_signed_in = Signal(object, object)
    sig_failed = Signal(str)  # the explanation shown inline (also for unattended runs)

    def __init__(
        self,
        settings: ClientSettings,
        *,
        server: str | None = None,
        username: str | None = None,
        reauth_api: ApiClient | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self.api: ApiClient | None = None
        self.me: Me | None = None
        self.trust_dialog: TrustServerDialog | None = None
        self._reauth_api = reauth_api
        self._runner: TaskRunner | None = None
        self._busy = False
        self.setWindowTitle(_("Sign in"))
        self._build(server or settings.initial_server(), username or settings.last_user)
        if reauth_api is not None:
            self._lock_to(reauth_api, username or settings.last_user)

    # --- layout ------------------------------------------------------------------------

    def _build(self, server: str, username: str) -> None:
        self.server_combo = QComboBox()
        self.server_combo.setEditable(True)
        preset = self.settings.deployment.server
        offered = {server, *self.settings.trusted_cas, *([preset] if preset else [])}
        self.server_combo.addItems(sorted(offered))
        self.server_combo.setCurrentText(server)
        self.server_combo.setToolTip(_("Address of your company's CRM server"))
        self.user_edit = QLineEdit(username)
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.error_banner = Banner(self)
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setFixedHeight(4)
        self.busy_bar.setVisible(False)
        self.buttons = QDialogButtonBox()
        self.sign_in_button = self.buttons.addButton(
            _("Sign in"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.sign_in_button.setDefault(True)
        self.buttons.addButton(_("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        self.buttons.accepted.connect(self.sign_in)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self._header())
        layout.addWidget(self.busy_bar)
        layout.addWidget(self._body())
        self.setMinimumWidth(440)
        (self.password_edit if username else self.user_edit).setFocus()

    def _header(self) -> QWidget:
        header = QFrame()
        header.setObjectName("signInHeader")
        # The banner of an error makes the dialog taller: the body takes that, not the header.
        header.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        header.setStyleSheet(
            "QFrame#signInHeader { background: #1677ff; }"
            " QFrame#signInHeader QLabel { color: white; background: transparent; }"
        )
        title = QLabel(_("CRM"))
        title_font = title.font()
        title_font.setPointSizeF(title_font.pointSizeF() * 1.6)
        title_font.setBold(True)
        title.setFont(title_font)
        subtitle = QLabel(_("Sign in to your company's server"))
        box = QVBoxLayout(header)
        box.setContentsMargins(24, 18, 24, 16)
        box.setSpacing(4)
        box.addWidget(title)
        box.addWidget(subtitle)
        return header

    def _body(self) -> QWidget:
        body = QWidget()
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(10)
        form.addRow(_("Server:"), self.server_combo)
        form.addRow(_("User name:"), self.user_edit)
        form.addRow(_("Password:"), self.password_edit)
        box = QVBoxLayout(body)
        box.setContentsMargins(24, 18, 24, 18)
        box.setSpacing(12)
        box.addLayout(form)
        box.addWidget(self.error_banner)
        box.addWidget(self.buttons)
        return body

    def _lock_to(self, api: ApiClient, username: str) -> None:
        self.setWindowTitle(_("Sign in again"))
        self.server_combo.setCurrentText(api.base_url)
        self.server_combo.setEnabled(False)
        self.user_edit.setText(username)
        self.user_edit.setReadOnly(True)
        self.error_banner.show_message(
            _("Your session has expired. Enter your password to continue where you left off."),
            level=BannerLevel.INFO,
        )
        self.password_edit.setFocus()

    # --- signing in ------------------------------------------------------------------------

    def sign_in(self) -> None:
        """What the Sign in button does: validate, then trust (first contact) and log in."""
        if self._busy:
            return
        url = self._server_url()
        if url is None:
            return
        if not self.user_edit.text().strip() or not self.password_edit.text():
            self._show_error(_("Please enter your user name and password."))
            return
        self.error_banner.clear()
        self._set_busy(True)
        pinned = self.settings.trusted_ca(url)
        if self._reauth_api is None and url.startswith("https://") and pinned is None:
            self._fetch_ca(url)
        else:
            self._log_in(url, pinned)

    def _server_url(self) -> str | None:
        try:
            return normalise_base_url(self.server_combo.currentText())
        except ValueError:
            self._show_error(_("Enter the server address, e.g. https://crm.company.local:8443"))
            self.server_combo.setFocus()
            return None

    def _fetch_ca(self, url: str) -> None:
        api = ApiClient(url, None, language=current_language())
        (
            self._tasks(api)
            .query(self, lambda client: fetch_server_ca(client.base_url))
            .success(lambda pem: self._fetched(api, url, pem))
            .failure(lambda error: self._failed(error, api))
            .run()
        )

    def _fetched(self, api: ApiClient, url: str, pem: str) -> None:
        api.close()  # only carried the task; the trusted client is made after the prompt
        try:
            preset = self.settings.deployment.trusted_fingerprint()
        except ValueError:
            self._set_busy(False)
            self._show_error(
                _(
                    "The certificate fingerprint your IT department set up for this computer "
                    "is not valid ({value}). Please contact IT."
                ).format(value=self.settings.deployment.ca_fingerprint)
            )
            return
        if preset is None:
            self._ask_trust(url, pem)
        elif fingerprint(pem) == preset:
            self._trusted(url, pem)
        else:
            self._set_busy(False)
            self._show_error(
                _(
                    "{host} is not the server your IT department set up: its certificate "
                    "authority has a different fingerprint, so nothing was sent to it. "
                    "Please contact IT."
                ).format(host=host_of(url))
            )

    def _ask_trust(self, url: str, pem: str) -> None:
        self.trust_dialog = TrustServerDialog(host_of(url), fingerprint(pem), self)
        self.trust_dialog.accepted.connect(lambda: self._trusted(url, pem))
        self.trust_dialog.rejected.connect(self._not_trusted)
        self.trust_dialog.open()

    def _trusted(self, url: str, pem: str) -> None:
        self.settings.trust(url, pem)
        self._log_in(url, pem)

    def _not_trusted(self) -> None:
        self._set_busy(False)
        self._show_error(_("You did not trust the server, so nothing was sent to it."))

    def _log_in(self, url: str, ca_pem: str | None) -> None:
        api = self._reauth_api or ApiClient(url, ca_pem, language=current_language())
        username, password = self.user_edit.text().strip(), self.password_edit.text()
        (
            self._tasks(api)
            .query(self, lambda client: _log_in_and_load_me(client, username, password))
            .success(lambda me: self._signed_in(api, me))
            .failure(lambda error: self._failed(error, api))
            .run()
        )

    def _signed_in(self, api: ApiClient, me: Me) -> None:
        self._set_busy(False)
        self.password_edit.clear()
        self.settings.last_server = api.base_url
        self.settings.last_user = me.user.username or ""
        self.api, self.me = api, me
        self.sig_signed_in.emit(api, me)
        self.accept()

    def _failed(self, error: BaseException, api: ApiClient) -> bool:
        self._set_busy(False)
        if api is not self._reauth_api:
            api.close()
        self._show_error(sign_in_error_text(error), sign_in_error_html(error))
        if isinstance(error, Unauthenticated):
            self.password_edit.selectAll()
            self.password_edit.setFocus()
        return True

    def _tasks(self, api: ApiClient) -> TaskRunner:
        if self._runner is not None:
            self._runner.deleteLater()
        self._runner = TaskRunner(api, ChangeBus(self), self)
        return self._runner

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.busy_bar.setVisible(busy)
        for widget in (self.server_combo, self.user_edit, self.password_edit):
            widget.setEnabled(not busy and not (widget is self.server_combo and self._reauth_api))
        self.sign_in_button.setEnabled(not busy)
        self.sign_in_button.setText(_("Signing in…") if busy else _("Sign in"))

    def _fit_height(self) -> None:
        """As tall as the content needs at the current width. (``adjustSize`` would wrap
        the message for the narrower size hint, leaving a blank line under it.)"""
        layout = self.layout()
        height = (layout.totalHeightForWidth(self.width())
                  if layout is not None and layout.hasHeightForWidth()
                  else self.sizeHint().height())
        self.resize(self.width(), max(height, self.minimumSizeHint().height()))

    def _show_error(self, text: str, html: str | None = None) -> None:
        self.error_banner.show_message(html or text, level=BannerLevel.ERROR)
        self._fit_height()
        self.sig_failed.emit(text)


def _log_in_and_load_me(api: ApiClient, username: str, password: str) -> Me:
    api.login(username, password)
    return api.me()


def sign_in_error_text(error: BaseException) -> str:
    """What to say inline for a failed sign-in."""
    if isinstance(error, AccountLocked | TooManyRequests):
        return wait_message(error)
    if isinstance(error, Unauthenticated):
        return error.detail
    text = describe_failure(error)
    if isinstance(error, CertificateChanged):
        return f"{text.message}\n\n{text.details}"
    return text.message


def sign_in_error_html(error: BaseException) -> str | None:
    """Rich text where plain text reads badly: fingerprints in a fixed-width font."""
    if not isinstance(error, CertificateChanged):
        return None
    text = describe_failure(error)
    paragraphs = [escape(text.message)] + [
        f"{escape(head)}<br><tt>{escape(body).replace(chr(10), '<br>')}</tt>"
        for head, body in (part.split("\n", 1) for part in text.details.split("\n\n"))
    ]
    return "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
