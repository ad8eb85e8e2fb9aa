"""``SessionsPage``: who is signed in now, from where and with what, and a way to end a
session (a lost laptop, someone who left the company) without waiting for it to expire.

The list is short (live sessions only, at most a few hundred), so it is fetched whole and
shown in a plain table; "filter by user" asks the server for that user's sessions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QTableWidget,
    QTableWidgetItem,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from crm_client.admin.common import ConsolePage, titled_table
from crm_client.core.i18n import N_, _
from crm_client.models.formatting import format_datetime
from crm_client.widgets.actions import tool_action
from crm_client.widgets.lookup_combo import LookupCombo
from crm_common.entities import entity
from crm_common.schemas.security import SessionRead

if TYPE_CHECKING:
    from crm_client.core.context import AppContext

SESSION = "session"  # the change-bus key of sessions (not a registered entity)
COLUMNS = (N_("User"), N_("Address"), N_("Client"), N_("Signed in"), N_("Last seen"),
           N_("Expires"))
COLUMN_WIDTHS = (220, 120, 220, 130, 130, 130)
USER_FILTER_WIDTH = 160


class SessionsPage(ConsolePage):
    """``sig_loaded`` each time the list arrived."""

    sig_loaded = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.sessions: list[SessionRead] = []
        self.user_filter = LookupCombo(ctx, entity("user"), self, placeholder=_("All users"))
        self.user_filter.setFixedWidth(USER_FILTER_WIDTH)
        self.user_filter.sig_value_changed.connect(lambda _value: self.load())
        self.table = QTableWidget(0, len(COLUMNS), self)
        self.count_label = QLabel(self)
        keys = QKeySequence.StandardKey
        self.revoke_action = tool_action(self, _("Revoke…"), "sign_out", self.revoke_current,
                                         [keys.Delete], self.table)
        self.refresh_action = tool_action(self, _("Refresh"), "refresh", self.load,
                                          [keys.Refresh])
        self._build()

    def _build(self) -> None:
        titled_table(self.table, COLUMNS, COLUMN_WIDTHS, 2)
        self.table.itemSelectionChanged.connect(self._update_actions)
        toolbar = QToolBar(self)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addAction(self.revoke_action)
        toolbar.addAction(self.refresh_action)
        label = QLabel(_("User"), self)
        label.setBuddy(self.user_filter)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(toolbar)
        top.addStretch(1)
        top.addWidget(label)
        top.addWidget(self.user_filter)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count_label)
        self._update_actions()

    # -- public ------------------------------------------------------------------------------

    def load(self) -> None:
        user_id = self.user_filter.value()
        (
            self._ctx.tasks.query(self, lambda api: api.sessions(user_id))
            .success(self._show)
            .with_progress(_("Loading sessions…"))
            .run()
        )

    def current_session(self) -> SessionRead | None:
        rows = self.table.selectionModel().selectedRows()
        return self.sessions[rows[0].row()] if rows else None

    def select_session(self, session_id: int) -> None:
        for row, session in enumerate(self.sessions):
            if session.id == session_id:
                self.table.selectRow(row)

    def revoke_current(self) -> None:
        session = self.current_session()
        if session is None or session.current:
            return
        question = _("End the session of {user} from {address}? They will have to sign in "
                     "again.").format(user=session.user_name or "", address=_address(session))
        answer = QMessageBox.question(self, _("Revoke session"), question)
        if answer != QMessageBox.StandardButton.Yes:
            return
        session_id = session.id
        (
            self._ctx.tasks.mutation(
                self, lambda api: api.revoke_session(session_id), SESSION,
                lambda _result: [session_id])
            .success(lambda _result: self.load())
            .with_progress(_("Revoking…"))
            .run()
        )

    # -- showing -----------------------------------------------------------------------------

    def _show(self, sessions: list[SessionRead]) -> None:
        selected = self.current_session()
        self.sessions = sessions
        self.table.setRowCount(len(sessions))
        for row, session in enumerate(sessions):
            for column, text in enumerate(_texts(session)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if session.current:
                    font = item.font()
                    font.setBold(True)
                    item.setFont(font)
                self.table.setItem(row, column, item)
        if selected is not None:
            self.select_session(selected.id)
        self.count_label.setText(_("Live sessions: {count}").format(count=len(sessions)))
        self._update_actions()
        self.sig_loaded.emit()

    def _update_actions(self, *_args: Any) -> None:
        session = self.current_session()
        self.revoke_action.setEnabled(session is not None and not session.current)
        if session is not None and session.current:
            self.revoke_action.setToolTip(_("This is your own session: sign out instead"))
        else:
            self.revoke_action.setToolTip(_("End the selected session (Del)"))


def _address(session: SessionRead) -> str:
    return session.client_address or _("unknown address")


def _texts(session: SessionRead) -> list[str]:
    user = session.user_name or f"#{session.user_id}"
    if session.current:
        user = _("{user} (this session)").format(user=user)
    return [user, session.client_address or "", session.user_agent or "",
            format_datetime(session.created_at), format_datetime(session.last_seen_at),
            format_datetime(session.expires_at)]
