"""``CustomerHeaderWidget``: the key facts at the top of the customer 360° view.

Name with level and status badges, then owner, industry, region, phone, credit code, source,
last follow-up, next follow-up date — red when it is overdue, since that is what a sales rep
opening the customer needs to act on first — parent company, street address, tags and notes.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import QFrame, QGridLayout, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from crm_client.core.i18n import _
from crm_client.models.formatting import format_date, format_datetime, format_tags, masked_text
from crm_client.widgets.badge import BadgeLabel
from crm_client.widgets.field_error import ERROR_COLOUR
from crm_common.entities import entity
from crm_common.schemas.customer import CustomerRead

LEVEL_COLOURS = {"key": "#cf1322", "A": "#d46b08", "B": "#1677ff", "C": "#595959"}
STATUS_COLOURS = {
    "potential": "#1677ff",
    "active": "#389e0d",
    "dormant": "#8c8c8c",
    "lost": "#8c8c8c",
}
MUTED = "#6b7280"
FACT_COLUMNS = 3
VALUE_MIN_WIDTH = 150  # three columns fit 1366×768 at 125 % beside the navigation
LABEL_MIN_WIDTH = 80
TITLE_SCALE = 1.5
FACTS = (  # field names of the facts grid, in reading order; "region" joins three fields
    "owner_id", "industry", "region",
    "phone", "uscc", "source",
    "last_activity_at", "next_follow_up_on", "parent_id",
    "address", "tags", "notes",
)
WIDE_FACTS = frozenset({"address", "tags", "notes"})  # each on a row of its own
NOTES_SHOWN = 240  # characters of the notes in the header; all of them in the tooltip


class CustomerHeaderWidget(QFrame):
    """``title_row`` is public so the 360 view can put its buttons on the name's line."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("customerHeader")
        self.setStyleSheet(
            "QFrame#customerHeader { background: palette(base);"
            " border-bottom: 1px solid palette(mid); }"
        )
        self.name_label = QLabel(self)
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * TITLE_SCALE)
        font.setBold(True)
        self.name_label.setFont(font)
        self.name_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.short_name_label = QLabel(self)
        self.short_name_label.setStyleSheet(f"color: {MUTED};")
        self.level_badge = BadgeLabel(self)
        self.status_badge = BadgeLabel(self)
        self.title_row = QHBoxLayout()
        for widget in (self.name_label, self.level_badge, self.status_badge,
                       self.short_name_label):
            self.title_row.addWidget(widget, 0, Qt.AlignmentFlag.AlignVCenter)
        self.title_row.addStretch(1)
        self.facts: dict[str, QLabel] = {}
        self.fact_labels: dict[str, QLabel] = {}
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 12, 16, 12)
        layout.setSpacing(10)
        layout.addLayout(self.title_row)
        layout.addLayout(self._make_facts())

    def _make_facts(self) -> QGridLayout:
        grid = QGridLayout()
        grid.setHorizontalSpacing(12)
        grid.setVerticalSpacing(6)
        spec = entity("customer")
        row, column = 0, 0
        for name in FACTS:
            if name in WIDE_FACTS and column:
                row, column = row + 1, 0
            label_text = _("Region") if name == "region" else _(spec.field(name).label)
            label = QLabel(label_text, self)
            label.setStyleSheet(f"color: {MUTED};")
            value = QLabel(self)
            value.setTextFormat(Qt.TextFormat.PlainText)  # notes are typed text, not HTML
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.facts[name] = value
            self.fact_labels[name] = label
            value.setWordWrap(True)  # a long value wraps instead of widening the window
            wide = name in WIDE_FACTS
            top = Qt.AlignmentFlag.AlignTop if wide else Qt.AlignmentFlag.AlignVCenter
            grid.addWidget(label, row, column * 2, Qt.AlignmentFlag.AlignRight | top)
            if column:
                grid.setColumnMinimumWidth(column * 2, LABEL_MIN_WIDTH)
            grid.addWidget(value, row, column * 2 + 1, 1, FACT_COLUMNS * 2 - 1 if wide else 1)
            column = 0 if wide or column == FACT_COLUMNS - 1 else column + 1
            row += 1 if column == 0 else 0
        for column in range(FACT_COLUMNS):
            grid.setColumnMinimumWidth(column * 2 + 1, VALUE_MIN_WIDTH)
        grid.setColumnStretch(FACT_COLUMNS * 2, 1)  # facts stay together on wide screens
        return grid

    def hide_facts(self, names: set[str]) -> None:
        """Leave out the facts of fields the viewer's role hides."""
        for name in names & self.facts.keys():
            self.facts[name].hide()
            self.fact_labels[name].hide()

    def show_record(self, customer: CustomerRead) -> None:
        spec = entity("customer")
        self.name_label.setText(customer.name or "")
        self.short_name_label.setText(customer.short_name or "")
        level = spec.field("level")
        self.level_badge.set_badge(_(level.choice_label(customer.level)) if customer.level
                                   else "", LEVEL_COLOURS.get(customer.level or "", MUTED))
        status = spec.field("status")
        self.status_badge.set_badge(_(status.choice_label(customer.status)) if customer.status
                                    else "", STATUS_COLOURS.get(customer.status or "", MUTED))
        # dict.fromkeys drops the repeat of a municipality (上海市 上海市 青浦区 → 上海市 青浦区).
        parts = (customer.province, customer.city, customer.district)
        region = " ".join(dict.fromkeys(p for p in parts if p))
        source = _(spec.field("source").choice_label(customer.source)) if customer.source else ""
        texts = {
            "owner_id": customer.owner_name or "",
            "industry": customer.industry or "",
            "region": region,
            "phone": customer.phone or "",
            "uscc": customer.uscc or "",
            "source": source,
            "last_activity_at": format_datetime(customer.last_activity_at),
            "parent_id": customer.parent_name or "",
            "address": customer.address or "",
            "tags": format_tags(customer.tags),
            "notes": _shortened(customer.notes or ""),
        }
        for name, text in texts.items():
            masked = "" if text else _masked(customer, name)
            self.facts[name].setText(text or masked or "—")
            self.facts[name].setToolTip(
                _("Masked: your role may not see the full value") if masked else "")
        if len(customer.notes or "") > NOTES_SHOWN:
            self.facts["notes"].setToolTip(customer.notes or "")
        self._show_next_follow_up(customer.next_follow_up_on)

    def _show_next_follow_up(self, due: date | None) -> None:
        label = self.facts["next_follow_up_on"]
        if due is None:
            label.setText("—")
            label.setStyleSheet("")
            return
        overdue = due < date.today()
        text = format_date(due)
        if overdue:
            text += " " + _("(overdue)")
        label.setText(text)
        label.setStyleSheet(f"color: {ERROR_COLOUR}; font-weight: bold;" if overdue else "")


def _shortened(text: str) -> str:
    """Long notes cut at ``NOTES_SHOWN`` characters, so the header stays a header."""
    return text if len(text) <= NOTES_SHOWN else text[:NOTES_SHOWN].rstrip() + "…"


def _masked(customer: CustomerRead, name: str) -> str:
    """The masked form of a fact the viewer's role sees masked (91310000****1234)."""
    return "" if name == "region" else masked_text(customer, entity("customer").field(name))
