"""The generic list against the real server: header sort, pinyin search, filters, the total,
delete and restore through the recycle bin, and the remembered column layout."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QMessageBox, QStyleOptionHeader

from builders import customer as customer_data
from crm_client.core.context import AppContext
from crm_client.views.entity_list import EntityListView
from crm_common.cleansing import initials
from crm_common.entities import entity

CUSTOMER = entity("customer")
SortUp = QStyleOptionHeader.SortIndicator.SortUp
SortDown = QStyleOptionHeader.SortIndicator.SortDown


@pytest.fixture
def ctx(sales_api: Any, make_context: Callable[[Any], AppContext]) -> AppContext:
    return make_context(sales_api)


@pytest.fixture
def open_list(ctx: AppContext, show_list: Callable[..., EntityListView]
              ) -> Callable[..., EntityListView]:
    """``open_list(**kwargs)``: a shown customer list whose first page has arrived."""
    return lambda **kwargs: show_list(ctx, CUSTOMER, **kwargs)


def values(view: EntityListView, name: str) -> list[Any]:
    return [getattr(view.model.record(row), name) for row in range(view.model.rowCount())]


def click_header(qtbot: Any, view: EntityListView, field: str) -> None:
    header = view.table.horizontalHeader()
    column = view.model.column_of(field)
    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=QPoint(x, 5))


def test_a_header_click_sorts_on_the_server(qtbot: Any, open_list: Any) -> None:
    view = open_list()
    by_name = values(view, "id")

    with qtbot.waitSignal(view.sig_loaded):
        click_header(qtbot, view, "level")
    assert view.current_params()["sort"] == "level"
    levels = values(view, "level")
    assert levels == sorted(levels)
    assert values(view, "id") != by_name

    with qtbot.waitSignal(view.sig_loaded):
        click_header(qtbot, view, "level")
    assert view.current_params()["sort"] == "-level"
    assert values(view, "level") == sorted(values(view, "level"), reverse=True)


def test_a_column_the_server_cannot_sort_ignores_clicks(qtbot: Any, open_list: Any) -> None:
    view = open_list()
    with qtbot.assertNotEmitted(view.sig_loaded, wait=300):
        click_header(qtbot, view, "short_name")
    assert view.current_params()["sort"] == CUSTOMER.default_sort
    header = view.table.horizontalHeader()
    assert header.sortIndicatorSection() == view.model.column_of("name")


def test_pinyin_initials_narrow_the_list(qtbot: Any, open_list: Any, sales_api: Any) -> None:
    made = sales_api.create(CUSTOMER, customer_data(name="苏州瀚文精密机械有限公司"))
    view = open_list()
    everything = view.model.total

    with qtbot.waitSignal(view.sig_loaded, timeout=3000):
        qtbot.keyClicks(view.search, initials("苏州瀚文精密"))  # debounced: one reload
    assert view.current_params()["q"] == "szhwjm"
    assert made.id in values(view, "id")
    assert view.model.rowCount() < everything


def test_chinese_names_show_in_pinyin_order(qtbot: Any, open_list: Any, sales_api: Any) -> None:
    """东莞 → 佛山 → 上海 → 伟业, not the code-point order 上海 → 东莞 → 伟业 → 佛山."""
    mark = f"拼音{uuid.uuid4().hex[:8]}"
    for city in ("上海", "伟业", "东莞", "佛山"):
        sales_api.create(CUSTOMER, customer_data(name=f"{city}{mark}有限公司"))
    view = open_list()
    with qtbot.waitSignal(view.sig_loaded, timeout=3000):
        view.search.setText(mark)  # pasted: QTest types Latin-1 only
    column = view.model.column_of("name")
    shown = [view.model.index(row, column).data() for row in range(view.model.rowCount())]
    assert shown == [f"{city}{mark}有限公司" for city in ("东莞", "佛山", "上海", "伟业")]


def test_a_level_filter_narrows_the_list(qtbot: Any, open_list: Any) -> None:
    view = open_list()
    combo = view.filter_bar.widget("level")
    index = combo.findText("A")
    with qtbot.waitSignal(view.sig_loaded):
        combo.setCurrentIndex(index)
        combo.activated.emit(index)
    assert view.current_params()["level"] == "A"
    assert set(values(view, "level")) == {"A"}
    assert view.filter_bar.clear_button.isVisibleTo(view)

    with qtbot.waitSignal(view.sig_loaded):
        view.filter_bar.clear()
    assert "level" not in view.current_params()
    assert len(set(values(view, "level"))) > 1


def test_the_total_says_whether_it_is_exact(qtbot: Any, open_list: Any) -> None:
    view = open_list()
    text = view.total_label.text()
    assert "records" in text
    assert f"{view.model.total:,}" in text


def test_delete_goes_to_the_recycle_bin_and_restore_brings_it_back(
    qtbot: Any, open_list: Any, sales_api: Any, monkeypatch: Any
) -> None:
    made = sales_api.create(CUSTOMER, customer_data())
    view = open_list()
    with qtbot.waitSignal(view.sig_loaded):
        view.search.setText(made.name)
    assert values(view, "id") == [made.id]
    asked: list[str] = []

    def answer_yes(_parent: Any, _title: str, text: str, *args: Any) -> Any:
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(QMessageBox, "question", answer_yes)
    view.table.selectRow(0)
    view.delete_action.trigger()
    qtbot.waitUntil(lambda: view.model.rowCount() == 0)
    assert made.name in asked[0]  # the confirmation names the record

    with qtbot.waitSignal(view.sig_loaded):
        view.recycle_action.trigger()
    assert values(view, "id") == [made.id]
    assert view.restore_action.isVisible() and not view.delete_action.isVisible()
    view.table.selectRow(0)
    with qtbot.waitSignal(view.sig_loaded):  # the recycle bin reloads after the change
        view.restore_action.trigger()
    assert view.model.rowCount() == 0
    assert sales_api.get(CUSTOMER, made.id).deleted_at is None


def test_the_recycle_bin_says_so_and_leads_back(qtbot: Any, open_list: Any) -> None:
    view = open_list()
    assert not view.recycle_banner.isVisible()
    with qtbot.waitSignal(view.sig_loaded):
        view.recycle_action.trigger()
    assert view.recycle_banner.isVisible()
    assert view.recycle_banner.label.text().startswith("Recycle bin: deleted customers")
    with qtbot.waitSignal(view.sig_loaded):
        view.recycle_banner.button.click()
    assert not view.recycle_banner.isVisible() and not view.recycle_action.isChecked()
    assert "deleted" not in view.current_params() and view.new_action.isVisible()


def test_the_column_layout_and_sort_are_remembered(qtbot: Any, open_list: Any) -> None:
    view = open_list()
    with qtbot.waitSignal(view.sig_loaded):
        click_header(qtbot, view, "province")
    column = view.model.column_of("industry")
    city = view.model.column_of("city")
    view.table.horizontalHeader().resizeSection(city, 133)
    view.columns.set_shown(column, False)
    view.columns.save()

    again = open_list()
    header = again.table.horizontalHeader()
    assert header.isSectionHidden(column)
    assert header.sectionSize(city) == 133
    assert again.current_params()["sort"] == "province"


def test_the_columns_fill_the_list_and_the_widest_takes_the_slack(
    qtbot: Any, open_list: Any
) -> None:
    """No blank space next to cut-off names: the name column (the widest declared) grows and
    shrinks with the window; the widths the person set keep theirs."""
    view = open_list()
    header = view.table.sort_header
    name, city = view.model.column_of("name"), view.model.column_of("city")
    declared = CUSTOMER.field("name").width
    header.resizeSection(city, 150)
    for width in (1600, 1300):
        view.resize(width, 600)
        qtbot.waitUntil(lambda: header.length() == header.width())
        assert header.sectionSize(name) > declared and header.sectionSize(city) == 150
    view.resize(500, 600)  # too narrow: the name keeps its declared width, the list scrolls
    qtbot.waitUntil(lambda: header.sectionSize(name) == declared)
    view.columns.set_shown(name, False)  # the next widest takes over, the name gets its own
    assert header.slack_section() == view.model.column_of("last_activity_at")
    view.columns.set_shown(name, True)
    assert header.slack_section() == name and header.sectionSize(city) == 150


def test_the_sort_arrow_points_up_for_ascending_as_on_windows(
    qtbot: Any, open_list: Any
) -> None:
    view = open_list()
    header = view.table.sort_header

    def arrow() -> QStyleOptionHeader.SortIndicator:
        option = QStyleOptionHeader()
        header.initStyleOptionForIndex(option, view.model.column_of("name"))
        return option.sortIndicator

    assert view.current_params()["sort"] == "name" and arrow() == SortUp
    with qtbot.waitSignal(view.sig_loaded):
        click_header(qtbot, view, "name")
    assert view.current_params()["sort"] == "-name" and arrow() == SortDown


def test_fixed_filters_pin_the_list_and_hide_their_column(
    qtbot: Any, ctx: AppContext, sales_api: Any
) -> None:
    made = sales_api.create(CUSTOMER, customer_data())
    contacts = entity("contact")
    sales_api.create(contacts, {"customer_id": made.id, "name": "周工"})
    view = EntityListView(ctx, contacts, fixed_filters={"customer_id": made.id})
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.sig_loaded):
        pass
    assert [record.name for record in (view.model.record(0),)] == ["周工"]  # type: ignore[attr-defined]
    assert view.model.column_of("customer_id") == -1
    with pytest.raises(KeyError):
        view.filter_bar.widget("customer_id")
