"""``AuditPage``: the audit log — who did what, to which record, when and from where.

Filters (user, record type, action, record number, from–to date) are sent to the server;
the list pages in by keyset cursor as it is scrolled (the generic model's ``fetchMore``);
the selected entry's changes show below, field by field with the registry's labels, a
role's permissions as the grants that changed. Read-only; no export yet.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QIntValidator, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from crm_client.admin.audit_changes import action_label, change_rows, entity_label, summary
from crm_client.admin.common import ConsolePage, read_only_table
from crm_client.core.i18n import _
from crm_client.models.entity_model import EntityTableModel
from crm_client.models.formatting import format_datetime
from crm_client.models.page_loader import PageLoader
from crm_client.views.screens import register_list
from crm_client.widgets.actions import tool_action
from crm_client.widgets.date_edit import DateEdit
from crm_client.widgets.flow_widget import FlowWidget
from crm_client.widgets.lookup_combo import LookupCombo
from crm_client.widgets.record_table import RecordTableView
from crm_client.widgets.value_combo import ValueComboBox
from crm_common.entities import REGISTRY, entity
from crm_common.schemas.security import AuditRead

if TYPE_CHECKING:
    from crm_client.core.context import AppContext

AUDIT = entity("audit")
DEBOUNCE_MS = 400
COLUMN_WIDTHS = {"at": 130, "user_id": 100, "action": 100, "entity": 90, "record_id": 220,
                 "changes": 280, "client_address": 110}
COLUMNS = ("at", "user_id", "action", "entity", "record_id", "client_address", "changes")


class AuditTableModel(EntityTableModel):
    """The audit columns, with the record type by its label, the record by its title, the
    changes summarised (the last column, which takes the spare width) and entries without a
    user as the system's."""

    def data(self, index: QModelIndex | QPersistentModelIndex,
             role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        shown = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole)
        if (role == Qt.ItemDataRole.TextAlignmentRole and index.isValid()
                and self.field(index.column()).name == "record_id"):
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)  # a name
        if index.isValid() and role in shown:
            entry = cast(AuditRead | None, self.record(index.row()))
            text = _cell_text(entry, self.field(index.column()).name) if entry else None
            if text is not None:
                return text
        return super().data(index, role)


def _cell_text(entry: AuditRead, name: str) -> str | None:
    """The audit columns that read differently from the generic list; None: as usual."""
    if name == "entity":
        return entity_label(entry.entity)
    if name == "action":
        return action_label(entry.action)
    if name == "changes":
        return summary(entry)
    if name == "user_id" and entry.user_id is None:
        return _("System")
    if name == "record_id":
        return record_text(entry)
    return None


def record_text(entry: AuditRead) -> str:
    """The record an entry is about: its title when the server sent it (the viewer may read
    that record and its title), else its number."""
    if entry.record_title:
        return entry.record_title
    return f"#{entry.record_id}" if entry.record_id is not None else ""


class AuditFilterBar(FlowWidget):
    """User, record type, action, record number and date range; ``params()`` for the list."""

    sig_changed = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent, spacing=12)
        self.user = LookupCombo(ctx, entity("user"), self, placeholder=_("All"))
        self.user.setFixedWidth(120)
        self.entity = ValueComboBox(self)
        self.entity.add_option(_("All"), None)
        for spec in REGISTRY.values():
            self.entity.add_option(_(spec.label), spec.key)
        self.action = ValueComboBox(self)
        self.action.add_option(_("All"), None)
        for choice in AUDIT.field("action").choices:
            self.action.add_option(action_label(choice.value), choice.value)
        self.record = QLineEdit(self)
        self.record.setPlaceholderText(_("All"))
        self.record.setValidator(QIntValidator(1, 2_000_000_000, self.record))
        self.record.setClearButtonEnabled(True)
        self.record.setFixedWidth(80)
        self.date_from = DateEdit(self)
        self.date_to = DateEdit(self)
        self.clear_button = QPushButton(_("Clear filters"), self)
        self.clear_button.setFlat(True)
        self.clear_button.clicked.connect(self.clear)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self._changed)
        self._connect()
        for text, widget in ((_("User"), self.user), (_("Record type"), self.entity),
                             (_("Action"), self.action), (_("Record"), self.record),
                             (_("From"), self.date_from), (_("To"), self.date_to)):
            self.add_labelled(text, widget)
        self.add_widget(self.clear_button)
        self.clear_button.hide()

    def _connect(self) -> None:
        self.user.sig_value_changed.connect(lambda _value: self._changed())
        self.entity.activated.connect(lambda _index: self._changed())
        self.action.activated.connect(lambda _index: self._changed())
        self.record.textEdited.connect(lambda _text: self._timer.start())
        self.record.returnPressed.connect(self._changed)
        self.date_from.sig_value_changed.connect(lambda _value: self._timer.start())
        self.date_to.sig_value_changed.connect(lambda _value: self._timer.start())

    def params(self) -> dict[str, Any]:
        """``at.from``/``at.to`` are local midnights: "to" includes its whole day."""
        values: dict[str, Any] = {
            "user_id": self.user.value(),
            "entity": self.entity.value(),
            "action": self.action.value(),
            "record_id": self.record.text().strip() or None,
            "at.from": _local_midnight(self.date_from.value()),
            "at.to": _local_midnight(self.date_to.value(), days_later=1),
        }
        return {name: value for name, value in values.items() if value is not None}

    def clear(self) -> None:
        for widget in (self.date_from, self.date_to, self.user, self.record):
            widget.blockSignals(True)
        self.user.set_value(None, "")
        self.entity.setCurrentIndex(0)
        self.action.setCurrentIndex(0)
        self.record.clear()
        self.date_from.set_value(None)
        self.date_to.set_value(None)
        for widget in (self.date_from, self.date_to, self.user, self.record):
            widget.blockSignals(False)
        self._changed()

    def _changed(self) -> None:
        self._timer.stop()
        self.clear_button.setVisible(bool(self.params()))
        self.sig_changed.emit()


class AuditPage(ConsolePage):
    """``sig_loaded`` after each page of entries arrived."""

    sig_loaded = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.model = AuditTableModel([AUDIT.field(name) for name in COLUMNS], self)
        self.filter_bar = AuditFilterBar(ctx, self)
        self.filter_bar.sig_changed.connect(self.load)
        self.table = RecordTableView(self)
        self.table.setModel(self.model)
        self.loader = PageLoader(ctx, AUDIT, self.model, self.current_params, self,
                                 _("Loading {entities}…").format(entities=_(AUDIT.label_plural)))
        self.loader.sig_loaded.connect(self._on_page)
        self.loader.sig_failed.connect(lambda: self.table.set_empty_text(
            _("The list could not be loaded. Press F5 to try again.")))
        self.total_label = QLabel(self)
        self.details_title = QLabel(self)
        self.details = QTableWidget(0, 3, self)
        self.refresh_action = tool_action(self, _("Refresh"), "refresh", self.load,
                                          [QKeySequence.StandardKey.Refresh])
        self._build()

    def _build(self) -> None:
        header = self.table.horizontalHeader()
        for column, field in enumerate(self.model.fields):
            header.resizeSection(column, COLUMN_WIDTHS.get(field.name, field.width))
        header.setStretchLastSection(True)
        # A little air between a right-aligned number and the left-aligned text after it.
        self.table.setStyleSheet("QTableView::item { padding: 0 6px; }")
        self.table.sort_header.set_sortable_sections(frozenset())  # newest first, always
        self.table.sort_header.setSortIndicatorShown(False)
        self.table.selectionModel().currentRowChanged.connect(
            lambda current, _previous: self._show_details(current.row()))
        read_only_table(self.details)
        self.details.setSelectionMode(QTableWidget.SelectionMode.NoSelection)
        self.details.setHorizontalHeaderLabels([_("Field"), _("Old value"), _("New value")])
        details_header = self.details.horizontalHeader()
        details_header.resizeSection(0, 220)
        details_header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        details_header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.details_title.setWordWrap(True)
        self.details_title.setTextFormat(Qt.TextFormat.PlainText)
        self.details_title.setStyleSheet("font-weight: 600;")
        pane = QWidget(self)
        pane_layout = QVBoxLayout(pane)
        pane_layout.setContentsMargins(0, 4, 0, 0)
        pane_layout.addWidget(self.details_title)
        pane_layout.addWidget(self.details, 1)
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.table)
        splitter.addWidget(pane)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        toolbar = QToolBar(self)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        toolbar.addAction(self.refresh_action)
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(self.filter_bar, 1)
        top.addWidget(toolbar, 0, Qt.AlignmentFlag.AlignTop)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.total_label)
        self._show_details(-1)

    # -- public ------------------------------------------------------------------------------

    def load(self) -> None:
        self.table.set_empty_text("")
        self.total_label.clear()
        self._show_details(-1)
        self.loader.reload()

    def current_params(self) -> dict[str, Any]:
        return {"sort": AUDIT.default_sort, "limit": self._ctx.settings.page_size,
                **self.filter_bar.params()}

    def entry(self, row: int) -> AuditRead | None:
        return cast(AuditRead | None, self.model.record(row))

    # -- showing -----------------------------------------------------------------------------

    def _on_page(self) -> None:
        filtered = bool(self.filter_bar.params())
        self.table.set_empty_text(_("No entries match the filters.") if filtered
                                  else _("No records yet."))
        count = self.model.rowCount() if self.model.next_cursor is None else self.model.total
        exact = self.model.next_cursor is None or self.model.total_exact
        text = _("{count} records") if exact else _("About {count} records")
        self.total_label.setText(text.format(count=f"{count:,}"))
        self.sig_loaded.emit()

    def _show_details(self, row: int) -> None:
        entry = self.entry(row) if row >= 0 else None
        if entry is None:
            self.details_title.setText(_("Select an entry to see what changed."))
            self.details.setRowCount(0)
            return
        self.details_title.setText(_details_title(entry))
        rows = change_rows(entry)
        self.details.setRowCount(len(rows))
        for number, texts in enumerate(rows):
            for column, text in enumerate(texts):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.details.setItem(number, column, item)


def _details_title(entry: AuditRead) -> str:
    action = action_label(entry.action)
    what = f"{entity_label(entry.entity)} {record_text(entry)}".strip()
    parts = [format_datetime(entry.at), entry.user_name or _("System"), action, what]
    if entry.client_address:
        parts.append(_("from {address}").format(address=entry.client_address))
    return " · ".join(part for part in parts if part)


def _local_midnight(day: date | None, days_later: int = 0) -> datetime | None:
    if day is None:
        return None
    return datetime.combine(day + timedelta(days=days_later), time.min).astimezone()


# Administrators find the audit log in the console; auditors get it as a page of its own.
register_list(AUDIT.key, lambda ctx, _spec: AuditPage(ctx), shown=lambda ctx: not ctx.is_admin)
