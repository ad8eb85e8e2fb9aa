"""``FilterBarWidget``: one filter per filterable field of an entity, built from the registry.

Choices become a combo starting with "All", references a lookup combo, yes/no fields a
three-way combo, anything else an exact-match text box. The bar only reports its parameters;
the list view sends them to the server (ARCHITECTURE §5: nothing is filtered locally).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QComboBox, QLineEdit, QPushButton, QWidget

from crm_client.core.i18n import _
from crm_client.widgets.flow_widget import FlowWidget
from crm_client.widgets.lookup_combo import LookupCombo
from crm_client.widgets.value_combo import ValueComboBox
from crm_common.entities import EntitySpec, FieldSpec, Kind, entity

if TYPE_CHECKING:
    from crm_client.core.context import AppContext

DEBOUNCE_MS = 300
FILTER_WIDTH = 96
COMBO_CHARACTERS = 5
LOOKUP_WIDTH = 120


@dataclass
class _Filter:
    field: FieldSpec
    widget: QWidget
    value: Callable[[], Any]
    clear: Callable[[], None]


class FilterBarWidget(FlowWidget):
    """``params()`` → ``{field: value}`` for every filter that is set."""

    sig_changed = Signal()

    def __init__(
        self,
        ctx: AppContext,
        spec: EntitySpec,
        parent: QWidget | None = None,
        exclude: Iterable[str] = (),
    ) -> None:
        super().__init__(parent, spacing=12)
        self._ctx = ctx
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self._on_changed)
        skipped = set(exclude)
        self._filters = [
            self._make_filter(field)
            for field in spec.fields
            if field.filterable and field.name not in skipped
        ]
        for item in self._filters:
            self.add_labelled(_(item.field.label), item.widget)
        self.clear_button = QPushButton(_("Clear filters"), self)
        self.clear_button.setFlat(True)
        self.clear_button.clicked.connect(self.clear)
        self.clear_button.hide()
        self.add_widget(self.clear_button)

    def params(self) -> dict[str, Any]:
        values = {item.field.name: item.value() for item in self._filters}
        return {name: value for name, value in values.items() if value not in (None, "")}

    def widget(self, name: str) -> QWidget:
        """The editor of the filter on field ``name`` (tests and keyboard focus use it)."""
        for item in self._filters:
            if item.field.name == name:
                return item.widget
        raise KeyError(name)

    def clear(self) -> None:
        for item in self._filters:
            item.clear()
        self._on_changed()

    def _on_changed(self) -> None:
        self.clear_button.setVisible(bool(self.params()))
        self.sig_changed.emit()

    def _make_filter(self, field: FieldSpec) -> _Filter:
        if field.kind == Kind.CHOICE:
            options = [(_(choice.label), choice.value) for choice in field.choices]
            return self._combo_filter(field, options)
        if field.kind == Kind.BOOL:
            return self._combo_filter(field, [(_("Yes"), True), (_("No"), False)])
        if field.kind == Kind.REF and field.ref is not None:
            return self._lookup_filter(field)
        return self._text_filter(field)

    def _combo_filter(self, field: FieldSpec, options: list[tuple[str, Any]]) -> _Filter:
        combo = ValueComboBox(self)
        combo.add_option(_("All"), None)
        for text, value in options:
            combo.add_option(text, value)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(COMBO_CHARACTERS)
        combo.activated.connect(self._on_changed)
        return _Filter(field, combo, combo.value, lambda: combo.setCurrentIndex(0))

    def _lookup_filter(self, field: FieldSpec) -> _Filter:
        assert field.ref is not None
        lookup = LookupCombo(self._ctx, entity(field.ref), self, placeholder=_("All"))
        lookup.setFixedWidth(LOOKUP_WIDTH)
        lookup.sig_value_changed.connect(self._on_changed)
        return _Filter(field, lookup, lookup.value, lambda: lookup.set_value(None, ""))

    def _text_filter(self, field: FieldSpec) -> _Filter:
        edit = QLineEdit(self)
        edit.setPlaceholderText(_("All"))
        edit.setClearButtonEnabled(True)
        edit.setFixedWidth(FILTER_WIDTH)
        edit.textEdited.connect(lambda _text: self._timer.start())
        return _Filter(field, edit, lambda: edit.text().strip(), edit.clear)
