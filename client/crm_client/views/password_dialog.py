"""Passwords: the "change my password" dialog, and what it shares with the administrator's
"reset password" dialog: the policy rules both show and check, and their frame
(``PasswordDialog``).

When an administrator has reset the password (or it has expired) the server refuses
everything else until it is changed: the main window then opens this dialog in its forced
form, which has no way out but changing the password or signing out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from crm_client.api.errors import ServerUnreachable
from crm_client.core.failures import describe_failure
from crm_client.core.i18n import _
from crm_client.widgets.banner import Banner, BannerLevel
from crm_client.widgets.field_error import FieldErrorLabel
from crm_common.errors import ApiError, Unauthenticated
from crm_common.schemas.auth import Me
from crm_common.schemas.security import SecurityPolicy, character_classes

if TYPE_CHECKING:
    from crm_client.api.client import ApiClient
    from crm_client.core.context import AppContext

MUTED = "#6b7280"
RULES_WIDTH = 420


def policy_rules(policy: SecurityPolicy | None) -> str:
    """The password rules in words, for the dialogs."""
    if policy is None:
        return _("Loading the password rules…")
    text = _("At least {length} characters, with at least {classes} of these kinds: lower-case "
             "letters, upper-case letters, digits, symbols.")
    return text.format(length=policy.password_min_length, classes=policy.password_classes)


def policy_problem(policy: SecurityPolicy | None, password: str) -> str | None:
    """Why ``password`` falls short of the policy, None when it does not (or the policy is
    not known yet: the server checks again anyway)."""
    if not password:
        return _("Please fill this in")
    if policy is None:
        return None
    if len(password) < policy.password_min_length:
        return _("At least {length} characters, please").format(
            length=policy.password_min_length)
    if character_classes(password) < policy.password_classes:
        return _("Use at least {classes} kinds of characters (lower case, upper case, digits, "
                 "symbols)").format(classes=policy.password_classes)
    return None


def rules_label(parent: QWidget) -> QLabel:
    """The password rules under a password form (a fixed width, so it wraps cleanly)."""
    label = QLabel(policy_rules(None), parent)
    label.setWordWrap(True)
    label.setFixedWidth(RULES_WIDTH)
    label.setStyleSheet(f"color: {MUTED};")
    return label


def password_edit(parent: QWidget) -> QLineEdit:
    edit = QLineEdit(parent)
    edit.setEchoMode(QLineEdit.EchoMode.Password)
    edit.setMinimumWidth(240)
    return edit


def _change_and_reload(api: ApiClient, username: str, current: str, new: str) -> Me:
    """Change the password, then fetch the signed-in user again (with the new password if
    the server ended the session on the way)."""
    api.change_password(current, new)
    try:
        return api.me()
    except Unauthenticated:
        api.login(username, new)
        return api.me()


class PasswordDialog(QDialog):
    """What both password dialogs share: a modal dialog with a banner on top, then the form,
    the password rules (filled in once the policy arrived) and the buttons."""

    def __init__(self, ctx: AppContext, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.policy: SecurityPolicy | None = None
        self.setWindowTitle(title)
        self.setModal(True)
        self.banner = Banner(self)
        self.rules_label = rules_label(self)

    def _lay_out(self, intro: QLabel, form: QFormLayout, buttons: QDialogButtonBox,
                 width: int) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(10)
        layout.setSizeConstraint(QLayout.SizeConstraint.SetMinAndMaxSize)
        layout.addWidget(self.banner)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.rules_label)
        layout.addWidget(buttons)
        self.setMinimumWidth(width)

    def _load_policy(self) -> None:
        (
            self._ctx.tasks.query(self, lambda api: api.security_policy())
            .success(self._on_policy)
            .failure(lambda _error: True)  # the server checks the rules anyway
            .run()
        )

    def _on_policy(self, policy: SecurityPolicy) -> None:
        self.policy = policy
        self.rules_label.setText(policy_rules(policy))

    def _new_password_problems(self, new: str, confirm: str) -> tuple[str | None, str | None]:
        """What is wrong with a new password, and with its confirmation."""
        differs = _("The two new passwords differ") if confirm != new else None
        return policy_problem(self.policy, new), differs


class ChangePasswordDialog(PasswordDialog):
    """``sig_changed(me)`` after the password was changed and ``/me`` fetched again.
    ``sig_sign_out`` when, forced to change it, the person chose to sign out instead."""

    sig_changed = Signal(object)
    sig_sign_out = Signal()

    def __init__(self, ctx: AppContext, forced: bool = False,
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx, _("Change password"), parent)
        self.forced = forced
        self.me: Me | None = None
        self._busy = False
        if forced:  # no way out but changing it or signing out
            self.setWindowFlag(Qt.WindowType.WindowCloseButtonHint, False)
        self.current_edit = password_edit(self)
        self.new_edit = password_edit(self)
        self.confirm_edit = password_edit(self)
        self.errors = {name: FieldErrorLabel(self) for name in ("current", "new", "confirm")}
        for name, edit in self._edits().items():
            edit.textEdited.connect(lambda _text, n=name: self.errors[n].set_error(None))
        self.buttons = QDialogButtonBox(self)
        self.change_button = self.buttons.addButton(_("Change password"),
                                                    QDialogButtonBox.ButtonRole.AcceptRole)
        self.change_button.setDefault(True)
        self.change_button.clicked.connect(self.submit)
        self.leave_button: QPushButton
        if forced:
            self.leave_button = self.buttons.addButton(_("Sign out"),
                                                       QDialogButtonBox.ButtonRole.RejectRole)
            self.leave_button.clicked.connect(self._sign_out)
        else:
            self.leave_button = self.buttons.addButton(_("Cancel"),
                                                       QDialogButtonBox.ButtonRole.RejectRole)
            self.leave_button.clicked.connect(self.reject)
        self.leave_button.setAutoDefault(False)
        self._build()
        self._load_policy()

    def _edits(self) -> dict[str, QLineEdit]:
        return {"current": self.current_edit, "new": self.new_edit,
                "confirm": self.confirm_edit}

    def _build(self) -> None:
        intro = QLabel(self)
        intro.setWordWrap(True)
        if self.forced:
            intro.setText(_("Your password was reset by an administrator or has expired. "
                            "Choose a new password to continue."))
            self.banner.show_message(intro.text(), None, BannerLevel.WARNING)
            intro.hide()
        else:
            intro.setText(_("Choose a new password for {user}.").format(
                user=self._ctx.me.user.name))
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setHorizontalSpacing(12)
        form.setVerticalSpacing(4)
        rows = ((_("Current password:"), "current"), (_("New password:"), "new"),
                (_("Confirm new password:"), "confirm"))
        for text, name in rows:
            form.addRow(text, self._edits()[name])
            form.addRow("", self.errors[name])
        self._lay_out(intro, form, self.buttons, 480)
        self.current_edit.setFocus()

    # -- changing ----------------------------------------------------------------------------

    def validate(self) -> bool:
        """Check what the client can; problems show under their fields."""
        current, new = self.current_edit.text(), self.new_edit.text()
        new_problem, confirm_problem = self._new_password_problems(new, self.confirm_edit.text())
        problems = {
            "current": None if current else _("Please fill this in"),
            "new": new_problem,
            "confirm": confirm_problem,
        }
        if not problems["new"] and new == current:
            problems["new"] = _("Choose a password different from the current one")
        for name, problem in problems.items():
            self.errors[name].set_error(problem)
        first = next((name for name, problem in problems.items() if problem), None)
        if first is not None:
            self._edits()[first].setFocus()
        return first is None

    def submit(self) -> None:
        if self._busy or not self.validate():
            return
        current, new = self.current_edit.text(), self.new_edit.text()
        username = self._ctx.me.user.username or ""
        self._set_busy(True)
        self.banner.clear()
        (
            self._ctx.tasks.query(self, lambda api: _change_and_reload(api, username, current,
                                                                       new))
            .success(self._on_changed)
            .failure(self._on_failed)
            .finished(lambda: self._set_busy(False))
            .with_progress(_("Saving…"))
            .run()
        )

    def _on_changed(self, me: Me) -> None:
        self.me = me
        self.sig_changed.emit(me)  # the main window takes it into the context
        self.accept()

    def _on_failed(self, error: BaseException) -> bool:
        if isinstance(error, ServerUnreachable):
            self.banner.show_message(_("Cannot reach the server."), None, BannerLevel.ERROR)
            return True
        if isinstance(error, Unauthenticated):
            self.errors["current"].set_error(_("The current password is not correct"))
            self.current_edit.selectAll()
            self.current_edit.setFocus()
            return True
        if isinstance(error, ApiError) and error.fields:
            placed = False
            for key, message in error.fields.items():
                name = "current" if "current" in key else "new" if "new" in key else None
                if name is not None:
                    self.errors[name].set_error(message)
                    placed = True
            if placed:
                return True
        self.banner.show_message(describe_failure(error).message, None, BannerLevel.ERROR)
        return True

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.change_button.setEnabled(not busy)
        for edit in self._edits().values():
            edit.setEnabled(not busy)

    # -- leaving -----------------------------------------------------------------------------

    def _sign_out(self) -> None:
        self.sig_sign_out.emit()
        super().reject()

    def reject(self) -> None:
        """Escape: closes the optional dialog; the forced one stays (Sign out leaves it)."""
        if not self.forced:
            super().reject()
