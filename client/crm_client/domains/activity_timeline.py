"""``ActivityTimelineWidget``: a customer's follow-ups as a timeline, newest first.

Each entry: a round badge per type (call, visit, meeting, email, technical exchange), when
and by whom, the subject, the notes, the contact and the next follow-up date; double-click
(or the context menu) edits it. Pages of
follow-ups load on demand ("Load more"), like every list, never all at once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QMouseEvent, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from crm_client.api.client import PageResult
from crm_client.core.i18n import N_, _
from crm_client.domains.follow_up_forms import edit_follow_up_form
from crm_client.models.formatting import format_date, format_datetime
from crm_client.views.entity_form import EntityFormDialog
from crm_common.entities import entity
from crm_common.permissions import Action, DataScope
from crm_common.schemas.activity import ActivityRead

if TYPE_CHECKING:
    from crm_client.core.context import AppContext

PAGE_SIZE = 30
BADGE = 28
GUTTER = 48
LINE_COLOUR = "#e5e7eb"
MUTED = "#6b7280"
TYPE_COLOURS = {
    "call": "#1677ff",
    "visit": "#389e0d",
    "meeting": "#722ed1",
    "email": "#d46b08",
    "technical": "#08979c",
}

SCOPE_NOTES = {
    DataScope.OWN: N_("Your role may see only its own follow-ups; those of colleagues with "
                      "this customer are not listed here."),
    DataScope.DEPARTMENT: N_("Your role may see only the follow-ups of your department; "
                             "those of other colleagues are not listed here."),
    DataScope.SUBTREE: N_("Your role may see only the follow-ups of your department and the "
                          "departments below it; those of other colleagues are not listed "
                          "here."),
}


class ActivityCard(QWidget):
    """One follow-up; paints its type badge and the timeline's line in the left gutter.
    Double-click or the context menu's "Edit" opens it (``sig_edit``)."""

    sig_edit = Signal(object)  # the ActivityRead

    def __init__(self, activity: ActivityRead, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.activity = activity
        self.edit_action = QAction(_("Edit follow-up…"), self)
        self.edit_action.triggered.connect(lambda: self.sig_edit.emit(self.activity))
        self.addAction(self.edit_action)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.ActionsContextMenu)
        self.setToolTip(_("Double-click to edit"))
        type_label = _(entity("activity").field("type").choice_label(activity.type))
        self._glyph = type_label[:1].upper()
        self._colour = QColor(TYPE_COLOURS.get(activity.type or "", MUTED))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(GUTTER, 2, 8, 14)
        layout.setSpacing(3)
        meta = " · ".join(p for p in (format_datetime(activity.occurred_at),
                                      activity.owner_name, type_label) if p)
        layout.addWidget(_label(meta, self, MUTED))
        subject = _label(activity.subject or "", self)
        font = QFont(subject.font())
        font.setBold(True)
        subject.setFont(font)
        layout.addWidget(subject)
        if activity.notes:
            layout.addWidget(_label(activity.notes, self))
        extras = []
        if activity.contact_name:
            extras.append(_("Contact: {name}").format(name=activity.contact_name))
        if activity.next_follow_up_on:
            extras.append(_("Next follow-up: {date}").format(
                date=format_date(activity.next_follow_up_on)))
        if extras:
            layout.addWidget(_label("    ".join(extras), self, MUTED))

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        self.edit_action.trigger()
        event.accept()

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        centre = GUTTER / 2
        painter.setPen(QPen(QColor(LINE_COLOUR), 2))
        painter.drawLine(int(centre), BADGE, int(centre), self.height())
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(self._colour)
        badge = QRectF(centre - BADGE / 2, 0, BADGE, BADGE)
        painter.drawEllipse(badge)
        painter.setPen(QColor("white"))
        painter.drawText(badge, int(Qt.AlignmentFlag.AlignCenter), self._glyph)
        painter.end()


def _label(text: str, parent: QWidget, colour: str = "") -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if colour:
        label.setStyleSheet(f"color: {colour};")
    return label


class ActivityTimelineWidget(QScrollArea):
    """The follow-ups of one customer; refreshes when any follow-up changes."""

    def __init__(self, ctx: AppContext, customer_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._customer_id = customer_id
        self._next: str | None = None
        self._generation = 0
        self.cards: list[ActivityCard] = []
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        content = QWidget(self)
        content.setObjectName("timeline")
        content.setStyleSheet("QWidget#timeline { background: palette(base); }")
        self._cards = QVBoxLayout(content)
        self._cards.setContentsMargins(12, 14, 12, 12)
        self._cards.setSpacing(0)
        self.empty_label = _label(_("No follow-ups yet."), content, MUTED)
        self.empty_label.hide()
        # Why the header may say "last follow-up: today" above an empty timeline.
        note = SCOPE_NOTES.get(ctx.permissions.scope("activity", Action.READ))
        self.scope_note = _label(_(note) if note else "", content, MUTED)
        self.scope_note.setVisible(bool(self.scope_note.text()))
        self.more_button = QPushButton(_("Load more"), content)
        self.more_button.clicked.connect(lambda: self._request(self._next))
        self.more_button.hide()
        self._cards.addWidget(self.empty_label)
        self._cards.addWidget(self.scope_note)
        self._cards.addWidget(self.more_button, 0, Qt.AlignmentFlag.AlignHCenter)
        self._cards.addStretch(1)
        self.setWidget(content)
        ctx.changes.sig_entity_changed.connect(self._on_entity_changed)
        self.reload()

    def reload(self) -> None:
        self._generation += 1
        for card in self.cards:
            self._cards.removeWidget(card)
            card.deleteLater()
        self.cards.clear()
        self._request(None)

    def _request(self, after: str | None) -> None:
        params: dict[str, object] = {"customer_id": self._customer_id, "sort": "-occurred_at",
                                     "limit": PAGE_SIZE}
        if after:
            params["after"] = after
        generation = self._generation
        self.more_button.setEnabled(False)
        (
            self._ctx.tasks.query(self, lambda api: api.list(entity("activity"), params))
            .success(lambda page: self._show_page(generation, page))
            .finished(lambda: self.more_button.setEnabled(True))
            .run()
        )

    def _show_page(self, generation: int, page: PageResult) -> None:
        if generation != self._generation:
            return
        for activity in page.items:
            assert isinstance(activity, ActivityRead)
            card = ActivityCard(activity, self.widget())
            card.sig_edit.connect(self.edit)
            self._cards.insertWidget(len(self.cards), card)
            self.cards.append(card)
        self._next = page.next
        self.more_button.setVisible(page.next is not None)
        self.empty_label.setVisible(not self.cards)

    def edit(self, activity: ActivityRead) -> EntityFormDialog:
        """The follow-up in the compact dialog (read-only where the role may not change it)."""
        return edit_follow_up_form(self._ctx, activity.id, self)

    def _on_entity_changed(self, key: str, _ids: list[int]) -> None:
        if key == "activity":
            self.reload()
