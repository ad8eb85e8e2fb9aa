"""One editor per field ``Kind`` (and per ``Format`` or list a text field is offered from),
all behind the same small interface.

The generic form only knows ``FieldEditor`` (``widgets.editor_base``): ``value()`` gives
what goes on the wire (JSON types: text, ids, ISO dates, lists), ``set_value()`` shows a
record's value, ``sig_changed`` fires on every edit. Which Qt widget edits which kind is
decided here and nowhere else.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from PySide6.QtCore import QDate, QDateTime, Qt, QTime
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDateTimeEdit,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QSpinBox,
    QWidget,
)

from crm_client.core.i18n import _
from crm_client.core.icons import icon
from crm_client.models.formatting import TAG_SEPARATOR, describe_value, format_decimal, to_decimal
from crm_client.widgets.date_edit import DateEdit
from crm_client.widgets.editor_base import PAGE_MAXIMUM, FieldEditor
from crm_client.widgets.lookup_combo import LookupCombo
from crm_client.widgets.number_edit import NumberEdit
from crm_client.widgets.suggest_editors import REGION_FORMATS, ListedEditor, RegionEditor
from crm_client.widgets.tags_edit import TagsEdit
from crm_client.widgets.value_combo import ValueComboBox
from crm_common.entities import FieldSpec, Kind, entity
from crm_common.entities.spec import NUMERIC_KINDS
from crm_common.permissions import Action

if TYPE_CHECKING:
    from crm_client.core.context import AppContext

LONG_TEXT_LINES = 4
INT_MAXIMUM = 999_999_999
REFS_VISIBLE_ROWS = (3, 8)  # the list grows with its choices between these


class TextEditor(FieldEditor):
    def __init__(self, field: FieldSpec, parent: QWidget) -> None:
        edit = QLineEdit(parent)
        edit.setPlaceholderText(_(field.placeholder) if field.placeholder else "")
        super().__init__(field, edit)
        self._edit = edit
        edit.textEdited.connect(self.sig_changed)

    def value(self) -> str | None:
        return self._edit.text().strip() or None

    def set_value(self, value: Any, display: str | None = None) -> None:
        self._edit.setText("" if value is None else str(value))
        self._edit.setCursorPosition(0)


class NumberEditor(FieldEditor):
    """Money, unit prices, rates and plain decimals (``widgets.number_edit``). ``value()``
    is the number as JSON text with the field's places (``"1200.5678"``, ``"13.00"``)."""

    def __init__(self, field: FieldSpec, parent: QWidget) -> None:
        edit = NumberEdit(field, parent)
        super().__init__(field, edit)
        self._edit = edit
        edit.textEdited.connect(self.sig_changed)

    def value(self) -> str | None:
        number = self._edit.decimal()
        if number is None:
            return None
        scale = self.field.scale
        return str(number) if scale is None else format_decimal(number, scale, grouped=False)

    def set_value(self, value: Any, display: str | None = None) -> None:
        self._edit.set_decimal(None if value is None else to_decimal(value))


class LongTextEditor(FieldEditor):
    def __init__(self, field: FieldSpec, parent: QWidget) -> None:
        edit = QPlainTextEdit(parent)
        edit.setTabChangesFocus(True)
        edit.setPlaceholderText(_(field.placeholder) if field.placeholder else "")
        line = edit.fontMetrics().lineSpacing()
        edit.setFixedHeight(line * LONG_TEXT_LINES + 2 * edit.frameWidth() + 8)
        super().__init__(field, edit)
        self._edit = edit
        edit.textChanged.connect(self.sig_changed)

    def value(self) -> str | None:
        return self._edit.toPlainText().strip() or None

    def set_value(self, value: Any, display: str | None = None) -> None:
        self._edit.setPlainText("" if value is None else str(value))


class IntEditor(FieldEditor):
    def __init__(self, field: FieldSpec, parent: QWidget) -> None:
        spin = QSpinBox(parent)
        spin.setRange(0, INT_MAXIMUM)
        super().__init__(field, spin)
        self._spin = spin
        spin.valueChanged.connect(self.sig_changed)

    def value(self) -> int:
        return self._spin.value()

    def set_value(self, value: Any, display: str | None = None) -> None:
        self._spin.setValue(int(value or 0))


class ChoiceEditor(FieldEditor):
    """A required choice always has a value; an optional one starts with an empty entry."""

    def __init__(self, field: FieldSpec, parent: QWidget) -> None:
        combo = ValueComboBox(parent)
        if not field.required:
            combo.add_option("", None)
        for choice in field.choices:
            combo.add_option(_(choice.label), choice.value)
        super().__init__(field, combo)
        self._combo = combo
        combo.activated.connect(self.sig_changed)

    def value(self) -> str | None:
        value: str | None = self._combo.value()
        return value

    def set_value(self, value: Any, display: str | None = None) -> None:
        self._combo.set_value(None if value is None else str(value))


class BoolEditor(FieldEditor):
    def __init__(self, field: FieldSpec, parent: QWidget) -> None:
        box = QCheckBox(parent)
        super().__init__(field, box)
        self._box = box
        box.toggled.connect(self.sig_changed)

    def value(self) -> bool:
        return self._box.isChecked()

    def set_value(self, value: Any, display: str | None = None) -> None:
        self._box.setChecked(bool(value))


class DateEditor(FieldEditor):
    def __init__(self, field: FieldSpec, parent: QWidget) -> None:
        edit = DateEdit(parent)
        super().__init__(field, edit)
        self._edit = edit
        edit.sig_value_changed.connect(self.sig_changed)

    def value(self) -> str | None:
        current = self._edit.value()
        return None if current is None else current.isoformat()

    def set_value(self, value: Any, display: str | None = None) -> None:
        self._edit.set_value(date.fromisoformat(value) if isinstance(value, str) else value)


class DateTimeEditor(FieldEditor):
    """Local time to the minute. An empty value shows "now" and stays empty until the
    person changes it, so the server stamps its own "now" (to the microsecond: a follow-up
    logged a moment after another still comes after it)."""

    def __init__(self, field: FieldSpec, parent: QWidget) -> None:
        edit = QDateTimeEdit(parent)
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        super().__init__(field, edit)
        self._edit = edit
        self._now = True
        edit.dateTimeChanged.connect(self._touched)
        self.set_value(None)

    def _touched(self) -> None:
        self._now = False
        self.sig_changed.emit()

    def value(self) -> str | None:
        if self._now:
            return None
        shown = self._edit.dateTime()
        local = datetime.fromtimestamp(shown.toSecsSinceEpoch()).replace(second=0)
        return local.astimezone().isoformat()

    def set_value(self, value: Any, display: str | None = None) -> None:
        moment: datetime | None = (datetime.fromisoformat(value) if isinstance(value, str)
                                   else value)
        if moment is None:
            self._edit.setDateTime(QDateTime.currentDateTime())
        else:
            if moment.tzinfo is not None:
                moment = moment.astimezone().replace(tzinfo=None)
            self._edit.setDateTime(QDateTime(QDate(moment.year, moment.month, moment.day),
                                             QTime(moment.hour, moment.minute, moment.second)))
        self._now = moment is None


class TagsEditor(FieldEditor):
    def __init__(self, field: FieldSpec, parent: QWidget) -> None:
        edit = TagsEdit(parent)
        super().__init__(field, edit)
        self._edit = edit
        edit.textEdited.connect(self.sig_changed)

    def value(self) -> list[str]:
        return self._edit.tags()

    def set_value(self, value: Any, display: str | None = None) -> None:
        self._edit.set_tags(list(value or []))


class RefEditor(FieldEditor):
    def __init__(self, ctx: AppContext, field: FieldSpec, parent: QWidget) -> None:
        assert field.ref is not None, f"{field.name} is a reference without a target"
        combo = LookupCombo(ctx, entity(field.ref), parent)
        super().__init__(field, combo)
        self.combo = combo
        combo.sig_value_changed.connect(self.sig_changed)

    def value(self) -> int | None:
        return self.combo.value()

    def set_value(self, value: Any, display: str | None = None) -> None:
        self.combo.set_value(None if value is None else int(value), display)

    def display_text(self) -> str:
        return self.combo.title() or describe_value(self.field, None)


class RefsEditor(FieldEditor):
    """Several records of another entity (a user's roles) as a checkable list. The choices
    come from that entity's list; a person who may not read it sees the chosen titles only."""

    def __init__(self, ctx: AppContext, field: FieldSpec, parent: QWidget) -> None:
        assert field.ref is not None, f"{field.name} is a reference without a target"
        view = QListWidget(parent)
        view.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        view.setUniformItemSizes(True)
        super().__init__(field, view)
        self.list = view
        self._ctx = ctx
        self._spec = entity(field.ref)
        self._ids: list[int] = []
        self._titles: dict[int, str] = {}
        self._loaded = False
        self._fit(REFS_VISIBLE_ROWS[0])
        view.itemChanged.connect(self._on_item_changed)
        if ctx.can(self._spec.key, Action.READ):
            self._load()

    def value(self) -> list[int]:
        return sorted(self._ids)

    def set_value(self, value: Any, display: str | None = None) -> None:
        """``display`` is the list of the chosen records' titles, in the order of ``value``."""
        self._ids = [int(item) for item in value or []]
        names: list[Any] = list(display or []) if not isinstance(display, str) else []
        for record_id, name in zip(self._ids, names, strict=False):
            self._titles.setdefault(record_id, str(name))
        self._show()

    def display_text(self) -> str:
        names = [self._titles.get(i, f"#{i}") for i in self.value()]
        return TAG_SEPARATOR.join(names) if names else describe_value(self.field, None)

    def choices(self) -> list[tuple[int, str]]:
        """The rows of the list: (id, title)."""
        return [(int(self.list.item(row).data(Qt.ItemDataRole.UserRole)),
                 self.list.item(row).text()) for row in range(self.list.count())]

    def set_checked(self, record_id: int, checked: bool) -> None:
        """Tick or untick one choice, as a click does."""
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == record_id:
                item.setCheckState(Qt.CheckState.Checked if checked else
                                   Qt.CheckState.Unchecked)

    def is_loaded(self) -> bool:
        return self._loaded

    def _load(self) -> None:
        spec = self._spec
        params = {"limit": PAGE_MAXIMUM, "sort": spec.title_field if spec.title_field in
                  spec.sort_fields else "id"}
        (
            self._ctx.tasks.query(self.list, lambda api: api.list(spec, params))
            .success(lambda page: self._on_choices(page.items))
            .run()
        )

    def _on_choices(self, records: list[BaseModel]) -> None:
        titles = {int(record.id): str(getattr(record, self._spec.title_field, "") or "")  # type: ignore[attr-defined]
                  for record in records}
        for record_id in self._ids:  # a chosen record that is gone still shows, to untick
            titles.setdefault(record_id, self._titles.get(record_id, f"#{record_id}"))
        self._titles = titles
        self._loaded = True
        self._show()
        self._fit(len(titles))

    def _fit(self, rows: int) -> None:
        """As tall as its choices, within ``REFS_VISIBLE_ROWS``."""
        low, high = REFS_VISIBLE_ROWS
        row = max(self.list.sizeHintForRow(0), self.list.fontMetrics().height() + 4)
        shown = min(max(rows, low), high)
        self.list.setFixedHeight(row * shown + 2 * self.list.frameWidth() + 2)

    def _show(self) -> None:
        """One row per known choice (or per chosen title before the choices arrive)."""
        chosen = set(self._ids)
        shown = self._titles if self._loaded else {
            i: self._titles.get(i, f"#{i}") for i in self._ids}
        self.list.blockSignals(True)
        self.list.clear()
        for record_id, title in shown.items():
            item = QListWidgetItem(title, self.list)
            item.setData(Qt.ItemDataRole.UserRole, record_id)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if record_id in chosen else
                               Qt.CheckState.Unchecked)
        self.list.blockSignals(False)

    def _on_item_changed(self, item: QListWidgetItem) -> None:
        record_id = int(item.data(Qt.ItemDataRole.UserRole))
        checked = item.checkState() == Qt.CheckState.Checked
        if checked and record_id not in self._ids:
            self._ids.append(record_id)
        elif not checked and record_id in self._ids:
            self._ids.remove(record_id)
        else:
            return
        self.sig_changed.emit()


class MaskedEditor(FieldEditor):
    """A field the role sees only masked (91310000****1234): the masked text, greyed out.
    Its value is never sent."""

    def __init__(self, field: FieldSpec, parent: QWidget) -> None:
        edit = QLineEdit(parent)
        super().__init__(field, edit)
        self._edit = edit
        edit.setEnabled(False)
        tip = _("Masked: your role may not see the full value")
        edit.setToolTip(tip)
        edit.addAction(icon("lock"), QLineEdit.ActionPosition.TrailingPosition).setToolTip(tip)

    def value(self) -> None:
        return None

    def set_value(self, value: Any, display: str | None = None) -> None:
        """``display`` is the masked text the server sent."""
        self._edit.setText(display or "")
        self._edit.setCursorPosition(0)

    def display_text(self) -> str:
        return self._edit.text() or describe_value(self.field, None)


_SIMPLE_EDITORS: dict[Kind, type[FieldEditor]] = {
    Kind.TEXT: TextEditor,
    Kind.LONG_TEXT: LongTextEditor,
    Kind.INT: IntEditor,
    **dict.fromkeys(NUMERIC_KINDS, NumberEditor),
    Kind.DATE: DateEditor,
    Kind.DATETIME: DateTimeEditor,
    Kind.BOOL: BoolEditor,
    Kind.CHOICE: ChoiceEditor,
    Kind.TAGS: TagsEditor,
    Kind.OBJECT: LongTextEditor,  # shown, never edited in the form (a role's grants)
}


def editor_for(ctx: AppContext, field: FieldSpec, parent: QWidget) -> FieldEditor:
    """The editor for ``field``, its widget a child of ``parent``."""
    if field.kind == Kind.REF:
        return RefEditor(ctx, field, parent)
    if field.kind == Kind.REFS:
        return RefsEditor(ctx, field, parent)
    if field.format in REGION_FORMATS:
        return RegionEditor(field, parent)
    if field.choices_from:
        return ListedEditor(ctx, field, parent)
    return _SIMPLE_EDITORS[field.kind](field, parent)
