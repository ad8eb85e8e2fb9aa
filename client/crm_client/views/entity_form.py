"""``EntityFormDialog``: create or edit one record of any registered entity.

The form is built from ``spec.form_fields`` and their kinds (editors in
``widgets.field_editors``). It loads and saves off the GUI thread, sends only the fields the
user changed together with the record's ``version``, and never loses what was typed: field
errors appear under their fields, a stale version opens the conflict dialog, an unreachable
server leaves the dialog open with a Retry banner.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel
from pydantic_core import PydanticUndefined
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from crm_client.api.errors import ServerUnreachable
from crm_client.core.i18n import _
from crm_client.models.formatting import describe_value
from crm_client.widgets.banner import Banner, BannerLevel
from crm_client.widgets.conflict_dialog import ConflictChoice, ConflictDialog, ConflictRow
from crm_client.widgets.duplicate_hint import DuplicateHintBanner, describe_matches
from crm_client.widgets.field_editors import FieldEditor, RefEditor, editor_for
from crm_client.widgets.field_error import ERROR_COLOUR, FieldErrorLabel
from crm_common.entities import EntitySpec, FieldSpec, Kind, entity
from crm_common.errors import (
    ApiError,
    Duplicate,
    DuplicateWarning,
    StaleVersion,
    ValidationFailed,
)
from crm_common.schemas.base import RecordRead
from crm_common.schemas.customer import DuplicateMatch

if TYPE_CHECKING:
    from crm_client.core.context import AppContext

TWO_COLUMNS_FROM = 9  # forms with more fields than this use two columns
WIDE_FIELD_WIDTH = 240  # fields at least this wide in lists span both form columns
_WIDE_KINDS = frozenset({Kind.LONG_TEXT, Kind.TAGS})
_EMPTY: tuple[Any, ...] = (None, "", [])


class EntityFormDialog(QDialog):
    """``sig_saved(record)`` after a successful save; ``sig_open_record(entity, id)`` when
    the user opens a record shown as a possible duplicate. ``fields`` limits the form to
    some fields (the compact follow-up dialog); ``initial`` prefills values, also of fields
    not shown (they are sent on create)."""

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
        self._retry: Callable[[], None] | None = None
        self._saving = False
        self._discard_confirmed = False
        shown = fields or [field.name for field in spec.form_fields]
        self._fields = [spec.field(name) for name in shown]
        self.editors: dict[str, FieldEditor] = {}
        self.errors: dict[str, FieldErrorLabel] = {}
        self.banner = Banner(self)
        self.banner.sig_action.connect(self._run_retry)
        self.duplicate_hint = self._make_duplicate_hint()
        self.save_button = QPushButton(_("Save"), self)
        self.conflict_dialog: ConflictDialog | None = None
        self.duplicate_box: QMessageBox | None = None
        self._build()
        self._link_lookups()
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)
        if record_id is None:
            self.setWindowTitle(_("New {entity}").format(entity=_(spec.label)))
            self._fill_new()
        else:
            self.setWindowTitle(_("Edit {entity}").format(entity=_(spec.label)))
            self._load()

    # -- building ----------------------------------------------------------------------------

    def _build(self) -> None:
        self.fields_area = QWidget(self)
        grid = QGridLayout(self.fields_area)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        grid.setVerticalSpacing(8)
        two_columns = len(self._fields) >= TWO_COLUMNS_FROM
        self._place_fields(grid, two_columns)
        self.save_button.setDefault(True)
        self.save_button.setToolTip(_("Save (Ctrl+S)"))
        self.save_button.clicked.connect(self.save)
        cancel = QPushButton(_("Cancel"), self)
        cancel.setAutoDefault(False)
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(cancel)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 16, 18, 14)
        layout.setSpacing(12)
        layout.addWidget(self.banner)
        if self.duplicate_hint is not None:
            layout.addWidget(self.duplicate_hint)
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
            editor = editor_for(self._ctx, field, self.fields_area)
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

    def _label(self, field: FieldSpec, editor: FieldEditor) -> QLabel:
        text = _(field.label)
        if field.required:
            text = f'<span style="color:{ERROR_COLOUR}">*</span>&nbsp;{text}'
        label = QLabel(text, self.fields_area)
        label.setBuddy(editor.widget)
        if field.kind == Kind.LONG_TEXT:
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
            label.setContentsMargins(0, 4, 0, 0)
        else:  # centred on the editor's first line, also when an error shows below it
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            label.setFixedHeight(editor.widget.sizeHint().height())
        return label

    def _make_duplicate_hint(self) -> DuplicateHintBanner | None:
        if self._spec.key != "customer" or self._record_id is not None:
            return None
        hint = DuplicateHintBanner(self._ctx, self)
        hint.sig_open_record.connect(self.sig_open_record)
        return hint

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
        if self.duplicate_hint is not None:
            for name in ("name", "uscc"):
                widget = self.editors[name].widget
                widget.editingFinished.connect(self._check_duplicates)  # type: ignore[attr-defined]

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
            elif default not in (None, PydanticUndefined):
                editor.set_value(default)
        self._take_baseline()

    def _fill(self, record: BaseModel) -> None:
        self._record = record
        for name, editor in self.editors.items():
            display = getattr(record, editor.field.display, None) if editor.field.display else None
            editor.set_value(getattr(record, name, None), display)
        title = getattr(record, self._spec.title_field, "")
        self.setWindowTitle(_("Edit {entity}").format(entity=_(self._spec.label)) + f" — {title}")
        self._take_baseline()

    def _take_baseline(self) -> None:
        self._baseline = {name: editor.value() for name, editor in self.editors.items()}
        for source in self.editors.values():
            source.sig_changed.emit()  # let linked lookups narrow to the filled values
        for error in self.errors.values():
            error.set_error(None)

    def _load(self) -> None:
        assert self._record_id is not None
        record_id = self._record_id
        self._set_busy(True)
        self._retry = self._load
        (
            self._ctx.tasks.query(self, lambda api: api.get(self._spec, record_id))
            .success(self._on_loaded)
            .failure(self._on_load_failed)
            .with_progress(_("Loading…"))
            .run()
        )

    def _on_loaded(self, record: BaseModel) -> None:
        self.banner.clear()
        self._fill(record)
        self._set_busy(False)

    def _on_load_failed(self, error: BaseException) -> bool:
        if isinstance(error, ServerUnreachable):
            self.banner.show_message(_("Cannot reach the server."), _("Retry"), BannerLevel.ERROR)
            return True
        self.banner.show_message(str(getattr(error, "detail", error)), None, BannerLevel.ERROR)
        return False

    # -- saving ------------------------------------------------------------------------------

    def save(self) -> None:
        """Validate what the client can, then create or send the changed fields."""
        if self._saving or (self._record_id is not None and self._record is None):
            return
        if not self._check_required():
            return
        if self._record is None:
            self._send_create(self._create_payload())
            return
        changes = self.changes()
        if not changes:
            self.accept()
            return
        self._send_update(changes, self._record.version)  # type: ignore[attr-defined]

    def changes(self) -> dict[str, Any]:
        """The fields whose value differs from the loaded record (or the defaults)."""
        return {
            name: editor.value()
            for name, editor in self.editors.items()
            if editor.value() != self._baseline.get(name)
        }

    def is_dirty(self) -> bool:
        return bool(self.changes())

    def _create_payload(self) -> dict[str, Any]:
        accepted = self._spec.create.model_fields if self._spec.create else {}
        hidden = {k: v for k, v in self._initial.items()
                  if k in accepted and k not in self.editors}
        typed = {name: editor.value() for name, editor in self.editors.items()}
        return {**hidden, **{k: v for k, v in typed.items() if v not in _EMPTY}}

    def _check_required(self) -> bool:
        missing = [f.name for f in self._fields
                   if f.required and self.editors[f.name].value() in _EMPTY]
        for name in missing:
            self.errors[name].set_error(_("Please fill this in"))
        if missing:
            self.editors[missing[0]].focus()
        return not missing

    def _send_create(self, payload: dict[str, Any], confirm: bool = False) -> None:
        self._send(
            lambda api: api.create(self._spec, payload, confirm=confirm),
            lambda: self._send_create(payload, confirm),
        )

    def _send_update(self, changes: dict[str, Any], version: int) -> None:
        assert self._record_id is not None
        record_id = self._record_id
        self._send(
            lambda api: api.update(self._spec, record_id, version, changes),
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
        self._set_busy(False)  # first: a field can only take focus once enabled again
        if isinstance(error, ServerUnreachable):
            self.banner.show_message(
                _("Cannot reach the server — your input has been kept."),
                _("Retry"), BannerLevel.ERROR,
            )
            return True
        handlers: dict[type[ApiError], Callable[[Any], None]] = {
            ValidationFailed: self._show_field_errors,
            StaleVersion: self._resolve_conflict,
            DuplicateWarning: self._confirm_duplicate,
            Duplicate: self._show_blocked_duplicate,
        }
        for kind, handle in handlers.items():
            if isinstance(error, kind):
                handle(error)
                return True
        return False

    def _run_retry(self) -> None:
        if self._retry is not None:
            self._retry()

    def _set_busy(self, busy: bool, saving: bool = False) -> None:
        self._saving = busy and saving
        self.fields_area.setEnabled(not busy)
        self.save_button.setEnabled(not busy)

    # -- failures ----------------------------------------------------------------------------

    def _show_field_errors(self, error: ValidationFailed) -> None:
        unplaced: list[str] = []
        first: str | None = None
        for key, message in (error.fields or {}).items():
            name = next((part for part in key.split(".") if part in self.errors), None)
            if name is None:
                unplaced.append(message if key in ("", "__root__") else f"{key}: {message}")
                continue
            self.errors[name].set_error(message)
            first = first or name
        ordered = [f.name for f in self._fields if self.errors[f.name].has_error]
        if ordered:
            self.editors[ordered[0]].focus()
        if unplaced or not first:
            self.banner.show_message("\n".join(unplaced) or error.detail, None, BannerLevel.ERROR)

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
            self.banner.show_message(_("The saved version has been loaded."), None,
                                     BannerLevel.INFO)
        elif result == ConflictChoice.KEEP_MINE:
            self._record = current
            self._send_update(mine, current.version)  # type: ignore[attr-defined]

    def _confirm_duplicate(self, error: DuplicateWarning) -> None:
        matches = [DuplicateMatch.model_validate(m) for m in (error.data or {}).get("matches", [])]
        payload = self._create_payload()
        box = QMessageBox(QMessageBox.Icon.Question, _("Possible duplicate"),
                          (describe_matches(matches) if matches else error.detail)
                          + "\n\n" + _("Create this customer anyway?"), parent=self)
        create = box.addButton(_("Create anyway"), QMessageBox.ButtonRole.AcceptRole)
        box.addButton(_("Cancel"), QMessageBox.ButtonRole.RejectRole)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered(_result: int) -> None:
            if box.clickedButton() is create:
                self._send_create(payload, confirm=True)

        box.finished.connect(answered)
        self.duplicate_box = box
        box.open()

    def _show_blocked_duplicate(self, error: Duplicate) -> None:
        self.banner.show_message(error.detail, None, BannerLevel.ERROR)

    def _check_duplicates(self) -> None:
        if self.duplicate_hint is not None:
            self.duplicate_hint.check(self.editors["name"].value(), self.editors["uscc"].value())

    # -- closing -----------------------------------------------------------------------------

    def reject(self) -> None:
        """Escape / Cancel / the window's close button: ask before unsaved input is lost."""
        if self.is_dirty() and not self._discard_confirmed:
            answer = QMessageBox.question(
                self, _("Discard changes?"),
                _("You have unsaved changes. Close the form and discard them?"),
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Discard:
                return
        self._discard_confirmed = True
        super().reject()


def _record_text(field: FieldSpec, record: BaseModel | None) -> str:
    """A record's value of ``field`` as people read it (references by their title)."""
    if record is None:
        return describe_value(field, None)
    if field.kind == Kind.REF and field.display:
        return str(getattr(record, field.display, None) or describe_value(field, None))
    return describe_value(field, getattr(record, field.name, None))


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
