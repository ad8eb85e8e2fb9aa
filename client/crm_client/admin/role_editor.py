"""``RoleEditorDialog``: name, description and the permission matrix of one role.

New, duplicated or existing roles. Save (Ctrl+S) sends the whole permissions JSON with the
role's version; when someone else saved the role meanwhile (409) the person chooses between
loading their version and saving this one over it — nothing is overwritten silently. Escape
asks before unsaved changes are thrown away. "Preview as this role" shows the data as the
saved role sees it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from crm_client.admin.preview import RolePreviewWindow
from crm_client.admin.role_matrix import PermissionMatrixWidget
from crm_client.core.i18n import _
from crm_client.widgets.banner import Banner, BannerLevel
from crm_client.widgets.edit_form import EditDialogMixin
from crm_client.widgets.field_error import FieldErrorLabel
from crm_common.entities import entity
from crm_common.errors import StaleVersion
from crm_common.permissions import Permissions
from crm_common.schemas.role import RoleRead

if TYPE_CHECKING:
    from crm_client.core.context import AppContext

ROLE = entity("role")
NAME_MAX = 64
DESCRIPTION_MAX = 500
MUTED = "#6b7280"


class RoleEditorDialog(EditDialogMixin, QDialog):
    """``sig_saved(role)`` after a successful save. ``role_id`` None makes a new role,
    from ``template`` when given (Duplicate)."""

    sig_saved = Signal(object)

    def __init__(
        self,
        ctx: AppContext,
        role_id: int | None,
        parent: QWidget | None = None,
        *,
        template: RoleRead | None = None,
    ) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._ctx = ctx
        self._role_id = role_id
        self._role: RoleRead | None = None
        self._baseline: dict[str, Any] = {}
        self._busy = False
        self.conflict_box: QMessageBox | None = None
        self.preview_window: RolePreviewWindow | None = None
        self.banner = Banner(self)
        self.banner.sig_action.connect(self._run_retry)
        self.name_edit = QLineEdit(self)
        self.name_edit.setMaxLength(NAME_MAX)
        self.description_edit = QLineEdit(self)
        self.description_edit.setMaxLength(DESCRIPTION_MAX)
        self.errors = {"name": FieldErrorLabel(self), "description": FieldErrorLabel(self)}
        self.builtin_note = QLabel(_("Built-in role: it can be changed, not deleted."), self)
        self.builtin_note.setStyleSheet(f"color: {MUTED};")
        self.builtin_note.hide()
        self.admin_check = QCheckBox(_("Administrator (all rights)"), self)
        self.admin_check.setToolTip(_(
            "Administrators may do everything, including this console; the matrix below "
            "is then not used."))
        self.matrix = PermissionMatrixWidget(self)
        self.preview_button = QPushButton(_("Preview as this role…"), self)
        self.save_button = QPushButton(_("Save"), self)
        self.content = QWidget(self)
        self._build()
        self._connect()
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)
        if role_id is not None:
            self.setWindowTitle(_("Edit role"))
            self._load()
        else:
            self.setWindowTitle(_("New role"))
            self._fill_new(template)

    # -- building ----------------------------------------------------------------------------

    def _build(self) -> None:
        form = QGridLayout()
        form.setHorizontalSpacing(10)
        form.setVerticalSpacing(4)
        for row, (text, edit, name) in enumerate((
            (_("Name"), self.name_edit, "name"),
            (_("Description"), self.description_edit, "description"),
        )):
            label = QLabel(text, self)
            label.setBuddy(edit)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            form.addWidget(label, row * 2, 0)
            form.addWidget(edit, row * 2, 1)
            form.addWidget(self.errors[name], row * 2 + 1, 1)
        form.setColumnStretch(1, 1)
        hint = QLabel(_(
            "Each cell says which records the role reaches for that action. Select a row "
            "to set its fields; right-click a row to set the whole row."), self)
        hint.setWordWrap(True)
        hint.setStyleSheet(f"color: {MUTED};")
        inner = QVBoxLayout(self.content)
        inner.setContentsMargins(0, 0, 0, 0)
        inner.setSpacing(8)
        inner.addLayout(form)
        inner.addWidget(self.builtin_note)
        inner.addWidget(self.admin_check)
        inner.addWidget(hint)
        inner.addWidget(self.matrix, 1)
        self.save_button.setDefault(True)
        self.save_button.setToolTip(_("Save (Ctrl+S)"))
        cancel = QPushButton(_("Cancel"), self)
        cancel.setAutoDefault(False)
        cancel.clicked.connect(self.reject)
        self.preview_button.setAutoDefault(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.preview_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(cancel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(10)
        layout.addWidget(self.banner)
        layout.addWidget(self.content, 1)
        layout.addLayout(buttons)
        self.resize(1180, 660)

    def _connect(self) -> None:
        self.save_button.clicked.connect(self.save)
        self.preview_button.clicked.connect(self.open_preview)
        self.admin_check.toggled.connect(self._on_admin_toggled)
        self.matrix.sig_changed.connect(self._update_buttons)
        for name, edit in (("name", self.name_edit), ("description", self.description_edit)):
            edit.textEdited.connect(lambda _text, n=name: self._on_edited(n))

    # -- filling -----------------------------------------------------------------------------

    def _fill_new(self, template: RoleRead | None) -> None:
        if template is None:
            self._fill_fields("", "", Permissions())
        else:
            name = _("{name} (copy)").format(name=template.name or "")
            self._fill_fields(name[:NAME_MAX], template.description or "", template.permissions)
        self._baseline = self.state()  # closing an untouched new role asks nothing
        self._update_buttons()

    def _fill(self, role: RoleRead) -> None:
        self._role = role
        self._role_id = role.id
        self._fill_fields(role.name or "", role.description or "", role.permissions)
        self.builtin_note.setVisible(bool(role.is_builtin))
        self.setWindowTitle(_("Edit role") + f" — {role.name or ''}")
        self._baseline = self.state()
        for error in self.errors.values():
            error.set_error(None)
        self._update_buttons()

    def _fill_fields(self, name: str, description: str, permissions: Permissions) -> None:
        self.name_edit.setText(name)
        self.description_edit.setText(description)
        self.admin_check.setChecked(permissions.admin)
        self.matrix.set_permissions(permissions)
        self.matrix.setEnabled(not permissions.admin)

    def _load(self) -> None:
        assert self._role_id is not None
        role_id = self._role_id
        self._set_busy(True)
        self._retry = self._load
        (
            self._ctx.tasks.query(self, lambda api: api.get(ROLE, role_id))
            .success(self._on_loaded)
            .failure(self._on_load_failed)
            .finished(lambda: self._set_busy(False))
            .with_progress(_("Loading…"))
            .run()
        )

    def _on_loaded(self, role: Any) -> None:
        self.banner.clear()
        self._fill(cast(RoleRead, role))

    # -- state -------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        """Name, description and the whole permissions JSON as they would be saved."""
        admin = self.admin_check.isChecked()
        return {
            "name": self.name_edit.text().strip(),
            "description": self.description_edit.text().strip() or None,
            "permissions": self.matrix.permissions(admin).model_dump(mode="json"),
        }

    def changes(self) -> dict[str, Any]:
        current = self.state()
        return {name: value for name, value in current.items()
                if value != self._baseline.get(name)}

    def is_dirty(self) -> bool:
        return bool(self.changes())

    def _on_edited(self, name: str) -> None:
        self.errors[name].set_error(None)
        self._update_buttons()

    def _on_admin_toggled(self, admin: bool) -> None:
        self.matrix.setEnabled(not admin)
        self._update_buttons()

    def _update_buttons(self) -> None:
        saved = self._role is not None
        dirty = self.is_dirty()
        self.preview_button.setEnabled(saved and not dirty and not self._busy)
        if not saved:
            tip = _("Save the role first, then preview it.")
        elif dirty:
            tip = _("Save your changes first: the preview shows the saved role.")
        else:
            tip = _("See the data as a user with only this role would (read-only)")
        self.preview_button.setToolTip(tip)
        title = self.windowTitle().removesuffix(" *")
        self.setWindowTitle(title + (" *" if dirty else ""))

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.content.setEnabled(not busy)
        self.save_button.setEnabled(not busy)
        self._update_buttons()

    # -- saving ------------------------------------------------------------------------------

    def save(self) -> None:
        if self._busy or (self._role_id is not None and self._role is None):
            return
        state = self.state()
        if not state["name"]:
            self.errors["name"].set_error(_("Please fill this in"))
            self.name_edit.setFocus()
            return
        if self._role is None:
            self._send(lambda api: api.create(ROLE, state), lambda: self.save())
            return
        changes = self.changes()
        if not changes:
            self._close_saved()
            return
        self._send_update(changes, self._role.version)

    def _send_update(self, changes: dict[str, Any], version: int) -> None:
        assert self._role is not None
        role_id = self._role.id
        self._send(lambda api: api.update(ROLE, role_id, version, changes),
                   lambda: self._send_update(changes, version))

    def _send(self, call: Callable[[Any], Any], again: Callable[[], None]) -> None:
        self._set_busy(True)
        self._retry = again
        self.banner.clear()
        (
            self._ctx.tasks.mutation(self, call, ROLE.key, lambda role: [role.id])
            .success(self._on_saved)
            .failure(self._on_save_failed)
            .finished(lambda: self._set_busy(False))
            .with_progress(_("Saving…"))
            .run()
        )

    def _on_saved(self, role: Any) -> None:
        self._fill(cast(RoleRead, role))
        self.sig_saved.emit(role)
        self._close_saved()

    def _close_saved(self) -> None:
        self._discard_confirmed = True
        self.accept()

    def _focus_field(self, name: str) -> None:
        {"name": self.name_edit, "description": self.description_edit}[name].setFocus()

    # -- someone else saved meanwhile --------------------------------------------------------

    def _resolve_conflict(self, error: StaleVersion) -> None:
        raw = (error.data or {}).get("current")
        current = RoleRead.model_validate(raw) if raw else None
        mine = self.changes()
        box = QMessageBox(QMessageBox.Icon.Warning, _("Changed by someone else"), _(
            "Someone else saved this role after you opened it. Nothing has been saved yet. "
            "Load their version (your changes are discarded), or save yours over it."),
            parent=self)
        reload = box.addButton(_("Reload"), QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton(_("Save mine over it"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(_("Cancel"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(reload)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered(_result: int) -> None:
            clicked = box.clickedButton()
            if clicked is reload:
                self._reload(current)
            elif clicked is keep:
                self._save_over(current, mine)

        box.finished.connect(answered)
        self.conflict_box = box
        box.open()

    def _reload(self, current: RoleRead | None) -> None:
        if current is None:
            self._load()
            return
        self._fill(current)
        self.banner.show_message(_("The saved version has been loaded."), None, BannerLevel.INFO)

    def _save_over(self, current: RoleRead | None, mine: dict[str, Any]) -> None:
        if current is None:
            self.banner.show_message(_("Reload the role, then make your changes again."),
                                     None, BannerLevel.WARNING)
            return
        self._role = current
        self._send_update(mine, current.version)

    # -- preview -----------------------------------------------------------------------------

    def open_preview(self) -> None:
        if self._role is None:
            return
        owner = self.parentWidget()  # the preview may outlive this dialog
        window = RolePreviewWindow(self._ctx, self._role, owner.window() if owner else None)
        window.show()
        self.preview_window = window
