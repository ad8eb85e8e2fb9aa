"""``Customer360View``: everything about one customer on one screen (客户360视图).

A header with the key facts and the two actions people use most (edit, add a follow-up),
then tabs. Tabs are a registration list: a later issue adds opportunities, quotes or tickets
with one ``CustomerTab(...)`` line in ``CUSTOMER_TABS`` (or ``register_customer_tab``), and
nothing else in this module changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pydantic import BaseModel
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import QPushButton, QTabWidget, QVBoxLayout, QWidget

from crm_client.core.i18n import N_, _
from crm_client.domains.activity_timeline import ActivityTimelineWidget
from crm_client.domains.attachments import AttachmentsWidget
from crm_client.domains.customer_header import CustomerHeaderWidget
from crm_client.domains.follow_up_forms import new_follow_up_form
from crm_client.views.entity_form import EntityFormDialog
from crm_client.views.entity_list import EntityListView
from crm_client.views.history import HistoryWidget
from crm_client.views.screens import register_record
from crm_common.entities import entity
from crm_common.permissions import Action, FieldAccess
from crm_common.schemas.customer import CustomerRead

if TYPE_CHECKING:
    from crm_client.core.context import AppContext

TAB_STYLE = """
QTabWidget#customerTabs QTabBar::tab { background: transparent; border: none;
    border-bottom: 2px solid transparent; padding: 7px 16px; margin-left: 4px; color: #374151; }
QTabWidget#customerTabs QTabBar::tab:hover { color: #1677ff; }
QTabWidget#customerTabs QTabBar::tab:selected { color: #1677ff; border-bottom-color: #1677ff; }
QTabWidget#customerTabs::pane { border: none; border-top: 1px solid #e5e7eb; }
"""

TabFactory = Callable[["AppContext", int, QWidget], QWidget]


@dataclass(frozen=True)
class CustomerTab:
    """A tab of the 360 view: ``build(ctx, customer_id, parent)`` makes its widget. A widget
    with a ``sig_open_record(str, int)`` signal has it forwarded by the view. ``entity``:
    the tab shows only to roles that may read those records."""

    key: str
    label: str  # N_() source text
    build: TabFactory
    entity: str | None = None


def _contacts(ctx: AppContext, customer_id: int, parent: QWidget) -> QWidget:
    fixed = {"customer_id": customer_id}
    return EntityListView(ctx, entity("contact"), parent, fixed_filters=fixed)


def _attachments(ctx: AppContext, customer_id: int, parent: QWidget) -> QWidget:
    return AttachmentsWidget(ctx, "customer", customer_id, parent)


def _history(ctx: AppContext, customer_id: int, parent: QWidget) -> QWidget:
    return HistoryWidget(ctx, entity("customer"), customer_id, parent)


CUSTOMER_TABS: list[CustomerTab] = [
    CustomerTab("contacts", N_("Contacts"), _contacts, "contact"),
    CustomerTab("activities", N_("Follow-ups"), ActivityTimelineWidget, "activity"),
    CustomerTab("attachments", N_("Attachments"), _attachments, "attachment"),
    CustomerTab("history", N_("History"), _history),
]


def register_customer_tab(tab: CustomerTab, before: str | None = None) -> None:
    """Add a tab, at the end or before the tab called ``before`` (e.g. before "history")."""
    keys = [existing.key for existing in CUSTOMER_TABS]
    CUSTOMER_TABS.insert(keys.index(before) if before in keys else len(keys), tab)


class Customer360View(QWidget):
    """``sig_loaded`` once the header's record has arrived; ``sig_open_record(entity, id)``
    when something inside asks to open another record. F5 (``refresh``) reloads the header
    and every tab; so does any change of this customer announced on the change bus."""

    sig_loaded = Signal()
    sig_open_record = Signal(str, int)

    def __init__(self, ctx: AppContext, customer_id: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.customer_id = customer_id
        self.customer: CustomerRead | None = None
        self.header = CustomerHeaderWidget(self)
        self.edit_button = QPushButton(_("Edit"), self)
        self.edit_button.clicked.connect(self.edit)
        self.follow_up_button = QPushButton(_("Add follow-up"), self)
        self.follow_up_button.setDefault(True)
        self.follow_up_button.clicked.connect(self.add_follow_up)
        for button in (self.edit_button, self.follow_up_button):
            button.setEnabled(False)
            self.header.title_row.addWidget(button)
        self.edit_button.setVisible(ctx.can("customer", Action.UPDATE))
        self.follow_up_button.setVisible(ctx.can("activity", Action.CREATE))
        hidden = {name for name in (*self.header.facts, "province", "city", "district")
                  if name != "region"
                  and ctx.field_access("customer", name) is FieldAccess.HIDDEN}
        if {"province", "city", "district"} <= hidden:
            hidden.add("region")
        self.header.hide_facts(hidden)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("customerTabs")
        self.tabs.setDocumentMode(True)
        self.tabs.setStyleSheet(TAB_STYLE)
        self.tab_widgets: dict[str, QWidget] = {}
        for tab in CUSTOMER_TABS:
            if tab.entity is None or ctx.can(tab.entity, Action.READ):
                self._add_tab(tab)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.header)
        layout.addWidget(self.tabs, 1)
        ctx.changes.sig_entity_changed.connect(self._on_entity_changed)
        self.refresh_shortcut = QShortcut(QKeySequence.StandardKey.Refresh, self, self.refresh,
                                          Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.reload()

    def _add_tab(self, tab: CustomerTab) -> None:
        widget = tab.build(self._ctx, self.customer_id, self.tabs)
        opener = getattr(widget, "sig_open_record", None)
        if opener is not None:
            opener.connect(self.sig_open_record)
        own_refresh = getattr(widget, "refresh_action", None)
        if isinstance(own_refresh, QAction):  # one F5 here, which refreshes every tab
            own_refresh.setShortcuts([])
        self.tab_widgets[tab.key] = widget
        self.tabs.addTab(widget, _(tab.label))

    def refresh(self) -> None:
        """F5: the header and every tab from the server."""
        self.reload()
        for widget in self.tab_widgets.values():
            reload = getattr(widget, "reload", None)
            if callable(reload):
                reload()

    def reload(self) -> None:
        """Fetch the customer again for the header (the tabs refresh themselves)."""
        customer_id = self.customer_id  # the worker thread gets the id, never the view
        (
            self._ctx.tasks.query(self, lambda api: api.get(entity("customer"), customer_id))
            .success(self._show)
            .run()
        )

    def _show(self, customer: BaseModel) -> None:
        assert isinstance(customer, CustomerRead)
        self.customer = customer
        self.header.show_record(customer)
        self.setWindowTitle(customer.name or "")
        for button in (self.edit_button, self.follow_up_button):
            button.setEnabled(True)
        if not self._ctx.can_record("customer", Action.UPDATE, customer):
            self.edit_button.hide()
        self.sig_loaded.emit()

    def _on_entity_changed(self, key: str, ids: list[int]) -> None:
        if key == "customer" and (not ids or self.customer_id in ids):
            self.refresh()  # also its history, and the contacts' customer names
        elif key == "activity":  # a follow-up moves the last / next follow-up dates
            self.reload()

    def edit(self) -> EntityFormDialog:
        form = EntityFormDialog(self._ctx, entity("customer"), self.customer_id, self)
        form.sig_open_record.connect(self.sig_open_record)
        form.show()
        return form

    def add_follow_up(self) -> EntityFormDialog:
        """The compact follow-up dialog: type, time, subject, contact, notes, next date."""
        name = self.customer.name if self.customer else ""
        return new_follow_up_form(self._ctx, self.customer_id, name or "", self)


register_record("customer", Customer360View)
