"""``EntityListView``: the generic list screen of any registered entity.

Built from the registry: columns from the fields, filters from ``filter_fields``, clickable
headers from ``sort_fields``, a search box when the entity is ``searchable``. Everything is
asked of the server — sort, filter, search, and the next keyset page when the table scrolls
near its end (``fetchMore``) — so a list of a million customers opens as fast as one of ten.

The list follows the person's role: no New, Delete or Restore without the right (nor on a
record the right does not reach), no column of a hidden field, no sorting or filtering by a
field it may not read; masked values show masked. Previewing a role opens lists read-only.

An ``importable`` entity's list offers Import… (the import wizard) to a role with the import
right, and a spreadsheet dropped on the list opens the wizard with it.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from PySide6.QtCore import QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from crm_client.api.client import PageResult
from crm_client.core.i18n import _
from crm_client.core.icons import icon
from crm_client.models.entity_model import EntityTableModel
from crm_client.models.page_loader import PageLoader
from crm_client.views import list_export
from crm_client.views.entity_form import EntityFormDialog
from crm_client.views.import_wizard import ImportWizard, dropped_file
from crm_client.views.screens import has_record_screen
from crm_client.widgets.actions import tool_action
from crm_client.widgets.banner import Banner, BannerLevel
from crm_client.widgets.column_settings import ColumnSettingsButton
from crm_client.widgets.filter_bar import FilterBarWidget
from crm_client.widgets.record_table import RecordTableView
from crm_common.entities import EntitySpec, FieldSpec, Kind
from crm_common.errors import NotFound
from crm_common.permissions import Action, FieldAccess

if TYPE_CHECKING:
    from crm_client.core.context import AppContext

SEARCH_DEBOUNCE_MS = 300
SEARCH_WIDTH = 260
MAX_ROWS_REFRESHED_IN_PLACE = 20


def column_fields(
    spec: EntitySpec, fixed: Mapping[str, Any], ctx: AppContext | None = None
) -> list[FieldSpec]:
    """The fields a list can show: all but long texts, those pinned by a fixed filter and
    (with ``ctx``) those the role hides."""
    return [f for f in spec.fields if f.kind != Kind.LONG_TEXT and f.name not in fixed
            and (ctx is None or ctx.field_access(spec.key, f.name) is not FieldAccess.HIDDEN)]


class EntityListView(QWidget):
    """``sig_open_record(entity, id)`` on double-click / Enter; ``sig_loaded`` per page."""

    sig_open_record = Signal(str, int)
    sig_loaded = Signal()
    sig_exported = Signal(str)  # the path of a file an export wrote

    def __init__(
        self,
        ctx: AppContext,
        spec: EntitySpec,
        parent: QWidget | None = None,
        fixed_filters: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._spec = spec
        self._fixed = dict(fixed_filters or {})
        self._recycle_bin = False
        self._sort = self._visible_sort(spec.default_sort)
        self.model = EntityTableModel(column_fields(spec, self._fixed, ctx), self)
        self.loader = PageLoader(ctx, spec, self.model, self.current_params, self,
                                 _("Loading {entities}…").format(entities=_(spec.label_plural)))
        self.loader.sig_loaded.connect(self._on_page)
        self.loader.sig_failed.connect(self._on_failed)
        self.table = RecordTableView(self)
        self.table.setModel(self.model)
        unreadable = {f.name for f in spec.fields if not ctx.sees(spec.key, f.name)}
        self.filter_bar = FilterBarWidget(ctx, spec, self, exclude={*self._fixed, *unreadable})
        self.filter_bar.sig_changed.connect(self.reload)
        self.search = self._make_search()
        self.total_label = self._make_total_label()
        self.recycle_banner = Banner(self)
        self.recycle_banner.sig_action.connect(self.recycle_action_off)
        layout_key = ".".join([spec.key, *sorted(self._fixed)])
        self.columns = ColumnSettingsButton(self.table.horizontalHeader(), self.model.fields,
                                            ctx.settings, layout_key, self)
        self._make_actions()
        self._build_layout()
        self._setup_table()
        ctx.changes.sig_entity_changed.connect(self._on_entity_changed)
        self.reload()

    # -- building ----------------------------------------------------------------------------

    def _make_search(self) -> QLineEdit:
        search = QLineEdit(self)
        search.setPlaceholderText(_("Search name, pinyin initials, phone…"))
        search.setClearButtonEnabled(True)
        search.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        search.setFixedWidth(SEARCH_WIDTH)
        search.setVisible(self._spec.searchable)
        timer = QTimer(self, singleShot=True, interval=SEARCH_DEBOUNCE_MS)
        timer.timeout.connect(self.reload)
        search.textChanged.connect(lambda _text: timer.start())
        search.returnPressed.connect(timer.stop)
        search.returnPressed.connect(self.reload)
        return search

    def _make_total_label(self) -> QLabel:
        label = QLabel(self)
        label.setTextFormat(Qt.TextFormat.RichText)
        label.linkActivated.connect(lambda _link: self._count_exactly())
        return label

    def can(self, action: Action) -> bool:
        """Whether this list offers ``action`` at all (the role, read-only entities and
        previewing decide)."""
        return self._ctx.can(self._spec.key, action)

    def _visible_sort(self, sort: str) -> str:
        """``sort``, unless the role may not read that field: then the record number."""
        name = sort.lstrip("-")
        if name in ("id", "created_at") or self._ctx.sees(self._spec.key, name):
            return sort
        return "-id" if sort.startswith("-") else "id"

    def _make_actions(self) -> None:
        own_view = has_record_screen(self._spec.key)
        editable = self.can(Action.UPDATE) and self._spec.update is not None
        keys = QKeySequence.StandardKey
        enter = [QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)]
        self.new_action = self._action(_("New"), "add", [keys.New], self._new_record)
        self.open_action = self._action(_("Edit") if editable and not own_view else _("Open"),
                                        "edit" if editable else "open", enter,
                                        self._open_current, self.table)
        self.delete_action = self._action(_("Delete"), "delete", [keys.Delete],
                                          self._delete_current, self.table)
        self.restore_action = self._action(_("Restore"), "restore", [], self._restore_current)
        self.refresh_action = self._action(_("Refresh"), "refresh", [keys.Refresh], self.reload)
        self.recycle_action = self._action(_("Recycle bin"), "recycle_bin", [],
                                           self._toggle_recycle_bin)
        self.recycle_action.setCheckable(True)
        self.recycle_action.setToolTip(_("Show deleted records, which can be restored"))
        self.recycle_action.setVisible(self._spec.soft_delete and self.can(Action.DELETE))
        self.export_action = self._action(_("Export…"), "download", [], self._export)
        self.export_action.setToolTip(_("Write this list, as filtered, to a file"))
        self.import_action = self._action(_("Import…"), "upload", [], lambda: self.open_import())
        self.import_action.setToolTip(_("Add or update records from an Excel or CSV file "
                                        "(or drop the file on the list)"))
        self._show_write_actions()

    def _action(
        self, text: str, icon_name: str, keys: list[Any], slot: Any, owner: QWidget | None = None
    ) -> QAction:
        """An action of this list (``tool_action``; with an ``owner`` only while it has focus)."""
        return tool_action(self, text, icon_name, slot, keys, owner)

    def _show_write_actions(self) -> None:
        """New/Delete/Export/Import for the live list, Restore in the recycle bin; none
        without rights."""
        live = not self._recycle_bin
        self.export_action.setVisible(live and self.can(Action.EXPORT))
        self.import_action.setVisible(live and self.may_import)
        self.setAcceptDrops(live and self.may_import)
        self.new_action.setVisible(live and self.can(Action.CREATE)
                                   and self._spec.create is not None)
        self.open_action.setVisible(live)
        self.delete_action.setVisible(live and self.can(Action.DELETE))
        self.restore_action.setVisible(self._recycle_bin and self.can(Action.DELETE))

    def _build_layout(self) -> None:
        toolbar = QToolBar(self)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (self.new_action, self.open_action, self.delete_action,
                       self.restore_action):
            toolbar.addAction(action)
        toolbar.addSeparator()
        toolbar.addAction(self.refresh_action)
        toolbar.addAction(self.recycle_action)
        toolbar.addAction(self.export_action)
        toolbar.addAction(self.import_action)
        toolbar.addWidget(self.columns)
        self.toolbar = toolbar
        top = QHBoxLayout()
        top.setContentsMargins(0, 0, 0, 0)
        top.addWidget(toolbar, 1)
        top.addWidget(self.search)
        bottom = QHBoxLayout()
        bottom.setContentsMargins(0, 0, 0, 0)
        bottom.addWidget(self.filter_bar, 1)
        bottom.addWidget(self.total_label, 0, Qt.AlignmentFlag.AlignBottom)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.setSpacing(6)
        layout.addLayout(top)
        layout.addWidget(self.recycle_banner)
        layout.addLayout(bottom)
        layout.addWidget(self.table, 1)

    def _setup_table(self) -> None:
        header = self.table.sort_header
        header.set_sortable_sections(frozenset(
            column for column, field in enumerate(self.model.fields)
            if field.name in self._spec.sort_fields and self._ctx.sees(self._spec.key, field.name)
        ))
        widths = [max(field.width, header.sectionSizeFromContents(column).width())
                  for column, field in enumerate(self.model.fields)]
        for column, field in enumerate(self.model.fields):
            header.resizeSection(column, widths[column])
            header.setSectionHidden(column, not field.listed)
        header.set_declared_widths(widths)
        if self.columns.restore() and header.is_sortable(header.sortIndicatorSection()):
            self._sort = self._sort_of(header.sortIndicatorSection(), header.sortIndicatorOrder())
        header.fit()
        self._show_sort_indicator()
        header.sortIndicatorChanged.connect(self._on_sort_changed)
        self.table.doubleClicked.connect(lambda index: self.open_row(index.row()))
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._show_context_menu)
        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        self._update_actions()

    # -- public ------------------------------------------------------------------------------

    def reload(self) -> None:
        """Start the list again from its first page with the current search, filters, sort."""
        self.table.set_empty_text("")
        self.total_label.clear()
        self.loader.reload()

    def open_row(self, row: int) -> None:
        """Open the record of ``row``: its own view when it has one, otherwise the form."""
        record = self.model.record(row)
        if record is None or self._recycle_bin:
            return
        record_id: int = record.id  # type: ignore[attr-defined]
        self.sig_open_record.emit(self._spec.key, record_id)
        if not has_record_screen(self._spec.key):
            self._open_form(record_id)

    def current_params(self) -> dict[str, Any]:
        """The list query as the widgets describe it now (read on the GUI thread)."""
        params: dict[str, Any] = {"sort": self._sort, "limit": self._ctx.settings.page_size}
        text = self.search.text().strip()
        if text and self._spec.searchable:
            params["q"] = text
        params.update(self.filter_bar.params())
        params.update(self._fixed)
        if self._recycle_bin:
            params["deleted"] = True
        return params

    # -- paging ------------------------------------------------------------------------------

    def _on_page(self) -> None:
        self.table.set_empty_text(self._empty_text())
        self._show_total()
        self.sig_loaded.emit()

    def _on_failed(self) -> None:
        self.table.set_empty_text(_("The list could not be loaded. Press F5 to try again."))

    def _empty_text(self) -> str:
        if self._recycle_bin:
            return _("The recycle bin is empty.")
        if self.current_params().keys() - {"sort", "limit", *self._fixed}:
            return _("No records match the search or filters.")
        return _("No records yet.")

    def _show_total(self) -> None:
        count = self.model.total
        if self.model.next_cursor is None:
            count = self.model.rowCount()
        if self.model.total_exact or self.model.next_cursor is None:
            self.total_label.setText(_("{count} records").format(count=f"{count:,}"))
            self.total_label.setToolTip("")
            return
        text = _("About {count} records").format(count=f"{count:,}")
        self.total_label.setText(f'<a href="exact" style="text-decoration:none">{text}</a>')
        self.total_label.setToolTip(_("An estimate. Click to count exactly."))

    def _count_exactly(self) -> None:
        asked = self.current_params()
        params = {**asked, "limit": 1, "exact_total": True}

        def show(page: PageResult) -> None:
            if self.current_params() == asked:  # still the same list
                self.model.total, self.model.total_exact = page.total, True
                self._show_total()

        (
            self._ctx.tasks.query(self, lambda api: api.list(self._spec, params))
            .success(show)
            .with_progress(_("Counting…"))
            .run()
        )

    # -- sorting -----------------------------------------------------------------------------

    def _show_sort_indicator(self) -> None:
        name = self._sort.lstrip("-")
        column = next((c for c, f in enumerate(self.model.fields) if f.name == name), -1)
        order = Qt.SortOrder.DescendingOrder if self._sort.startswith("-") else (
            Qt.SortOrder.AscendingOrder)
        header = self.table.sort_header
        header.blockSignals(True)
        header.setSortIndicator(column, order)
        header.blockSignals(False)

    def _on_sort_changed(self, column: int, order: Qt.SortOrder) -> None:
        if not self.table.sort_header.is_sortable(column):
            self._show_sort_indicator()
            return
        self._sort = self._sort_of(column, order)
        self.reload()

    def _sort_of(self, column: int, order: Qt.SortOrder) -> str:
        """The ``sort`` parameter for a header's sort arrow."""
        prefix = "-" if order == Qt.SortOrder.DescendingOrder else ""
        return prefix + self.model.field(column).name

    # -- actions -----------------------------------------------------------------------------

    def _current_record(self) -> BaseModel | None:
        return self.model.record(self.table.current_row())

    def _update_actions(self) -> None:
        record = self._current_record()
        self.open_action.setEnabled(record is not None)
        for action in (self.delete_action, self.restore_action):
            action.setEnabled(record is not None and self._ctx.can_record(
                self._spec.key, Action.DELETE, record))

    def _menu_actions(self) -> list[QAction]:
        """The actions of the right-click menu (the visible ones show)."""
        return [self.open_action, self.delete_action, self.restore_action, self.new_action,
                self.refresh_action]

    def _show_context_menu(self, position: QPoint) -> None:
        menu = QMenu(self)
        for action in self._menu_actions():
            if action.isVisible():
                menu.addAction(action)
        menu.popup(self.table.viewport().mapToGlobal(position))

    def _open_current(self) -> None:
        self.open_row(self.table.current_row())

    def _new_record(self) -> None:
        if self.new_action.isVisible():
            self._open_form(None, initial=self._fixed)

    def _open_form(self, record_id: int | None, initial: dict[str, Any] | None = None) -> None:
        form = EntityFormDialog(self._ctx, self._spec, record_id, self, initial=initial)
        form.sig_open_record.connect(self.sig_open_record)
        form.show()

    def _delete_current(self) -> None:
        record = self._current_record()
        if record is None or self._recycle_bin or not self.delete_action.isEnabled():
            return
        title = str(getattr(record, self._spec.title_field, "") or "")
        question = _("Delete {entity} “{title}”? It goes to the recycle bin and can be restored.")
        answer = QMessageBox.question(
            self, _("Delete"), question.format(entity=_(self._spec.label), title=title)
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        record_id, version = record.id, record.version  # type: ignore[attr-defined]
        (
            self._ctx.tasks.mutation(
                self, lambda api: api.delete(self._spec, record_id, version),
                self._spec.key, lambda _result: [record_id],
            )
            .with_progress(_("Deleting…"))
            .run()
        )

    def _restore_current(self) -> None:
        record = self._current_record()
        if record is None or not self.restore_action.isEnabled():
            return
        record_id = record.id  # type: ignore[attr-defined]
        (
            self._ctx.tasks.mutation(
                self, lambda api: api.restore(self._spec, record_id),
                self._spec.key, lambda _result: [record_id],
            )
            .with_progress(_("Restoring…"))
            .run()
        )

    def _export(self) -> None:
        """Export the list as it is queried and shown now, to a file the user picks."""
        target = list_export.ask_target(self, self._spec)
        if target is None:
            return
        path, file_format = target
        header = self.table.horizontalHeader()
        columns = [field.name for column, field in enumerate(self.model.fields)
                   if not header.isSectionHidden(column) and self._spec.owns(field.name)]
        params = list_export.export_params(self._spec, self.current_params(), columns,
                                           file_format)
        (self._ctx.tasks.mutation(self, lambda api: list_export.run_export(api, params, path),
                                  list_export.JOB.key)
         .success(lambda written: self.sig_exported.emit(str(written))).run())

    @property
    def may_import(self) -> bool:
        return self._spec.importable and self.can(Action.IMPORT)

    def open_import(self, path: Path | None = None) -> ImportWizard:
        """Open the import wizard for this entity (uploading ``path`` at once, if given)."""
        wizard = ImportWizard(self._ctx, self._spec, self, path)
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.show()
        return wizard

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if dropped_file(event) is not None and self.import_action.isVisible():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        """A spreadsheet dropped on the list opens the import wizard with it."""
        path = dropped_file(event)
        if path is None or not self.import_action.isVisible():
            return
        event.acceptProposedAction()
        self.open_import(path)

    def _toggle_recycle_bin(self, on: bool) -> None:
        self._recycle_bin = on
        self._show_write_actions()
        self._show_recycle_banner()
        self.reload()

    def recycle_action_off(self) -> None:
        """Back from the recycle bin to the live list (the banner's button)."""
        if self.recycle_action.isChecked():
            self.recycle_action.trigger()

    def _show_recycle_banner(self) -> None:
        """In the recycle bin a coloured strip says so, with the way back: the rows look
        like any list's, and deleted records must not be taken for live ones."""
        if not self._recycle_bin:
            self.recycle_banner.clear()
            return
        text = _("Recycle bin: deleted {entities}. Select one and choose Restore to bring "
                 "it back.").format(entities=_(self._spec.label_plural).lower())
        self.recycle_banner.show_message(text, _("Back to the list"), BannerLevel.ERROR)

    # -- refreshing after changes ------------------------------------------------------------

    def _on_entity_changed(self, entity: str, ids: list[int]) -> None:
        if entity != self._spec.key:
            return
        loaded = [record_id for record_id in ids if self.model.row_of(record_id) >= 0]
        in_place = ids and len(loaded) == len(ids) <= MAX_ROWS_REFRESHED_IN_PLACE
        if self._recycle_bin or not in_place:
            self.reload()  # a new record may belong anywhere in the sort order
            return
        (
            self._ctx.tasks.query(self, lambda api: [_fetch_or_none(api, self._spec, i)
                                                     for i in loaded])
            .success(lambda records: self._refresh_rows(loaded, records))
            .run()
        )

    def _refresh_rows(self, ids: list[int], records: list[BaseModel | None]) -> None:
        for record_id, record in zip(ids, records, strict=True):
            if record is None:
                self.model.remove_record(record_id)
            else:
                self.model.update_record(record)
        self._show_total()
        self._update_actions()


def _fetch_or_none(api: Any, spec: EntitySpec, record_id: int) -> BaseModel | None:
    """The record as it is now; None when it is gone (deleted, or out of reach)."""
    try:
        record: BaseModel = api.get(spec, record_id)
    except NotFound:
        return None
    return record
