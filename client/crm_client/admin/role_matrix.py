"""``PermissionMatrixWidget``: a role's grants as a table people can read and change at once.

Left, the matrix: one row per registered entity, one column per action that some entity
offers (the registry says which: no export or import columns before those features exist),
each cell the data scope of that action (none / own / department / department and below /
all); a cell of an action its entity does not offer is disabled. Right, the
fields of the entity selected in the matrix, each with its access level (hidden / masked /
read-only / editable). The widget holds a working copy of the grants; ``permissions()``
returns it with every registered entity present — an entity with no rights is stored as
an explicit empty grant, because a missing key on a built-in role gets its defaults back at
the next upgrade.
"""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFocusEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QMenu,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from crm_client.admin.common import read_only_table
from crm_client.core.i18n import _
from crm_client.widgets.value_combo import CellComboBox, ValueComboBox
from crm_common.entities import REGISTRY, EntitySpec, FieldSpec
from crm_common.permissions import (
    ACCESS_LABELS,
    ACCESS_ORDER,
    ACTION_LABELS,
    SCOPE_LABELS,
    SCOPE_ORDER,
    Action,
    DataScope,
    EntityGrant,
    FieldAccess,
    Permissions,
)

ENTITY_COLUMN_WIDTH = 130
SCOPE_COLUMN_WIDTH = 118
FIELD_COLUMN_WIDTH = 170
MATRIX_ROW_HEIGHT = 30
MUTED = "#6b7280"
# Text and background of a cell by value: the wider a scope, the stronger its blue, so the
# matrix reads at a glance; restricted fields stand out in red, orange and blue.
_SCOPE_COLOURS: dict[str, tuple[str, str]] = {
    DataScope.OWN: ("#0b3a6e", "#e6f4ff"),
    DataScope.DEPARTMENT: ("#0b3a6e", "#bae0ff"),
    DataScope.SUBTREE: ("#0b3a6e", "#91caff"),
    DataScope.ALL: ("#ffffff", "#4096ff"),
}
_ACCESS_COLOURS: dict[str, tuple[str, str]] = {
    FieldAccess.HIDDEN: ("#a8071a", "#fff1f0"),
    FieldAccess.MASKED: ("#ad4e00", "#fff7e6"),
    FieldAccess.READ: ("#0b3a6e", "#f0f7ff"),
}
_SELECTED_ENTITY = "#e6f4ff"


class _CellCombo(CellComboBox):
    """A combo in a table cell: tells the table when it gets focus (so its row is selected)
    and colours its text by value, so a matrix reads at a glance."""

    sig_focused = Signal()

    def __init__(self, colours: dict[str, tuple[str, str]], parent: QWidget | None = None
                 ) -> None:
        super().__init__(parent)
        self._colours = colours
        self.currentIndexChanged.connect(lambda _index: self._colour())

    def focusInEvent(self, event: QFocusEvent) -> None:
        super().focusInEvent(event)
        self.sig_focused.emit()

    def _colour(self) -> None:
        colours = self._colours.get(str(self.value()))
        if colours is None:
            self.setStyleSheet("")
            return
        text, background = colours
        self.setStyleSheet(f"QComboBox {{ color: {text}; background: {background}; }}")


def default_access(field: FieldSpec) -> FieldAccess:
    """What a field the role does not mention amounts to: editable, or read-only for the
    fields the server computes (nobody edits those)."""
    return FieldAccess.EDIT if field.editable else FieldAccess.READ


def full_grants(permissions: Permissions) -> dict[str, EntityGrant]:
    """A copy of the role's grants with every registered entity present (and those of
    entities this client does not know, a newer server's, kept as they are)."""
    grants = {key: grant.model_copy(deep=True) for key, grant in permissions.entities.items()}
    for key in REGISTRY:
        grants.setdefault(key, EntityGrant())
    return grants


class PermissionMatrixWidget(QWidget):
    """``sig_changed`` whenever a scope or an access level is changed by the user."""

    sig_changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._specs: list[EntitySpec] = list(REGISTRY.values())
        self.matrix_actions = tuple(action for action in Action
                             if any(action in spec.actions for spec in self._specs))
        self._grants: dict[str, EntityGrant] = full_grants(Permissions())
        self._scope_combos: dict[tuple[str, Action], _CellCombo] = {}
        self._access_combos: dict[str, _CellCombo] = {}
        self._current = ""
        self.matrix = self._make_matrix()
        self.fields_title = QLabel(self)
        self.fields_title.setStyleSheet("font-weight: 600;")
        self.fields_hint = QLabel(self)
        self.fields_hint.setWordWrap(True)
        self.fields_hint.setStyleSheet(f"color: {MUTED};")
        self.fields = self._make_fields_table()
        self._build()
        self.select_entity(self._specs[0].key)

    # -- building ----------------------------------------------------------------------------

    def _make_matrix(self) -> QTableWidget:
        table = QTableWidget(len(self._specs), len(self.matrix_actions) + 1, self)
        table.setHorizontalHeaderLabels(
            [_("Data"), *(_(ACTION_LABELS[action]) for action in self.matrix_actions)])
        read_only_table(table, MATRIX_ROW_HEIGHT)  # rows of combo boxes: a little taller
        header = table.horizontalHeader()
        header.resizeSection(0, ENTITY_COLUMN_WIDTH)
        for column in range(1, len(self.matrix_actions) + 1):
            header.resizeSection(column, SCOPE_COLUMN_WIDTH)
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)  # no blank
        for row, spec in enumerate(self._specs):
            item = QTableWidgetItem(_(spec.label_plural))
            item.setToolTip(_("Right-click to set every action of this row at once"))
            table.setItem(row, 0, item)
            for column, action in enumerate(self.matrix_actions, start=1):
                table.setCellWidget(row, column, self._scope_combo(spec.key, action, row))
        table.currentCellChanged.connect(lambda row, *_rest: self._on_row(row))
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._row_menu)
        columns = len(self.matrix_actions)
        table.setMinimumWidth(ENTITY_COLUMN_WIDTH + SCOPE_COLUMN_WIDTH * columns + 4)
        return table

    def _scope_combo(self, key: str, action: Action, row: int) -> _CellCombo:
        combo = _CellCombo(_SCOPE_COLOURS, self)
        for scope in SCOPE_ORDER:
            combo.add_option(_(SCOPE_LABELS[scope]), scope)
        spec = self._specs[row]
        combo.setToolTip(_("{action} {entities}: which records").format(
            action=_(ACTION_LABELS[action]), entities=_(spec.label_plural)))
        if action not in spec.actions:
            combo.setEnabled(False)
            combo.setToolTip((_("{entities} are only read, never written") if spec.read_only
                              else _("{entities} do not offer this")).format(
                entities=_(spec.label_plural)))
        combo.sig_focused.connect(lambda: self.matrix.selectRow(row))
        combo.activated.connect(lambda _index: self._on_scope(key, action, combo.value()))
        self._scope_combos[(key, action)] = combo
        return combo

    def _make_fields_table(self) -> QTableWidget:
        table = QTableWidget(0, 2, self)
        table.setHorizontalHeaderLabels([_("Field"), _("Access")])
        read_only_table(table, MATRIX_ROW_HEIGHT)
        table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        header = table.horizontalHeader()
        header.resizeSection(0, FIELD_COLUMN_WIDTH)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        return table

    def _build(self) -> None:
        side = QWidget(self)
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.setSpacing(4)
        side_layout.addWidget(self.fields_title)
        side_layout.addWidget(self.fields_hint)
        side_layout.addWidget(self.fields, 1)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setChildrenCollapsible(False)
        splitter.addWidget(self.matrix)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(splitter)

    # -- public ------------------------------------------------------------------------------

    def set_permissions(self, permissions: Permissions) -> None:
        """Show ``permissions`` (signals nothing: loading is not a change)."""
        self._grants = full_grants(permissions)
        for (key, action), combo in self._scope_combos.items():
            combo.set_value(self._grants[key].scope(action))
        self._show_fields(self._current)

    def permissions(self, admin: bool = False) -> Permissions:
        entities = {key: grant.model_copy(deep=True) for key, grant in self._grants.items()}
        return Permissions(admin=admin, entities=entities)

    def scope(self, key: str, action: Action) -> DataScope:
        return self._grants[key].scope(action)

    def set_scope(self, key: str, action: Action, scope: DataScope) -> None:
        """As if chosen in the cell's combo."""
        self._scope_combos[(key, action)].set_value(scope)
        self._on_scope(key, action, scope)

    def access(self, key: str, field: str) -> FieldAccess:
        spec = REGISTRY[key]
        return self._grants[key].fields.get(field, default_access(spec.field(field)))

    def set_access(self, key: str, field: str, access: FieldAccess) -> None:
        """As if chosen in the field's combo (the entity is selected first)."""
        self.select_entity(key)
        self._access_combos[field].set_value(access)
        self._on_access(key, REGISTRY[key].field(field), access)

    def access_combo(self, field: str) -> ValueComboBox:
        """The combo of ``field`` of the selected entity (tests and keyboard focus)."""
        return self._access_combos[field]

    def scope_combo(self, key: str, action: Action) -> ValueComboBox:
        return self._scope_combos[(key, action)]

    def selected_entity(self) -> str:
        return self._current

    def select_entity(self, key: str) -> None:
        """Select the entity's row and show its fields."""
        row = next(row for row, spec in enumerate(self._specs) if spec.key == key)
        self.matrix.blockSignals(True)
        self.matrix.setCurrentCell(row, 0)
        self.matrix.blockSignals(False)
        if key != self._current or not self._access_combos:
            self._show_fields(key)

    # -- reacting ----------------------------------------------------------------------------

    def _on_row(self, row: int) -> None:
        if 0 <= row < len(self._specs) and self._specs[row].key != self._current:
            self._show_fields(self._specs[row].key)

    def _on_scope(self, key: str, action: Action, scope: DataScope) -> None:
        actions = self._grants[key].actions
        if scope is DataScope.NONE:
            actions.pop(action, None)
        else:
            actions[action] = scope
        if key == self._current and action is Action.READ:
            self._show_hint(key)
        self.sig_changed.emit()

    def _on_access(self, key: str, field: FieldSpec, access: FieldAccess) -> None:
        fields = self._grants[key].fields
        if access is default_access(field):
            fields.pop(field.name, None)
        else:
            fields[field.name] = access
        self.sig_changed.emit()

    def _row_menu(self, position: QPoint) -> None:
        row = self.matrix.rowAt(position.y())
        if not 0 <= row < len(self._specs):
            return
        key = self._specs[row].key
        menu = QMenu(self)
        for scope in SCOPE_ORDER:
            label = _("Every action: {scope}").format(scope=_(SCOPE_LABELS[scope]))
            menu.addAction(label).triggered.connect(
                lambda _checked=False, s=scope: self._set_row(key, s))
        menu.popup(self.matrix.viewport().mapToGlobal(position))

    def _set_row(self, key: str, scope: DataScope) -> None:
        for action in self.matrix_actions:
            if self._scope_combos[(key, action)].isEnabled():
                self.set_scope(key, action, scope)

    # -- the field list ----------------------------------------------------------------------

    def _show_fields(self, key: str) -> None:
        self._current = key
        spec = REGISTRY[key]
        for row, each in enumerate(self._specs):
            shade = QBrush(QColor(_SELECTED_ENTITY)) if each.key == key else QBrush()
            item = self.matrix.item(row, 0)
            if item is not None:
                item.setBackground(shade)
        self.fields_title.setText(_("Fields of {entities}").format(
            entities=_(spec.label_plural)))
        self._show_hint(key)
        self._access_combos = {}
        self.fields.setRowCount(len(spec.fields))
        for row, field in enumerate(spec.fields):
            label = QTableWidgetItem(_(field.label))
            label.setToolTip(_(field.label))
            self.fields.setItem(row, 0, label)
            self.fields.setCellWidget(row, 1, self._access_combo(spec, field))

    def _show_hint(self, key: str) -> None:
        readable = self._grants[key].scope(Action.READ) is not DataScope.NONE
        self.fields_hint.setText("" if readable else _(
            "This role cannot read {entities}; the field settings apply once Read is granted."
        ).format(entities=_(REGISTRY[key].label_plural)))
        self.fields_hint.setVisible(not readable)

    def _access_combo(self, spec: EntitySpec, field: FieldSpec) -> _CellCombo:
        combo = _CellCombo(_ACCESS_COLOURS, self.fields)
        for access in ACCESS_ORDER:
            if access is FieldAccess.EDIT and not field.editable:
                continue  # computed by the server: read-only at most
            combo.add_option(_(ACCESS_LABELS[access]), access)
        combo.set_value(self._grants[spec.key].fields.get(field.name, default_access(field)))
        combo.setToolTip(_(field.label))
        combo.activated.connect(
            lambda _index: self._on_access(spec.key, field, combo.value()))
        self._access_combos[field.name] = combo
        return combo

