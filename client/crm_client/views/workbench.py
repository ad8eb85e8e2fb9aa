"""The workbench (工作台): the home screen after signing in.

A greeting, the signed-in user's latest follow-ups (the generic list, filtered by owner,
newest first) and their open follow-ups (待跟进): per customer the one next date its latest
follow-up set, soonest first, overdue ones in red (``GET /follow-ups/open``). Each open one
can be completed — log the follow-up that fulfils it, with a new next date or none — or
rescheduled to another date, in the compact follow-up dialogs. It refreshes when follow-ups
change.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from PySide6.QtCore import QDate, QLocale, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSizePolicy,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from crm_client.api.client import PageResult
from crm_client.core.context import AppContext
from crm_client.core.i18n import _
from crm_client.core.icons import icon
from crm_client.domains.follow_up_forms import new_follow_up_form, reschedule_form
from crm_client.models.formatting import format_date, format_datetime
from crm_common.entities import entity
from crm_common.permissions import Action
from crm_common.schemas.activity import ActivityRead

ROWS = 8
ACTIONS_WIDTH = 110  # at least; wider when the buttons' texts need it
ROW_HEIGHT = 28
OVERDUE = QColor("#cf1322")
ACTIVITY = entity("activity")
ROLE_ID = Qt.ItemDataRole.UserRole


def greeting(now: datetime) -> str:
    if now.hour < 12:
        return _("Good morning, {name}")
    if now.hour < 18:
        return _("Good afternoon, {name}")
    return _("Good evening, {name}")


class WorkbenchCardWidget(QFrame):
    """A titled white card with a short list and a "View all" link."""

    sig_view_all = Signal()

    def __init__(
        self, title: str, columns: list[tuple[str, int]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("workbenchCard")
        heading = QLabel(title)
        heading.setObjectName("cardTitle")
        view_all = QPushButton(_("View all"))
        view_all.setFlat(True)
        view_all.setCursor(Qt.CursorShape.PointingHandCursor)
        view_all.setObjectName("linkButton")
        view_all.clicked.connect(self.sig_view_all)
        self.tree = QTreeWidget()
        self.tree.setObjectName("workbenchList")
        self.tree.setColumnCount(len(columns))
        self.tree.setHeaderLabels([label for label, _width in columns])
        for column, (_label, width) in enumerate(columns):
            self.tree.setColumnWidth(column, width)
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.tree.setFrameShape(QFrame.Shape.NoFrame)
        self.tree.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.tree.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.tree.header().setStretchLastSection(False)
        for column, (_label, width) in enumerate(columns):
            if not width:  # the column that takes the slack
                self.tree.header().setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.tree.setFixedHeight(self._list_height())
        self.row_items: list[QTreeWidgetItem] = []
        self.empty = QLabel()
        self.empty.setObjectName("emptyHint")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.hide()
        top = QHBoxLayout()
        top.addWidget(heading)
        top.addStretch(1)
        top.addWidget(view_all)
        box = QVBoxLayout(self)
        box.setContentsMargins(16, 12, 16, 12)
        box.addLayout(top)
        box.addWidget(self.tree)
        box.addWidget(self.empty)

    def _list_height(self) -> int:
        """Room for exactly ``ROWS`` rows: the card never scrolls and never gapes."""
        return self.tree.header().sizeHint().height() + ROW_HEIGHT * ROWS + 4

    def set_rows(self, rows: list[tuple[list[str], int | None, bool]], empty_text: str) -> None:
        """``rows``: (cells, customer id, overdue) each; an overdue date shows in red. A row
        without a customer the role may see opens nothing."""
        self.tree.clear()
        self.row_items = []
        for cells, customer_id, overdue in rows:
            item = QTreeWidgetItem(cells)
            item.setData(0, ROLE_ID, customer_id)
            item.setToolTip(1, cells[1])
            if overdue:
                item.setForeground(0, QBrush(OVERDUE))
                item.setToolTip(0, _("Overdue"))
            self.tree.addTopLevelItem(item)
            self.row_items.append(item)
        self.empty.setText(empty_text)
        self.tree.setVisible(bool(rows))
        self.empty.setVisible(not rows)
        self.empty.setFixedHeight(self.tree.height())


class WorkbenchView(QWidget):
    """``sig_open_record(entity, id)`` opens a record; ``sig_navigate(key)`` shows a list."""

    sig_open_record = Signal(str, int)
    sig_navigate = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("workbench")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.recent = WorkbenchCardWidget(
            _("My recent follow-ups"), [(_("Time"), 130), (_("Customer"), 0), (_("Subject"), 0)]
        )
        self.due = WorkbenchCardWidget(
            _("Follow-ups due"),
            [(_("Due"), 100), (_("Customer"), 0), ("", ACTIONS_WIDTH)],
        )
        self.open_follow_ups: list[ActivityRead] = []
        for card in (self.recent, self.due):
            card.tree.itemActivated.connect(self._open_item)
            card.sig_view_all.connect(lambda: self.sig_navigate.emit("activity"))
        self._layout()
        self.setStyleSheet(_STYLE)
        ctx.changes.sig_entity_changed.connect(self._changed)
        self.refresh()

    def _layout(self) -> None:
        user = self.ctx.me.user
        title = QLabel(greeting(datetime.now()).format(name=user.name))
        title.setObjectName("greeting")
        today = QLocale().toString(QDate.currentDate(), QLocale.FormatType.LongFormat)
        details = [today, user.department_name or ""]
        subtitle = QLabel("  ·  ".join(part for part in details if part))
        subtitle.setObjectName("subtitle")
        refresh = QPushButton(icon("refresh"), _("Refresh"))
        refresh.setToolTip(_("Load the latest follow-ups (F5)"))
        refresh.setShortcut("F5")
        refresh.clicked.connect(self.refresh)
        header = QGridLayout()
        header.addWidget(title, 0, 0)
        header.addWidget(subtitle, 1, 0)
        header.addWidget(refresh, 0, 1, 2, 1, Qt.AlignmentFlag.AlignRight)
        cards = QHBoxLayout()
        cards.setSpacing(16)
        cards.addWidget(self.recent, 1)
        cards.addWidget(self.due, 1)
        box = QVBoxLayout(self)
        box.setContentsMargins(24, 20, 24, 20)
        box.setSpacing(16)
        box.addLayout(header)
        box.addLayout(cards)
        box.addStretch(1)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)

    def refresh(self) -> None:
        owner = self.ctx.me.user.id
        recent = {"owner_id": owner, "sort": "-occurred_at", "limit": ROWS}
        (
            self.ctx.tasks.query(self, lambda api: api.list(ACTIVITY, recent))
            .success(self._show_recent)
            .with_progress(_("Loading the workbench…"))
            .run()
        )
        self.ctx.tasks.query(self, lambda api: api.open_follow_ups(ROWS)).success(
            self._show_due
        ).run()

    def _show_recent(self, page: PageResult) -> None:
        rows = [
            (
                [format_datetime(a.occurred_at), a.customer_name or "", a.subject or ""],
                a.customer_id,
                False,
            )
            for a in _activities(page)
        ]
        self.recent.set_rows(rows, _("No follow-ups yet. Record one from a customer's page."))

    def _show_due(self, follow_ups: list[ActivityRead]) -> None:
        today = date.today()
        self.open_follow_ups = follow_ups
        rows = [
            (
                [format_date(a.next_follow_up_on), a.customer_name or "", ""],
                a.customer_id,
                a.next_follow_up_on is not None and a.next_follow_up_on < today,
            )
            for a in follow_ups
        ]
        self.due.set_rows(rows, _("No open follow-ups. Set a next follow-up date when you "
                                  "log one, and it shows here."))
        widths = [ACTIONS_WIDTH]
        for item, follow_up in zip(self.due.row_items, follow_ups, strict=True):
            last = _("Last follow-up: {subject}").format(subject=follow_up.subject or "")
            item.setToolTip(1, f"{follow_up.customer_name or ''}\n{last}")
            actions = self._due_actions(follow_up)
            widths.append(actions.sizeHint().width())
            self.due.tree.setItemWidget(item, 2, actions)
        self.due.tree.setColumnWidth(2, max(widths))  # "Reschedule…" is longer than "改期…"

    def _due_actions(self, follow_up: ActivityRead) -> QWidget:
        """"Done…" logs the follow-up that fulfils this one; "Reschedule…" moves its date."""
        box = QWidget()
        row = QHBoxLayout(box)
        row.setContentsMargins(0, 0, 4, 0)
        row.setSpacing(2)
        actions = (
            (_("Done…"), _("Log the follow-up that fulfils this one"),
             self.ctx.can("activity", Action.CREATE), lambda: self.complete(follow_up)),
            (_("Reschedule…"), _("Move the next follow-up to another date"),
             self.ctx.can_record("activity", Action.UPDATE, follow_up),
             lambda: self.reschedule(follow_up)),
        )
        for text, tip, allowed, slot in actions:
            button = QToolButton(box)
            button.setObjectName("rowLink")
            button.setText(text)
            button.setToolTip(tip)
            button.setAutoRaise(True)
            button.setCursor(Qt.CursorShape.PointingHandCursor)
            button.clicked.connect(slot)
            button.setVisible(allowed)
            row.addWidget(button)
        row.addStretch(1)
        return box

    def complete(self, follow_up: ActivityRead) -> QDialog:
        """The add-follow-up dialog for the customer; its new next date (or none) replaces
        the open one."""
        return new_follow_up_form(self.ctx, follow_up.customer_id or 0,
                                  follow_up.customer_name or "", self)

    def reschedule(self, follow_up: ActivityRead) -> QDialog:
        return reschedule_form(self.ctx, follow_up.id, self)

    def _open_item(self, item: QTreeWidgetItem) -> None:
        customer_id = item.data(0, ROLE_ID)
        if customer_id is not None:
            self.sig_open_record.emit("customer", int(customer_id))

    def _changed(self, entity_key: str, _ids: list[Any]) -> None:
        if entity_key in ("activity", "customer"):
            self.refresh()


def _activities(page: PageResult) -> list[ActivityRead]:
    return [item for item in page.items if isinstance(item, ActivityRead)]


_STYLE = """
QWidget#workbench { background: #f5f7fa; }
QLabel#greeting { font-size: 15pt; font-weight: 600; color: #1f2937; }
QLabel#subtitle { color: #6b7280; }
QFrame#workbenchCard { background: white; border: 1px solid #e5e7eb; border-radius: 6px; }
QLabel#cardTitle { font-weight: 600; color: #1f2937; }
QLabel#emptyHint { color: #9ca3af; padding: 24px; }
QTreeWidget#workbenchList::item { height: 28px; }
QPushButton#linkButton { color: #1677ff; border: none; padding: 2px 4px; }
QPushButton#linkButton:hover { text-decoration: underline; }
QToolButton#rowLink { color: #1677ff; border: none; padding: 0 4px; }
QToolButton#rowLink:hover { text-decoration: underline; }
"""
