"""``EntityFormDialog``: create or edit one record of any registered entity.

The form is built from ``spec.form_fields`` and their kinds (editors in
``widgets.field_editors``). It loads and saves off the GUI thread, sends only the fields the
user changed together with the record's ``version``, and never loses what was typed: field
errors appear under their fields, a stale version opens the conflict dialog, an unreachable
server leaves the dialog open with a Retry banner.

Entities whose form does more (a user's password reset, a new customer's duplicate check)
register a ``FormExtension`` (``views.screens.register_form``); this module names no entity.

The form follows the person's role: fields it hides are left out, masked ones show their
masked text greyed out, read-only ones are greyed out with a tooltip, and only fields the
role may edit are ever sent. A record the role may read but not change opens read-only.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar, cast

from pydantic import BaseModel
from pydantic_core import PydanticUndefined
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from crm_client.core.i18n import _
from crm_client.models.formatting import describe_value, masked_text
from crm_client.views.screens import form_extensions
from crm_client.widgets.banner import Banner, BannerLevel
from crm_client.widgets.conflict_dialog import ConflictChoice, ConflictDialog, ConflictRow
from crm_client.widgets.edit_form import EditDialogMixin
from crm_client.widgets.editor_base import FieldEditor
from crm_client.widgets.field_editors import MaskedEditor, RefEditor, editor_for
from crm_client.widgets.field_error import ERROR_COLOUR, FieldErrorLabel
from crm_client.widgets.suggest_editors import link_regions
from crm_common.entities import EntitySpec, FieldSpec, Kind, entity
from crm_common.errors import ApiError, Duplicate, StaleVersion, ValidationFailed
from crm_common.i18n import N_
from crm_common.permissions import Action, FieldAccess
from crm_common.schemas.base import RecordRead

if TYPE_CHECKING:
    from crm_client.core.context import AppContext
    from crm_client.views.form_extension import FormExtension

Extension = TypeVar("Extension", bound="FormExtension")

TWO_COLUMNS_FROM = 9  # forms with more fields than this use two columns
WIDE_FIELD_WIDTH = 240  # fields at least this wide in lists span both form columns
_WIDE_KINDS = frozenset({Kind.LONG_TEXT, Kind.TAGS})
_EMPTY: tuple[Any, ...] = (None, "", [])
READ_ONLY_TIP = N_("Read-only for your role")
FIXED_TIP = N_("Cannot be changed once created")
# What the role may not change stays readable: dark text on a light grey field.
READ_ONLY_STYLE = """
QLineEdit:disabled, QPlainTextEdit:disabled, QComboBox:disabled, QSpinBox:disabled,
QDateEdit:disabled, QDateTimeEdit:disabled, QListWidget:disabled {
    color: #374151; background: #f3f4f6; }
"""


class EntityFormDialog(EditDialogMixin, QDialog):
    """``sig_saved(record)`` after a successful save; ``sig_open_record(entity, id)`` when
    the user opens another record from the form (a possible duplicate). ``fields`` limits
    the form to some fields (the compact follow-up dialog); ``initial`` prefills values,
    also of fields not shown (they are sent on create)."""

    sig_saved = Signal(object)
    sig_open_record = Signal(str, int)

    def __init__(
        self,
        ctx: AppContext,
        spec: EntitySpec,
        record_id: int | None,
        parent: QWidget | None = None,
        initial: dict[str, Any] | None = None,
        *,
        fields: Sequence[str] | None = None,
    ) -> None:
        super().__init__(parent)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._ctx = ctx
        self._spec = spec
        self._record_id = record_id
        self._initial = dict(initial or {})
        self._record: BaseModel | None = None
        self._baseline: dict[str, Any] = {}
        self._saving = False
        action = Action.CREATE if record_id is None else Action.UPDATE
        self._writable = ctx.can(spec.key, action)
        shown = fields or [f.name for f in (spec.fields if spec.read_only else spec.form_fields)]
        self._access = {name: ctx.field_access(spec.key, name) for name in shown}
        self._fields = [spec.field(name) for name in shown
                        if self._access[name] is not FieldAccess.HIDDEN]
        self.extensions = form_extensions(self, spec.key)
        if fields is None:
            self._add_extra_fields()
        self.editors: dict[str, FieldEditor] = {}
        self.errors: dict[str, FieldErrorLabel] = {}
        self.banner = Banner(self)
        self.banner.sig_action.connect(self._run_retry)
        self.save_button = QPushButton(_("Save"), self)
        self.cancel_button = QPushButton(_("Cancel"), self)
        self.read_only_note = QLabel(
            _("Your role may view this record but not change it."), self)
        self.read_only_note.setObjectName("readOnlyNote")
        self.read_only_note.setStyleSheet("QLabel#readOnlyNote { color: #6b7280; }")
        self.read_only_note.hide()
        self.extra_buttons: list[QPushButton] = []
        self.conflict_dialog: ConflictDialog | None = None
        self._build()
        self._link_lookups()
        link_regions(self.editors.values())
        for extension in self.extensions:
            extension.fields_ready()
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)
        self._apply_write_rights()
        if record_id is None:
            self.setWindowTitle(_("New {entity}").format(entity=_(spec.label)))
            self._fill_new()
            self._focus_first_field()
        else:
            self.setWindowTitle(self._title_text())
            self._load()

    @property
    def ctx(self) -> AppContext:
        return self._ctx

    @property
    def record_id(self) -> int | None:
        """The record edited, None for a new one."""
        return self._record_id

    @property
    def record(self) -> BaseModel | None:
        """The record as last loaded or saved."""
        return self._record

    def extension(self, kind: type[Extension]) -> Extension | None:
        """This form's extension of type ``kind``, if it has one."""
        return next((e for e in self.extensions if isinstance(e, kind)), None)

    def is_writable(self) -> bool:
        """False when the person may only look at this record."""
        return self._writable

    def is_editable(self, name: str) -> bool:
        """Whether the field ``name`` is for this person to change (and so to send)."""
        field = next((f for f in self._fields if f.name == name), None)
        return (self._writable and field is not None and field.editable
                and self._access.get(name) is FieldAccess.EDIT and self._accepts(name))

    def _accepts(self, name: str) -> bool:
        """Whether the create (new record) or update schema takes the field at all."""
        schema = self._spec.create if self._record_id is None else self._spec.update
        return schema is not None and name in schema.model_fields

    def _add_extra_fields(self) -> None:
        """Fields the extensions add (not declared: a new user's first password), after
        the first declared one; always for this person to fill in."""
        for extension in self.extensions:
            for extra in extension.extra_fields():
                self._fields.insert(1, extra)
                self._access[extra.name] = FieldAccess.EDIT

    def _title_text(self) -> str:
        title = _("Edit {entity}") if self._writable else _("View {entity}")
        return title.format(entity=_(self._spec.label))

    def _apply_write_rights(self) -> None:
        """Grey out what this person may not change; without any right, Save goes."""
        for name, editor in self.editors.items():
            if isinstance(editor, MaskedEditor):
                continue
            if not self.is_editable(name):
                fixed = self._access.get(name) is FieldAccess.EDIT and not self._accepts(name)
                editor.set_read_only(_(FIXED_TIP) if fixed and self._writable
                                     else _(READ_ONLY_TIP))
        self.save_button.setVisible(self._writable)
        self.cancel_button.setText(_("Cancel") if self._writable else _("Close"))
        self.cancel_button.setDefault(not self._writable)
        self.read_only_note.setVisible(not self._writable and self._record_id is not None)

    # -- building ----------------------------------------------------------------------------

    def _build(self) -> None:
        self.fields_area = QWidget(self)
        self.fields_area.setStyleSheet(READ_ONLY_STYLE)
        grid = QGridLayout(self.fields_area)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(8)
        two_columns = len(self._fields) >= TWO_COLUMNS_FROM
        self._place_fields(grid, two_columns)
        self.save_button.setDefault(True)
        self.save_button.setToolTip(_("Save (Ctrl+S)"))
        self.save_button.clicked.connect(self.save)
        cancel = self.cancel_button
        cancel.setAutoDefault(False)
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        self._add_extra_buttons(buttons)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(cancel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(12)
        layout.addWidget(self.banner)
        layout.addWidget(self.read_only_note)
        for extension in self.extensions:
            if (banner := extension.banner()) is not None:
                layout.addWidget(banner)
        layout.addWidget(self.fields_area)
        layout.addStretch(1)
        layout.addLayout(buttons)
        self.setMinimumWidth(820 if two_columns else 460)

    def _place_fields(self, grid: QGridLayout, two_columns: bool) -> None:
        row, column = 0, 0
        for field in self._fields:
            wide = two_columns and (field.kind in _WIDE_KINDS or field.width >= WIDE_FIELD_WIDTH)
            if wide and column:
                row, column = row + 1, 0
            editor = self._make_editor(field)
            error = FieldErrorLabel(self.fields_area)
            self.editors[field.name] = editor
            self.errors[field.name] = error
            editor.sig_changed.connect(lambda name=field.name: self.errors[name].set_error(None))
            cell = QVBoxLayout()
            cell.setSpacing(2)
            cell.addWidget(editor.widget)
            cell.addWidget(error)
            cell.addStretch(1)  # the editor stays level with its label when the row grows
            grid.addWidget(self._label(field, editor), row, column * 2,
                           alignment=Qt.AlignmentFlag.AlignTop)
            grid.addLayout(cell, row, column * 2 + 1, 1, 3 if wide else 1)
            if wide or column or not two_columns:
                row, column = row + 1, 0
            else:
                column = 1
        grid.setColumnStretch(1, 1)
        if two_columns:
            grid.setColumnStretch(3, 1)
            grid.setColumnMinimumWidth(2, 100)

    def _make_editor(self, field: FieldSpec) -> FieldEditor:
        if self._access.get(field.name) is FieldAccess.MASKED:
            return MaskedEditor(field, self.fields_area)
        return editor_for(self._ctx, field, self.fields_area)

    def _add_extra_buttons(self, row: QHBoxLayout) -> None:
        for extension in self.extensions:
            for button in extension.buttons():
                button.setAutoDefault(False)
                row.addWidget(button)
                self.extra_buttons.append(button)

    def _label(self, field: FieldSpec, editor: FieldEditor) -> QLabel:
        text = _(field.label)
        if field.required and self.is_editable(field.name):
            text = f'<span style="color:{ERROR_COLOUR}">*</span>&nbsp;{text}'
        label = QLabel(text, self.fields_area)
        label.setBuddy(editor.widget)
        if field.kind in (Kind.LONG_TEXT, Kind.REFS):
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            label.setContentsMargins(0, 4, 0, 0)
        else:  # centred on the editor's first line, also when an error shows below it
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            label.setFixedHeight(editor.widget.sizeHint().height())
        return label

    def _link_lookups(self) -> None:
        """Narrow a lookup to the records that belong to another reference of the form: the
        contact of a follow-up is looked up among the chosen customer's contacts."""
        refs = [e for e in self.editors.values() if isinstance(e, RefEditor)]
        for target in refs:
            owned_by = entity(target.field.ref or "")
            hidden = {name: value for name, value in self._initial.items()
                      if name not in self.editors and _belongs_to(owned_by, name)}
            target.combo.set_params(hidden)
            for source in refs:
                if source is not target and _belongs_to(owned_by, source.field.name):
                    source.sig_changed.connect(
                        lambda t=target, s=source: t.combo.set_params({s.field.name: s.value()})
                    )

    # -- filling -----------------------------------------------------------------------------

    def _fill_new(self) -> None:
        """Defaults of the create schema, then the caller's initial values."""
        create_fields = self._spec.create.model_fields if self._spec.create else {}
        for name, editor in self.editors.items():
            info = create_fields.get(name)
            default = info.default if info is not None else None
            if name in self._initial:
                display = self._initial.get(editor.field.display or "")
                editor.set_value(self._initial[name], display)
            elif name == "owner_id" and not self.is_editable(name):
                editor.set_value(self._ctx.user_id, self._ctx.me.user.name)  # the server's
            elif default not in (None, PydanticUndefined):
                editor.set_value(default)
        self._take_baseline()

    def _fill(self, record: BaseModel) -> None:
        self._record = record
        for name, editor in self.editors.items():
            display = getattr(record, editor.field.display, None) if editor.field.display else None
            if isinstance(editor, MaskedEditor):
                editor.set_value(None, masked_text(record, editor.field))
                continue
            value = getattr(record, name, None)
            if editor.field.kind == Kind.LONG_TEXT and isinstance(value, list):
                value = _change_lines(value)
            editor.set_value(value, display)
        title = getattr(record, self._spec.title_field, "")
        if self._spec.read_only:
            title = describe_value(self._spec.field(self._spec.title_field), title)
        self.setWindowTitle(f"{self._title_text()} — {title}")
        self._take_baseline()

    def _take_baseline(self) -> None:
        self._baseline = {name: editor.value() for name, editor in self.editors.items()}
        for source in self.editors.values():
            source.sig_changed.emit()  # let linked lookups narrow to the filled values
        for error in self.errors.values():
            error.set_error(None)

    def _load(self) -> None:
        assert self._record_id is not None
        record_id, spec = self._record_id, self._spec  # for the worker: never the form itself
        self._set_busy(True)
        self._retry = self._load
        (
            self._ctx.tasks.query(self, lambda api: api.get(spec, record_id))
            .success(self._on_loaded)
            .failure(self._on_load_failed)
            .with_progress(_("Loading…"))
            .run()
        )

    def _on_loaded(self, record: BaseModel) -> None:
        self.banner.clear()
        if self._writable and not self._ctx.can_record(self._spec.key, Action.UPDATE, record):
            self._writable = False  # e.g. someone else's record with the "own" scope
            self._apply_write_rights()
        self._fill(record)
        self._set_busy(False)

    # -- saving ------------------------------------------------------------------------------

    def save(self) -> None:
        """Validate what the client can, then create or send the changed fields."""
        if self._saving or (self._record_id is not None and self._record is None):
            return
        if not self._writable:
            return
        if not self._check_required():
            return
        if self._record is None:
            self.send_create(self.create_payload())
            return
        changes = self.changes()
        if not changes:
            self.accept()
            return
        self._send_update(changes, self._record.version)  # type: ignore[attr-defined]

    def changes(self) -> dict[str, Any]:
        """The fields this person may edit whose value differs from the loaded record (or
        the defaults); nothing else is ever sent."""
        return {
            name: editor.value()
            for name, editor in self.editors.items()
            if self.is_editable(name) and editor.value() != self._baseline.get(name)
        }

    def is_dirty(self) -> bool:
        return bool(self.changes())

    def create_payload(self) -> dict[str, Any]:
        accepted = self._spec.create.model_fields if self._spec.create else {}
        hidden = {k: v for k, v in self._initial.items()
                  if k in accepted and k not in self.editors
                  and self._ctx.field_access(self._spec.key, k) is FieldAccess.EDIT}
        typed = {name: editor.value() for name, editor in self.editors.items()
                 if self.is_editable(name)}
        return {**hidden, **{k: v for k, v in typed.items() if v not in _EMPTY}}

    def _check_required(self) -> bool:
        missing = [f.name for f in self._fields if f.required and self.is_editable(f.name)
                   and self.editors[f.name].value() in _EMPTY]
        for name in missing:
            self.errors[name].set_error(_("Please fill this in"))
        if missing:
            self.editors[missing[0]].focus()
        return not missing

    def send_create(self, payload: dict[str, Any], confirm: bool = False) -> None:
        """Create the record from ``payload``; ``confirm`` once the person has seen the
        server's warning (a possible duplicate) and wants it anyway."""
        spec = self._spec
        self._send(
            lambda api: api.create(spec, payload, confirm=confirm),
            lambda: self.send_create(payload, confirm),
        )

    def _send_update(self, changes: dict[str, Any], version: int) -> None:
        assert self._record_id is not None
        record_id, spec = self._record_id, self._spec
        self._send(
            lambda api: api.update(spec, record_id, version, changes),
            lambda: self._send_update(changes, version),
        )

    def _send(self, call: Callable[[Any], BaseModel], again: Callable[[], None]) -> None:
        self._set_busy(True, saving=True)
        self._retry = again
        self.banner.clear()
        (
            self._ctx.tasks.mutation(self, call, self._spec.key, _record_ids)
            .success(self._on_saved)
            .failure(self._on_save_failed)
            .with_progress(_("Saving…"))
            .run()
        )

    def _on_saved(self, record: BaseModel) -> None:
        self._record = record
        self._discard_confirmed = True
        self.sig_saved.emit(record)
        self.accept()

    def _on_save_failed(self, error: BaseException) -> bool:
        """Field errors and refused duplicates here, then the extensions' own cases; an
        unreachable server, a stale version and field errors (also those of fields this role
        may not change) as in every edit form."""
        self._set_busy(False)  # first: a field can only take focus once enabled again
        if isinstance(error, ApiError) and any(
                extension.handle_save_failure(error) for extension in self.extensions):
            return True
        handlers: dict[type[ApiError], Callable[[Any], None]] = {
            ValidationFailed: self._show_field_errors,  # also without fields: the banner explains
            Duplicate: self._show_blocked_duplicate,
        }
        for kind, handle in handlers.items():
            if isinstance(error, kind):
                handle(error)
                return True
        return super()._on_save_failed(error)

    def _set_busy(self, busy: bool, saving: bool = False) -> None:
        self._saving = busy and saving
        self.fields_area.setEnabled(not busy)
        self.save_button.setEnabled(not busy)

    # -- failures ----------------------------------------------------------------------------

    def _focus_field(self, name: str) -> None:
        self.editors[name].focus()

    def _focus_first_field(self) -> None:
        """The cursor starts in the first field a new record's author may fill in."""
        first = next((name for name in self.editors if self.is_editable(name)), None)
        if first is not None:
            self._focus_field(first)

    def _resolve_conflict(self, error: StaleVersion) -> None:
        current = self._spec.read.model_validate((error.data or {}).get("current", {}))
        mine = self.changes()
        dialog = ConflictDialog(self._conflict_rows(current, mine), self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda result: self._on_conflict_choice(result, current, mine))
        self.conflict_dialog = dialog
        dialog.open()

    def _conflict_rows(self, current: BaseModel, mine: dict[str, Any]) -> list[ConflictRow]:
        rows = []
        for name, editor in self.editors.items():
            theirs = _record_text(editor.field, current)
            before = _record_text(editor.field, self._record) if self._record else theirs
            if name in mine or theirs != before:
                label = _(editor.field.label)
                rows.append(ConflictRow(label, editor.display_text(), theirs, name in mine))
        return rows

    def _on_conflict_choice(self, result: int, current: BaseModel, mine: dict[str, Any]) -> None:
        if result == ConflictChoice.RELOAD:
            self._fill(current)
            # The record changed under every open view of it (a 360° header, lists): say so.
            self._ctx.changes.sig_entity_changed.emit(self._spec.key, _record_ids(current))
            self.banner.show_message(_("The saved version has been loaded."), None,
                                     BannerLevel.INFO)
        elif result == ConflictChoice.KEEP_MINE:
            self._record = current
            self._send_update(mine, current.version)  # type: ignore[attr-defined]

    def _show_blocked_duplicate(self, error: Duplicate) -> None:
        self.banner.show_message(error.detail, None, BannerLevel.ERROR)


def _record_text(field: FieldSpec, record: BaseModel | None) -> str:
    """A record's value of ``field`` as people read it (references by their title)."""
    if record is None:
        return describe_value(field, None)
    if field.kind == Kind.REF and field.display:
        return str(getattr(record, field.display, None) or describe_value(field, None))
    return describe_value(field, getattr(record, field.name, None))


def _change_lines(changes: list[Any]) -> str:
    """An audit entry's changes, one per line: ``field: old → new``."""
    lines = []
    for change in changes:
        if isinstance(change, dict) and "field" in change:
            old, new = change.get("old"), change.get("new")
            lines.append(f"{change['field']}: {_plain(old)} → {_plain(new)}")
        else:
            lines.append(str(change))
    return "\n".join(lines)


def _plain(value: Any) -> str:
    if value is None or value == "" or value == []:
        return _("(empty)")
    if isinstance(value, list):
        return "、".join(map(str, value))
    return str(value)


def _record_ids(record: BaseModel) -> list[int]:
    return [cast(RecordRead, record).id]


def _belongs_to(spec: EntitySpec, name: str) -> bool:
    """True when records of ``spec`` belong to the record named by their field ``name``
    (a required, filterable reference: a contact's customer, not a customer's owner)."""
    try:
        field = spec.field(name)
    except KeyError:
        return False
    return field.name == name and field.kind == Kind.REF and field.required and field.filterable
