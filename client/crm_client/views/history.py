"""``HistoryWidget``: who changed what on one record, newest first (the audit trail).

One row per changed field, grouped by change: when, who, what was done, the field by its
label from the registry, and old → new as people read them (choice labels translated,
references by their titles, dates formatted). Reference ids in the trail are turned into
titles on the worker thread, so the list never shows a bare ``#17`` when the name is known.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QVBoxLayout, QWidget

from crm_client.core.i18n import N_, _
from crm_client.models.formatting import describe_value, format_datetime
from crm_common.entities import EntitySpec, FieldSpec, Kind, entity
from crm_common.errors import ApiError
from crm_common.schemas.auth import HistoryChange, HistoryEntry

if TYPE_CHECKING:
    from crm_client.api.client import ApiClient
    from crm_client.core.context import AppContext

MAX_TITLES_LOOKED_UP = 30
GROUP_SHADE = "#f6f8fa"
ACTIONS = {  # verbs: "Created" is already the label of the created_at field
    "create": N_("Create"),
    "update": N_("Update"),
    "delete": N_("Delete"),
    "restore": N_("Restore"),
}
COLUMNS = (N_("Time"), N_("By"), N_("Action"), N_("Field"), N_("Old value"), N_("New value"))
COLUMN_WIDTHS = (130, 80, 60, 130, 200)

Titles = dict[tuple[str, int], str]


def load_history(api: ApiClient, spec: EntitySpec, record_id: int) -> tuple[list[HistoryEntry],
                                                                              Titles]:
    """The trail and the titles of the records its reference fields point at (worker)."""
    entries = api.history(spec, record_id)
    titles: Titles = {}
    for key in _referenced(spec, entries):
        with contextlib.suppress(ApiError):
            record = api.get(entity(key[0]), key[1])
            titles[key] = str(getattr(record, entity(key[0]).title_field, "") or "")
    return entries, titles


def _referenced(spec: EntitySpec, entries: Iterable[HistoryEntry]) -> list[tuple[str, int]]:
    keys: dict[tuple[str, int], None] = {}
    for entry in entries:
        for change in entry.changes:
            field = _field(spec, change.field)
            if field is None or field.kind != Kind.REF or field.ref is None:
                continue
            for value in (change.old, change.new):
                if isinstance(value, int):
                    keys.setdefault((field.ref, value), None)
    return list(keys)[:MAX_TITLES_LOOKED_UP]


def _field(spec: EntitySpec, name: str) -> FieldSpec | None:
    try:
        return spec.field(name)
    except KeyError:
        return None


def change_texts(spec: EntitySpec, change: HistoryChange, titles: Titles) -> tuple[str, str, str]:
    """Field label, old and new value of one change, as people read them."""
    field = _field(spec, change.field)
    if field is None:
        return change.field, _plain(change.old), _plain(change.new)
    return _(field.label), _value(field, change.old, titles), _value(field, change.new, titles)


def _value(field: FieldSpec, value: Any, titles: Titles) -> str:
    if field.kind == Kind.REF and field.ref is not None and isinstance(value, int):
        return titles.get((field.ref, value), f"#{value}")
    return describe_value(field, value)


def _plain(value: Any) -> str:
    return _("(empty)") if value in (None, "", []) else str(value)


class HistoryWidget(QWidget):
    def __init__(
        self, ctx: AppContext, spec: EntitySpec, record_id: int, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._spec = spec
        self._record_id = record_id
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels([_(title) for title in COLUMNS])
        self.tree.setRootIsDecorated(False)
        self.tree.setUniformRowHeights(True)
        self.tree.setStyleSheet("QTreeView::item { padding: 3px 2px; }")
        self.tree.setSelectionMode(QTreeWidget.SelectionMode.NoSelection)
        header = self.tree.header()
        for column, width in enumerate(COLUMN_WIDTHS):
            header.resizeSection(column, width)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.tree)
        ctx.changes.sig_entity_changed.connect(self._on_entity_changed)
        self.reload()

    def reload(self) -> None:
        spec, record_id = self._spec, self._record_id
        (
            self._ctx.tasks.query(self, lambda api: load_history(api, spec, record_id))
            .success(lambda result: self._show(*result))
            .run()
        )

    def _on_entity_changed(self, key: str, ids: list[int]) -> None:
        if key == self._spec.key and (not ids or self._record_id in ids):
            self.reload()

    def _show(self, entries: list[HistoryEntry], titles: Titles) -> None:
        self.tree.clear()
        for number, entry in enumerate(entries):
            shade = QBrush(QColor(GROUP_SHADE)) if number % 2 else None
            for item in self._items(entry, titles):
                if shade is not None:
                    for column in range(len(COLUMNS)):
                        item.setBackground(column, shade)
                self.tree.addTopLevelItem(item)

    def _items(self, entry: HistoryEntry, titles: Titles) -> list[QTreeWidgetItem]:
        """One row per changed field; when, who and what only on the entry's first row."""
        action = _(ACTIONS.get(entry.action, entry.action))
        heading = [format_datetime(entry.at), entry.user_name or _("System"), action]
        changes = [change_texts(self._spec, change, titles) for change in entry.changes]
        if entry.action == "create":  # every old value is empty: show only what was set
            changes = [(label, "", new) for label, _old, new in changes]
        first = list(changes[0]) if changes else ["", "", ""]
        rows = [heading + first]
        rows += [["", "", "", *texts] for texts in changes[1:]]
        items = []
        for row in rows:
            item = QTreeWidgetItem(row)
            for column, text in enumerate(row):
                item.setToolTip(column, text)
            items.append(item)
        return items
