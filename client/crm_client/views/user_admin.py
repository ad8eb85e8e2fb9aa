"""User administration on top of the generic user list: reset a password, disable or enable
an account, see and end a user's sign-in sessions; the form's Reset password button.
Administrators only; everyone else sees the plain (read-only) user list. Registered as the
user entity's page and form extension (``views.screens``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from crm_client.api.errors import ServerUnreachable
from crm_client.core.failures import describe_failure
from crm_client.core.i18n import N_, _
from crm_client.core.icons import icon
from crm_client.models.formatting import format_datetime
from crm_client.views.entity_list import EntityListView
from crm_client.views.form_extension import FormExtension
from crm_client.views.password_dialog import MUTED, RULES_WIDTH, PasswordDialog, password_edit
from crm_client.views.screens import register_form, register_list
from crm_client.widgets.banner import Banner, BannerLevel
from crm_client.widgets.field_error import FieldErrorLabel
from crm_common.entities import FieldSpec, entity
from crm_common.errors import ApiError
from crm_common.schemas.security import SessionRead
from crm_common.schemas.user import UserRead

if TYPE_CHECKING:
    from crm_client.core.context import AppContext

USER = entity("user")
INITIAL_PASSWORD = FieldSpec("password", N_("Initial password"), required=True)


class ResetPasswordDialog(PasswordDialog):
    """An administrator sets a new password for a user, who must change it at the next
    sign-in; the user's open sessions end. ``sig_done`` after the server agreed."""

    sig_done = Signal()

    def __init__(self, ctx: AppContext, user_id: int, user_name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(ctx, _("Reset password"), parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.user_id = user_id
        intro = QLabel(_("Set a new password for {user}. They must change it when they next "
                         "sign in, and their open sessions end now.").format(
                             user=user_name or f"#{user_id}"), self)
        intro.setWordWrap(True)
        intro.setFixedWidth(RULES_WIDTH)
        self.password = password_edit(self)
        self.confirm = password_edit(self)
        self.password_error = FieldErrorLabel(self)
        self.confirm_error = FieldErrorLabel(self)
        self.password.textEdited.connect(lambda _t: self.password_error.set_error(None))
        self.confirm.textEdited.connect(lambda _t: self.confirm_error.set_error(None))
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        form.setVerticalSpacing(4)
        form.addRow(_("New password:"), self.password)
        form.addRow("", self.password_error)
        form.addRow(_("Confirm new password:"), self.confirm)
        form.addRow("", self.confirm_error)
        self.buttons = QDialogButtonBox(self)
        self.ok_button = self.buttons.addButton(_("Reset password"),
                                                QDialogButtonBox.ButtonRole.AcceptRole)
        self.ok_button.setDefault(True)
        self.ok_button.clicked.connect(self.submit)
        cancel = self.buttons.addButton(_("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        cancel.clicked.connect(self.reject)
        self._lay_out(intro, form, self.buttons, 460)
        self._load_policy()

    def validate(self) -> bool:
        problem, differs = self._new_password_problems(self.password.text(),
                                                       self.confirm.text())
        self.password_error.set_error(problem)
        self.confirm_error.set_error(differs)
        if problem or differs:
            (self.password if problem else self.confirm).setFocus()
        return not problem and not differs

    def submit(self) -> None:
        if not self.ok_button.isEnabled() or not self.validate():
            return
        user_id, password = self.user_id, self.password.text()
        self.ok_button.setEnabled(False)
        (
            self._ctx.tasks.mutation(self, lambda api: api.reset_password(user_id, password),
                                     USER.key, lambda _result: [user_id])
            .success(lambda _result: self._done())
            .failure(self._failed)
            .finished(lambda: self.ok_button.setEnabled(True))
            .with_progress(_("Saving…"))
            .run()
        )

    def _done(self) -> None:
        self.sig_done.emit()
        self.accept()

    def _failed(self, error: BaseException) -> bool:
        if isinstance(error, ServerUnreachable):
            self.banner.show_message(_("Cannot reach the server."), None, BannerLevel.ERROR)
            return True
        if isinstance(error, ApiError) and error.fields and "password" in error.fields:
            self.password_error.set_error(error.fields["password"])
            return True
        self.banner.show_message(describe_failure(error, USER.key).message, None,
                                 BannerLevel.ERROR)
        return True


class SessionsDialog(QDialog):
    """A user's live sign-in sessions, with Revoke to end one now."""

    COLUMNS = ("created_at", "last_seen_at", "expires_at", "client_address", "user_agent")

    def __init__(self, ctx: AppContext, user_id: int, user_name: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._ctx = ctx
        self.user_id = user_id
        self.sessions: list[SessionRead] = []
        self.setWindowTitle(_("Sessions of {user}").format(user=user_name or f"#{user_id}"))
        self.banner = Banner(self)
        self.table = QTableWidget(0, len(self.COLUMNS), self)
        self.table.setHorizontalHeaderLabels([
            _("Signed in"), _("Last active"), _("Expires"), _("Address"), _("Program")])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        for column, width in enumerate((130, 130, 130, 110)):
            header.resizeSection(column, width)
        header.setSectionResizeMode(len(self.COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.empty_label = QLabel(_("This user is not signed in anywhere."), self)
        self.empty_label.setStyleSheet(f"color: {MUTED};")
        self.empty_label.hide()
        self.revoke_button = QPushButton(icon("sign_out"), _("Revoke"), self)
        self.revoke_button.setToolTip(_("End the selected session now: that computer must "
                                        "sign in again"))
        self.revoke_button.clicked.connect(self.revoke_current)
        refresh = QPushButton(icon("refresh"), _("Refresh"), self)
        refresh.clicked.connect(self.reload)
        close = QPushButton(_("Close"), self)
        close.setDefault(True)
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.revoke_button)
        buttons.addWidget(refresh)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.banner)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.empty_label)
        layout.addLayout(buttons)
        self.resize(760, 320)
        self.table.itemSelectionChanged.connect(self._update_buttons)
        self._update_buttons()
        self.reload()

    def reload(self) -> None:
        user_id = self.user_id
        (
            self._ctx.tasks.query(self, lambda api: api.sessions(user_id))
            .success(self._show)
            .with_progress(_("Loading…"))
            .run()
        )

    def _show(self, sessions: list[SessionRead]) -> None:
        self.sessions = sessions
        self.table.setRowCount(len(sessions))
        for row, session in enumerate(sessions):
            texts = (format_datetime(session.created_at), format_datetime(session.last_seen_at),
                     format_datetime(session.expires_at), session.client_address or "",
                     session.user_agent or "")
            for column, text in enumerate(texts):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if session.current:
                    item.setToolTip(_("This session (the one you are using)"))
                self.table.setItem(row, column, item)
        self.empty_label.setVisible(not sessions)
        self._update_buttons()

    def current_session(self) -> SessionRead | None:
        row = self.table.currentRow()
        selected = bool(self.table.selectedItems())
        return self.sessions[row] if selected and 0 <= row < len(self.sessions) else None

    def _update_buttons(self) -> None:
        self.revoke_button.setEnabled(self.current_session() is not None)

    def revoke_current(self) -> None:
        session = self.current_session()
        if session is not None:
            self.revoke(session.id)

    def revoke(self, session_id: int) -> None:
        (
            self._ctx.tasks.mutation(self, lambda api: api.revoke_session(session_id),
                                     USER.key, lambda _result: [self.user_id])
            .success(lambda _result: self.reload())
            .with_progress(_("Saving…"))
            .run()
        )


class UserListView(EntityListView):
    """The user list; for administrators with Reset password, Disable/Enable and Sessions."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, USER, parent)
        self.admin_actions: list[QAction] = []
        self.dialog: QDialog | None = None
        if ctx.administers:
            self._add_admin_actions()

    def _add_admin_actions(self) -> None:
        self.reset_action = self._action(_("Reset password…"), "key", [],
                                         self._reset_current)
        self.reset_action.setToolTip(
            _("Set a new password; the user must change it at the next sign-in"))
        self.toggle_action = self._action(_("Disable"), "lock", [], self._toggle_current)
        self.sessions_action = self._action(_("Sessions…"), "user", [], self._sessions_current)
        self.sessions_action.setToolTip(_("Where the user is signed in; end a session"))
        self.admin_actions = [self.reset_action, self.toggle_action, self.sessions_action]
        self.toolbar.addSeparator()
        for action in self.admin_actions:
            self.toolbar.addAction(action)
        self._update_actions()

    def current_user(self) -> UserRead | None:
        record = self._current_record()
        return record if isinstance(record, UserRead) else None

    def _update_actions(self) -> None:
        super()._update_actions()
        if not getattr(self, "admin_actions", None):
            return
        user = self.current_user()
        for action in self.admin_actions:
            action.setEnabled(user is not None and not self._recycle_bin)
        active = user is None or user.is_active is not False
        self.toggle_action.setText(_("Disable") if active else _("Enable"))
        self.toggle_action.setToolTip(
            _("Disable the account: the user cannot sign in and their sessions end")
            if active else _("Enable the account again"))
        self.toggle_action.setIcon(icon("lock" if active else "restore"))

    def _menu_actions(self) -> list[QAction]:
        return [*super()._menu_actions(), *self.admin_actions]

    def _reset_current(self) -> None:
        self._open_for_current(ResetPasswordDialog)

    def _sessions_current(self) -> None:
        self._open_for_current(SessionsDialog)

    def _open_for_current(self, dialog_type: type[ResetPasswordDialog | SessionsDialog]
                          ) -> None:
        user = self.current_user()
        if user is None:
            return
        dialog = dialog_type(self._ctx, user.id, user.name or "", self)
        self.dialog = dialog
        dialog.open()

    def _toggle_current(self) -> None:
        user = self.current_user()
        if user is None:
            return
        if user.is_active is not False:
            answer = QMessageBox.question(
                self, _("Disable"),
                _("Disable the account of {user}? They cannot sign in until it is enabled "
                  "again, and their open sessions end now.").format(user=user.name))
            if answer != QMessageBox.StandardButton.Yes:
                return
        self.set_active(user, user.is_active is False)

    def set_active(self, user: UserRead, active: bool) -> None:
        """Disable or enable ``user`` (a PATCH of ``is_active`` with the record's version)."""
        record_id, version = user.id, user.version
        (
            self._ctx.tasks.mutation(
                self, lambda api: api.update(USER, record_id, version, {"is_active": active}),
                USER.key, lambda _result: [record_id])
            .with_progress(_("Saving…"))
            .run()
        )


class UserFormExtension(FormExtension):
    """A new user's first password (not a field of the record: the create schema takes it);
    administrators reset a user's password from the user's form."""

    def extra_fields(self) -> list[FieldSpec]:
        return [INITIAL_PASSWORD] if self.form.record_id is None else []

    def fields_ready(self) -> None:
        editor = self.form.editors.get(INITIAL_PASSWORD.name)
        if editor is not None and isinstance(editor.widget, QLineEdit):
            editor.widget.setEchoMode(QLineEdit.EchoMode.Password)
            editor.widget.setToolTip(_("The user must change it at the first sign-in"))

    def buttons(self) -> list[QPushButton]:
        form = self.form
        if form.record_id is None or not form.ctx.administers:
            return []
        button = QPushButton(_("Reset password…"), form)
        button.setToolTip(_("Set a new password; the user must change it at the next sign-in"))
        button.clicked.connect(self._reset)
        return [button]

    def _reset(self) -> None:
        form = self.form
        assert form.record_id is not None
        name = str(getattr(form.record, "name", "") or "")
        ResetPasswordDialog(form.ctx, form.record_id, name, form).open()


register_list(USER.key, lambda ctx, _spec: UserListView(ctx))
register_form(USER.key, UserFormExtension)
