"""The customer form's 省 / 市 / 区 cascade and its industry list: editable combos with
type-ahead over the shipped divisions and the server's active industries, free text kept."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLineEdit

from builders import customer as customer_data
from crm_client.views.entity_form import EntityFormDialog
from crm_client.widgets.suggest_combo import SuggestCombo
from crm_client.widgets.suggest_editors import ListedEditor, RegionEditor
from crm_common.entities import entity

CUSTOMER = entity("customer")


def combo(form: EntityFormDialog, name: str) -> SuggestCombo:
    editor = form.editors[name]
    assert isinstance(editor, RegionEditor | ListedEditor)
    return editor.combo


def type_text(edit: QLineEdit, text: str) -> None:
    """Type Chinese as an input method delivers it, a key event per character (QTest's key
    clicks take ASCII only)."""
    for character in text:
        QApplication.sendEvent(edit, QKeyEvent(QEvent.Type.KeyPress, 0,
                                               Qt.KeyboardModifier.NoModifier, character))


def completions(box: SuggestCombo, typed: str) -> list[str]:
    """What the type-ahead offers for ``typed``."""
    completer = box.completer()
    completer.setCompletionPrefix(typed)
    model = completer.completionModel()
    return [model.index(row, 0).data() for row in range(model.rowCount())]


def test_a_province_narrows_the_cities_and_a_city_the_districts(qtbot: Any,
                                                                open_form: Any) -> None:
    form = open_form()
    province, city, district = (combo(form, name) for name in ("province", "city", "district"))
    assert len(province.options()) == 34 and city.options() == []
    type_text(province.edit(), "广东")  # typed short: read as 广东省
    assert "深圳市" in city.options() and "长沙市" not in city.options()
    assert len(city.options()) == 21
    city.setCurrentIndex(city.findText("深圳市"))
    city.activated.emit(city.currentIndex())  # picked from the list
    assert "南山区" in district.options() and "海淀区" not in district.options()
    assert completions(district, "南山") == ["南山区"]
    assert completions(province, "蒙古") == ["内蒙古自治区"]
    assert form.changes()["city"] == "深圳市"
    province.edit().editingFinished.emit()  # leaving the field: the full name
    assert province.text() == "广东省" and form.changes()["province"] == "广东省"
    type_text(district.edit(), "南山")
    district.edit().editingFinished.emit()
    assert district.text() == "南山区"


def test_free_text_stays_and_an_edited_record_offers_its_own_divisions(
        qtbot: Any, open_form: Any, sales_api: Any) -> None:
    form = open_form()
    form.editors["name"].widget.setText(customer_data()["name"])  # type: ignore[attr-defined]
    for name, text in (("province", "广东省"), ("city", "深圳市"), ("district", "前海合作区")):
        type_text(combo(form, name).edit(), text)
    with qtbot.waitSignal(form.sig_saved) as saved:
        form.save()
    record = sales_api.get(CUSTOMER, saved.args[0].id)
    assert (record.province, record.city, record.district) == ("广东省", "深圳市", "前海合作区")
    again = open_form(record.id)
    assert combo(again, "district").text() == "前海合作区"
    assert "南山区" in combo(again, "district").options()
    assert again.changes() == {}


def test_industries_are_offered_from_the_active_list(qtbot: Any, open_form: Any) -> None:
    form = open_form()
    industry = combo(form, "industry")
    qtbot.waitUntil(lambda: industry.count() >= 20)
    offered = [industry.itemText(i) for i in range(industry.count())]
    seeded = [name for name in offered if name.endswith("业") or name == "国际组织"]
    assert seeded[:2] == ["农、林、牧、渔业", "采矿业"]  # the list's order: A, B …
    assert completions(industry, "制造") == ["制造业"]
    type_text(industry.edit(), "光伏")  # not listed: kept as typed
    assert form.changes()["industry"] == "光伏"
