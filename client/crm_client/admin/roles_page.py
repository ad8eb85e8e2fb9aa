"""``RolesPage``: the roles of the company, and the way into their permission matrices.

New, Duplicate (a new role starting from the selected one's grants), Edit, Delete (not for
built-in roles, which the server refuses anyway) and "Preview as this role". The list is
reloaded whenever a role is saved anywhere in the client.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QHeaderView, QMenu, QMessageBox, QToolBar, QVBoxLayout, QWidget

from crm_client.admin.common import ConsolePage
from crm_client.admin.preview import RolePreviewWindow
from crm_client.admin.role_editor import RoleEditorDialog
from crm_client.core.i18n import _
from crm_client.models.entity_model import EntityTableModel
from crm_client.models.page_loader import PageLoader
from crm_client.widgets.actions import tool_action
from crm_client.widgets.record_table import RecordTableView
from crm_common.entities import entity
from crm_common.schemas.role import RoleRead

if TYPE_CHECKING:
    from crm_client.core.context import AppContext

ROLE = entity("role")
ROLES_AT_ONCE = 500  # a company has tens of roles: one page holds them all
COLUMNS = ("name", "is_builtin", "description")


class RolesPage(ConsolePage):
    """``sig_loaded`` after the list arrived; ``editors`` are the open editors of existing
    roles by id (a second Edit raises the open one)."""

    sig_loaded = Signal()

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self.editors: dict[int, RoleEditorDialog] = {}
        self.preview_window: RolePreviewWindow | None = None
        self.model = EntityTableModel([ROLE.field(name) for name in COLUMNS], self)
        self.table = RecordTableView(self)
        self.table.setModel(self.model)
        self.loader = PageLoader(ctx, ROLE, self.model,
                                 lambda: {"sort": "name", "limit": ROLES_AT_ONCE}, self,
                                 _("Loading {entities}…").format(entities=_("Roles")))
        self.loader.sig_loaded.connect(self._on_loaded)
        self.loader.sig_failed.connect(lambda: self.table.set_empty_text(
            _("The list could not be loaded. Press F5 to try again.")))
        self._make_actions()
        self._build()
        ctx.changes.sig_entity_changed.connect(self._on_entity_changed)

    def _make_actions(self) -> None:
        keys = QKeySequence.StandardKey
        enter = [QKeySequence(Qt.Key.Key_Return), QKeySequence(Qt.Key.Key_Enter)]
        self.new_action = tool_action(self, _("New"), "add", self.new_role, [keys.New])
        self.edit_action = tool_action(self, _("Edit"), "edit", self.edit_current, enter,
                                       self.table)
        self.duplicate_action = tool_action(self, _("Duplicate role"), "add",
                                            self.duplicate_current, ["Ctrl+D"])
        self.delete_action = tool_action(self, _("Delete"), "delete", self.delete_current,
                                         [keys.Delete], self.table)
        self._delete_tip = self.delete_action.toolTip()
        self.preview_action = tool_action(self, _("Preview as this role"), "search",
                                          self.preview_current)
        self.refresh_action = tool_action(self, _("Refresh"), "refresh", self.load,
                                          [keys.Refresh])

    def _build(self) -> None:
        toolbar = QToolBar(self)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        for action in (self.new_action, self.edit_action, self.duplicate_action,
                       self.delete_action):
            toolbar.addAction(action)
        toolbar.addSeparator()
        toolbar.addAction(self.preview_action)
        toolbar.addAction(self.refresh_action)
        header = self.table.horizontalHeader()
        header.resizeSection(0, 200)
        header.resizeSection(1, 80)
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.table.sort_header.set_sortable_sections(frozenset())  # few rows, by name
        self.table.sort_header.setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.table.doubleClicked.connect(lambda _index: self.edit_current())
        self.table.selectionModel().selectionChanged.connect(self._update_actions)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._show_menu)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 8)
        layout.setSpacing(6)
        layout.addWidget(toolbar)
        layout.addWidget(self.table, 1)
        self._update_actions()

    # -- public ------------------------------------------------------------------------------

    def load(self) -> None:
        self.table.set_empty_text("")
        self.loader.reload()

    def current_role(self) -> RoleRead | None:
        return cast(RoleRead | None, self.model.record(self.table.current_row()))

    def select_role(self, role_id: int) -> None:
        row = self.model.row_of(role_id)
        if row >= 0:
            self.table.selectRow(row)

    def new_role(self) -> RoleEditorDialog:
        return self._open_editor(None)

    def duplicate_current(self) -> RoleEditorDialog | None:
        role = self.current_role()
        return None if role is None else self._open_editor(None, template=role)

    def edit_current(self) -> RoleEditorDialog | None:
        role = self.current_role()
        return None if role is None else self._open_editor(role.id)

    def preview_current(self) -> RolePreviewWindow | None:
        role = self.current_role()
        if role is None:
            return None
        self.preview_window = RolePreviewWindow(self._ctx, role, self.window())
        self.preview_window.show()
        return self.preview_window

    def delete_current(self) -> None:
        role = self.current_role()
        if role is None or role.is_builtin:
            return
        answer = QMessageBox.question(self, _("Delete role"), _(
            "Delete the role “{role}”? Users who have it lose its rights.").format(
                role=role.name or ""))
        if answer != QMessageBox.StandardButton.Yes:
            return
        role_id, version = role.id, role.version
        (
            self._ctx.tasks.mutation(self, lambda api: api.delete(ROLE, role_id, version),
                                     ROLE.key, lambda _result: [role_id])
            .with_progress(_("Deleting…"))
            .run()
        )

    # -- reacting ----------------------------------------------------------------------------

    def _open_editor(self, role_id: int | None, template: RoleRead | None = None
                     ) -> RoleEditorDialog:
        existing = self.editors.get(role_id) if role_id is not None else None
        if existing is not None:
            existing.raise_()
            existing.activateWindow()
            return existing
        editor = RoleEditorDialog(self._ctx, role_id, self, template=template)
        if role_id is not None:
            self.editors[role_id] = editor
            editor.finished.connect(lambda _result: self.editors.pop(role_id, None))
        editor.show()
        return editor

    def _on_loaded(self) -> None:
        self.table.set_empty_text(_("No records yet."))
        self._update_actions()
        self.sig_loaded.emit()

    def _on_entity_changed(self, key: str, _ids: list[int]) -> None:
        if key == ROLE.key and self._loaded_once:
            self.load()

    def _update_actions(self, *_args: Any) -> None:
        role = self.current_role()
        for action in (self.edit_action, self.duplicate_action, self.preview_action):
            action.setEnabled(role is not None)
        self.delete_action.setEnabled(role is not None and not role.is_builtin)
        builtin = role is not None and role.is_builtin
        self.delete_action.setToolTip(
            _("Built-in roles cannot be deleted") if builtin else self._delete_tip)

    def _show_menu(self, position: QPoint) -> None:
        menu = QMenu(self)
        for action in (self.edit_action, self.duplicate_action, self.delete_action,
                       self.preview_action, self.new_action):
            menu.addAction(action)
        menu.popup(self.table.viewport().mapToGlobal(position))
