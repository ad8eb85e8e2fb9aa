"""Money, unit prices, rates and plain decimals: one editor parametrised by the field's places,
exact from the keyboard to the wire (no float), grouped when not edited, right-aligned."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QWidget

from crm_client.models.entity_model import EntityTableModel
from crm_client.models.formatting import describe_value, format_value
from crm_client.widgets.field_editors import NumberEditor, editor_for
from crm_client.widgets.number_edit import NumberEdit
from crm_common.entities import FieldSpec, Kind

PRICE = FieldSpec("list_price", "List price", Kind.PRICE)
MONEY = FieldSpec("amount", "Amount", Kind.MONEY)
PERCENT = FieldSpec("tax_rate", "Tax rate", Kind.PERCENT)
HOURS = FieldSpec("hours", "Hours", Kind.DECIMAL, places=1)


@pytest.fixture
def form(qtbot: Any) -> QWidget:
    """A window whose other field has the focus, as when a form is being filled."""
    widget = QWidget()
    qtbot.addWidget(widget)
    other = QLineEdit(widget)
    other.setObjectName("other")
    widget.show()
    other.setFocus()
    qtbot.waitUntil(other.hasFocus)
    return widget


def make(form: QWidget, field: FieldSpec) -> NumberEditor:
    editor = editor_for(None, field, form)  # type: ignore[arg-type]  # no context needed
    assert isinstance(editor, NumberEditor)
    editor.widget.show()
    return editor


def leave(qtbot: Any, form: QWidget) -> None:
    other = form.findChild(QLineEdit, "other")
    other.setFocus()
    qtbot.waitUntil(other.hasFocus)


def edit_of(editor: NumberEditor) -> NumberEdit:
    assert isinstance(editor.widget, NumberEdit)
    return editor.widget


def type_number(qtbot: Any, editor: NumberEditor, keys: str) -> None:
    edit = edit_of(editor)
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus)
    edit.selectAll()
    qtbot.keyClicks(edit, keys)


def test_a_unit_price_keeps_its_four_places(form: QWidget) -> None:
    editor = make(form, PRICE)
    editor.set_value(Decimal("1200.5678"))

    assert editor.value() == "1200.5678"  # MoneyEditor made it "1200.57"
    assert edit_of(editor).text() == "1,200.5678"  # grouped while not edited


def test_typing_shows_no_separators_and_grouping_comes_back_on_leaving(
    qtbot: Any, form: QWidget
) -> None:
    editor = make(form, PRICE)
    type_number(qtbot, editor, "1234567.5")
    assert edit_of(editor).text() == "1234567.5"
    assert editor.value() == "1234567.5000"

    leave(qtbot, form)
    assert edit_of(editor).text() == "1,234,567.50"  # trailing zeros trimmed down to 2
    edit_of(editor).setFocus()
    qtbot.waitUntil(edit_of(editor).hasFocus)
    assert edit_of(editor).text() == "1234567.50"


def test_money_refuses_a_third_decimal(qtbot: Any, form: QWidget) -> None:
    editor = make(form, MONEY)
    type_number(qtbot, editor, "12.345")

    assert edit_of(editor).text() == "12.34"
    assert editor.value() == "12.34"


def test_no_float_on_the_way(qtbot: Any, form: QWidget) -> None:
    """Eighteen digits survive (a float keeps about sixteen); 0.1 stays 0.1."""
    editor = make(form, MONEY)
    type_number(qtbot, editor, "9999999999999999.99")
    assert editor.value() == "9999999999999999.99"
    assert str(float("9999999999999999.99")) != "9999999999999999.99"  # what a float would do

    type_number(qtbot, editor, "0.1")
    assert Decimal(editor.value() or "") + Decimal("0.2") == Decimal("0.3")
    assert editor.value() == "0.10"


def test_more_digits_than_the_column_holds_are_refused(qtbot: Any, form: QWidget) -> None:
    editor = make(form, PRICE)  # Numeric(18, 4): 14 digits before the point
    type_number(qtbot, editor, "123456789012345")
    assert edit_of(editor).text() == "12345678901234"
    type_number(qtbot, editor, "12a3")
    assert edit_of(editor).text() == "123"


def test_pasted_amounts_are_cleaned(qtbot: Any, form: QWidget) -> None:
    editor = make(form, MONEY)
    edit = edit_of(editor)
    edit.setFocus()
    qtbot.waitUntil(edit.hasFocus)
    edit.insert("¥ １，２００.５")  # from a chat, full-width digits and comma

    assert edit.text() == "1,200.5"
    assert editor.value() == "1200.50"


def test_a_rate_reads_13_percent(form: QWidget) -> None:
    editor = make(form, PERCENT)
    editor.set_value("13")

    assert editor.value() == "13.00"
    edit = edit_of(editor)
    assert edit.suffix is not None and edit.suffix.text() == "%"
    assert edit.text() == "13"
    assert format_value(PERCENT, Decimal("13.00")) == "13%"
    assert format_value(PERCENT, Decimal("6.50")) == "6.5%"


def test_a_plain_decimal_has_its_declared_places(qtbot: Any, form: QWidget) -> None:
    editor = make(form, HOURS)
    type_number(qtbot, editor, "2.75")
    assert editor.value() == "2.7"
    assert format_value(HOURS, Decimal("1234.5")) == "1,234.5"


def test_numbers_are_right_aligned_in_the_editor_and_in_lists(form: QWidget) -> None:
    for field in (PRICE, MONEY, PERCENT, HOURS):
        assert edit_of(make(form, field)).alignment() & Qt.AlignmentFlag.AlignRight
    model = EntityTableModel((PRICE, PERCENT, HOURS, FieldSpec("name", "Name")))
    for column in range(3):
        align = model.headerData(column, Qt.Orientation.Horizontal,
                                 Qt.ItemDataRole.TextAlignmentRole)
        assert align & Qt.AlignmentFlag.AlignRight


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        (PRICE, Decimal("1200.5678"), "¥1,200.5678"),
        (PRICE, Decimal("1200.5000"), "¥1,200.50"),
        (MONEY, Decimal("1234567.8"), "¥1,234,567.80"),
        (MONEY, Decimal("-5"), "-¥5.00"),
        (PERCENT, Decimal("0.00"), "0%"),
        (HOURS, Decimal("-1234.5"), "-1,234.5"),
    ],
)
def test_lists_and_the_history_show_places_and_grouping(
    field: FieldSpec, value: Decimal, expected: str
) -> None:
    assert format_value(field, value) == expected
    assert describe_value(field, value) == expected
