"""``DepartmentTreeView``: the organisation as a tree (组织架构) instead of a flat list.

All departments are loaded (pages of 500 — an organisation has hundreds, not millions) and
shown under their parents. Whoever may change departments adds, renames and deletes them
here and moves one by dragging it onto its new parent (or onto the empty space below the
tree to make it a top-level department). Every change goes to the server with the record's
version; when the server refuses one — a department under its own sub-department, a stale
version, a department still in use — its message is shown and the tree is loaded again, so
what is on screen is always what is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from PySide6.QtCore import QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QAction, QDropEvent, QKeySequence, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QToolBar,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from crm_client.api.errors import ServerUnreachable
from crm_client.core.failures import describe_failure
from crm_client.core.i18n import _
from crm_client.core.icons import icon
from crm_client.views.entity_form import EntityFormDialog
from crm_client.views.screens import register_list
from crm_client.widgets.actions import tool_action
from crm_common.entities import entity
from crm_common.errors import ApiError
from crm_common.permissions import Action
from crm_common.schemas.department import DepartmentRead

if TYPE_CHECKING:
    from crm_client.api.client import ApiClient
    from crm_client.core.context import AppContext

DEPARTMENT = entity("department")
PAGE_LIMIT = 500
ID_ROLE = Qt.ItemDataRole.UserRole + 1
RECORD_ROLE = Qt.ItemDataRole.UserRole + 2


def load_all_departments(api: ApiClient) -> list[DepartmentRead]:
    """Every department, page after page (runs on a worker thread)."""
    records: list[DepartmentRead] = []
    after: str | None = None
    while True:
        params: dict[str, Any] = {"limit": PAGE_LIMIT, "sort": "id"}
        if after:
            params["after"] = after
        page = api.list(DEPARTMENT, params)
        records.extend(item for item in page.items if isinstance(item, DepartmentRead))
        after = page.next
        if not after:
            return records


class DepartmentTreeModel(QStandardItemModel):
    """Departments under their parents, siblings by sort order and name. A department
    whose parent is not visible to the viewer shows at the top level."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.records: dict[int, DepartmentRead] = {}
        self.movable = False

    def set_departments(self, records: list[DepartmentRead]) -> None:
        self.clear()
        self.records = {record.id: record for record in records}
        children: dict[int | None, list[DepartmentRead]] = {}
        for record in records:
            parent = record.parent_id if record.parent_id in self.records else None
            children.setdefault(parent, []).append(record)
        for siblings in children.values():
            siblings.sort(key=lambda r: (r.sort_order, r.name or "", r.id))

        def add(parent_item: QStandardItem, parent_id: int | None, seen: set[int]) -> None:
            for record in children.get(parent_id, []):
                if record.id in seen:  # never loop on a damaged tree
                    continue
                item = self._item(record)
                parent_item.appendRow(item)
                add(item, record.id, seen | {record.id})

        add(self.invisibleRootItem(), None, set())

    def _item(self, record: DepartmentRead) -> QStandardItem:
        item = QStandardItem(icon("department"), record.name or f"#{record.id}")
        item.setData(record.id, ID_ROLE)
        item.setEditable(False)
        item.setDragEnabled(self.movable)
        item.setDropEnabled(self.movable)
        item.setToolTip(record.name or "")
        return item

    def department_id(self, index: QModelIndex) -> int | None:
        if not index.isValid():
            return None
        value = index.data(ID_ROLE)
        return int(value) if value is not None else None

    def index_of(self, department_id: int) -> QModelIndex:
        """The index showing ``department_id`` (invalid when it is not shown)."""
        found = self.match(self.index(0, 0), ID_ROLE, department_id, 1,
                           Qt.MatchFlag.MatchExactly | Qt.MatchFlag.MatchRecursive)
        return found[0] if found else QModelIndex()

    def parent_of(self, department_id: int) -> int | None:
        record = self.records.get(department_id)
        return record.parent_id if record is not None else None


class DepartmentTree(QTreeView):
    """A tree whose drops are requests: ``sig_move_requested(department, new parent or
    None)``. The tree itself never moves an item; the page reloads what the server stored."""

    sig_move_requested = Signal(int, object)

    def dropEvent(self, event: QDropEvent) -> None:
        model = self.model()
        selected = self.selectedIndexes()
        source = selected[0] if selected else self.currentIndex()
        if not isinstance(model, DepartmentTreeModel) or not source.isValid():
            event.ignore()
            return
        target = self.indexAt(event.position().toPoint())
        position = self.dropIndicatorPosition()
        if target.isValid() and position in (
                QAbstractItemView.DropIndicatorPosition.AboveItem,
                QAbstractItemView.DropIndicatorPosition.BelowItem):
            target = target.parent()  # dropped between siblings: under their parent
        moved = model.department_id(source)
        new_parent = model.department_id(target) if target.isValid() else None
        event.setDropAction(Qt.DropAction.IgnoreAction)
        event.accept()
        if moved is not None and new_parent != model.parent_of(moved):
            self.sig_move_requested.emit(moved, new_parent)


class DepartmentTreeView(QWidget):
    """The department page. ``sig_loaded`` after each (re)load of the tree."""

    sig_loaded = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._pending_select: int | None = None
        self.error_box: QMessageBox | None = None
        self.model = DepartmentTreeModel(self)
        self.model.movable = self._can(Action.UPDATE)
        self.tree = DepartmentTree(self)
        self.tree.setModel(self.model)
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setAnimated(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        if self.model.movable:
            self.tree.setDragDropMode(QAbstractItemView.DragDropMode.InternalMove)
            self.tree.setDefaultDropAction(Qt.DropAction.MoveAction)
            self.tree.setDropIndicatorShown(True)
        self.tree.sig_move_requested.connect(self.move_department)
        self.tree.doubleClicked.connect(lambda _index: self._edit_current())
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._show_context_menu)
        self.hint = QLabel(self)
        self.hint.setObjectName("treeHint")
        self.hint.setStyleSheet("QLabel#treeHint { color: #6b7280; }")
        self.hint.setText(_("Drag a department onto another to move it under that one; drop it "
                            "on the empty space to make it a top-level department.")
                          if self.model.movable else "")
        self.hint.setWordWrap(True)
        self.hint.setVisible(self.model.movable)
        self._make_actions()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(self._make_toolbar())
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.hint)
        self.tree.selectionModel().currentChanged.connect(lambda *_args: self._update_actions())
        ctx.changes.sig_entity_changed.connect(self._on_entity_changed)
        self.reload()

    # -- building ----------------------------------------------------------------------------

    def _can(self, action: Action) -> bool:
        return self._ctx.can(DEPARTMENT.key, action)

    def _make_actions(self) -> None:
        keys = QKeySequence.StandardKey
        self.add_action = self._action(_("Add…"), "add", self._ask_add, keys.New,
                                       _("Add a department under the selected one"))
        self.rename_action = self._action(_("Rename…"), "edit", self._ask_rename,
                                          QKeySequence(Qt.Key.Key_F2))
        self.edit_action = self._action(_("Details…"), "open", self._edit_current, None,
                                        _("All fields of the department"))
        self.delete_action = self._action(_("Delete"), "delete", self._ask_delete, keys.Delete)
        self.refresh_action = self._action(_("Refresh"), "refresh", self.reload, keys.Refresh)
        self.add_action.setVisible(self._can(Action.CREATE))
        self.rename_action.setVisible(self._can(Action.UPDATE))
        self.delete_action.setVisible(self._can(Action.DELETE))
        self._update_actions()

    def _action(self, text: str, icon_name: str, slot: Callable[[], None],
                shortcut: Any, tip: str | None = None) -> QAction:
        action = tool_action(self, text, icon_name, slot, [] if shortcut is None else [shortcut])
        action.setToolTip(tip or text.removesuffix("…"))
        return action

    def _make_toolbar(self) -> QToolBar:
        toolbar = QToolBar(self)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (self.add_action, self.rename_action, self.edit_action,
                       self.delete_action):
            toolbar.addAction(action)
        toolbar.addSeparator()
        toolbar.addAction(self.refresh_action)
        return toolbar

    def _update_actions(self) -> None:
        selected = self.current_id() is not None
        for action in (self.rename_action, self.edit_action, self.delete_action):
            action.setEnabled(selected)

    def _show_context_menu(self, position: QPoint) -> None:
        menu = QMenu(self)
        for action in (self.add_action, self.rename_action, self.edit_action,
                       self.delete_action, self.refresh_action):
            if action.isVisible():
                menu.addAction(action)
        menu.popup(self.tree.viewport().mapToGlobal(position))

    # -- public ------------------------------------------------------------------------------

    def current_id(self) -> int | None:
        return self.model.department_id(self.tree.currentIndex())

    def select(self, department_id: int) -> None:
        index = self.model.index_of(department_id)
        if index.isValid():
            self.tree.setCurrentIndex(index)
            self.tree.scrollTo(index)

    def reload(self) -> None:
        """Load every department again; the selection and expanded branches stay."""
        (
            self._ctx.tasks.query(self, load_all_departments)
            .success(self._show)
            .with_progress(_("Loading {entities}…").format(entities=_(DEPARTMENT.label_plural)))
            .run()
        )

    def move_department(self, department_id: int, parent_id: int | None) -> None:
        """Put a department under ``parent_id`` (None: top level). What the drop does."""
        record = self.model.records.get(department_id)
        if record is None:
            return
        self._write(lambda api: api.update(DEPARTMENT, department_id, record.version,
                                           {"parent_id": parent_id}),
                    _("Moving…"), department_id)

    def add_department(self, name: str, parent_id: int | None) -> None:
        payload = {"name": name, "parent_id": parent_id}
        self._write(lambda api: api.create(DEPARTMENT, payload), _("Saving…"), parent_id)

    def rename_department(self, department_id: int, name: str) -> None:
        record = self.model.records.get(department_id)
        if record is None:
            return
        self._write(lambda api: api.update(DEPARTMENT, department_id, record.version,
                                           {"name": name}), _("Saving…"), department_id)

    def delete_department(self, department_id: int) -> None:
        record = self.model.records.get(department_id)
        if record is None:
            return
        self._write(lambda api: api.delete(DEPARTMENT, department_id, record.version),
                    _("Deleting…"), record.parent_id)

    # -- loading -----------------------------------------------------------------------------

    def _show(self, records: list[DepartmentRead]) -> None:
        expanded = self._expanded_ids()
        current = self.current_id()
        first_load = not self.model.records
        self.model.set_departments(records)
        if first_load:
            self.tree.expandToDepth(1)
        else:
            for department_id in expanded:
                index = self.model.index_of(department_id)
                if index.isValid():
                    self.tree.expand(index)
        chosen, self._pending_select = self._pending_select or current, None
        if chosen is not None:
            self.select(chosen)
        self._update_actions()
        self.sig_loaded.emit()

    def _expanded_ids(self) -> list[int]:
        found: list[int] = []

        def walk(parent: QModelIndex) -> None:
            for row in range(self.model.rowCount(parent)):
                index = self.model.index(row, 0, parent)
                if self.tree.isExpanded(index):
                    department_id = self.model.department_id(index)
                    if department_id is not None:
                        found.append(department_id)
                    walk(index)

        walk(QModelIndex())
        return found

    def _on_entity_changed(self, key: str, _ids: list[int]) -> None:
        if key == DEPARTMENT.key:
            self.reload()

    # -- writing -----------------------------------------------------------------------------

    def _write(self, call: Callable[[ApiClient], Any], progress: str,
               then_select: int | None) -> None:
        def done(result: Any) -> None:  # the reload after the change selects it
            chosen = getattr(result, "id", None) if isinstance(result, BaseModel) else None
            self._pending_select = chosen if chosen is not None else then_select

        (
            self._ctx.tasks.mutation(self, call, DEPARTMENT.key,
                                     lambda result: [getattr(result, "id", 0)] if isinstance(
                                         result, BaseModel) else [])
            .success(done)
            .failure(self._write_failed)
            .with_progress(progress)
            .run()
        )

    def _write_failed(self, error: BaseException) -> bool:
        """The server's reason, then the tree as stored (undoes nothing on screen: the
        tree never changed before the server agreed)."""
        if isinstance(error, ServerUnreachable):
            return False  # the offline banner and its Retry
        if isinstance(error, ApiError):
            text = describe_failure(error, DEPARTMENT.key)
            fields = "\n".join(dict.fromkeys((error.fields or {}).values()))
            message = fields if fields and fields != error.detail else text.message
            box = QMessageBox(QMessageBox.Icon.Warning, text.title, message,
                              QMessageBox.StandardButton.Ok, self)
            box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.error_box = box
            box.open()
            self.reload()
            return True
        return False

    # -- dialogs -----------------------------------------------------------------------------

    def _ask_add(self) -> None:
        parent_id = self.current_id()
        parent = self.model.records.get(parent_id) if parent_id is not None else None
        label = (_("Name of the new department under “{parent}”:").format(parent=parent.name)
                 if parent is not None else _("Name of the new top-level department:"))
        name, ok = QInputDialog.getText(self, _("Add department"), label)
        if ok and name.strip():
            self.add_department(name.strip(), parent_id)

    def _ask_rename(self) -> None:
        department_id = self.current_id()
        record = self.model.records.get(department_id) if department_id is not None else None
        if record is None:
            return
        name, ok = QInputDialog.getText(self, _("Rename department"), _("New name:"),
                                        QLineEdit.EchoMode.Normal, record.name or "")
        if ok and name.strip() and name.strip() != record.name:
            self.rename_department(record.id, name.strip())

    def _ask_delete(self) -> None:
        department_id = self.current_id()
        record = self.model.records.get(department_id) if department_id is not None else None
        if record is None:
            return
        answer = QMessageBox.question(
            self, _("Delete"),
            _("Delete the department “{name}”? It goes to the recycle bin and can be "
              "restored.").format(name=record.name))
        if answer == QMessageBox.StandardButton.Yes:
            self.delete_department(record.id)

    def _edit_current(self) -> None:
        department_id = self.current_id()
        if department_id is None:
            return
        form = EntityFormDialog(self._ctx, DEPARTMENT, department_id, self)
        form.show()


register_list(DEPARTMENT.key, lambda ctx, _spec: DepartmentTreeView(ctx))
