"""The list's Export… button against the real server: shown only with the export right, it
writes the list as filtered, in its visible columns, to the file the user picks."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from builders import customer as customer_data
from builders import unique
from crm_client.core.context import AppContext
from crm_client.views import list_export
from crm_client.views.entity_list import EntityListView
from crm_common.entities import entity

CUSTOMER = entity("customer")


def _choose(monkeypatch: pytest.MonkeyPatch, path: Path, file_format: str) -> None:
    label = list_export._(list_export.FORMATS[file_format])
    monkeypatch.setattr(list_export.QFileDialog, "getSaveFileName",
                        lambda *args: (str(path.with_suffix("")), label))


@pytest.mark.parametrize("file_format", ["xlsx", "csv"])
def test_export_writes_the_filtered_list_in_its_visible_columns(
        qtbot: Any, admin_api: Any, make_context: Callable[[Any], AppContext],
        show_list: Callable[..., EntityListView], monkeypatch: pytest.MonkeyPatch,
        tmp_path: Path, file_format: str) -> None:
    mark = f"导出{unique()}"
    names = sorted(admin_api.create(CUSTOMER, customer_data(name=f"{mark}精工{n}有限公司")).name
                   for n in range(3))
    view = show_list(make_context(admin_api), CUSTOMER)
    assert view.export_action.isVisible()
    view.table.horizontalHeader().hideSection(view.model.column_of("level"))
    with qtbot.waitSignal(view.sig_loaded, timeout=10000):
        view.search.setText(mark)  # pasted: QTest types Latin-1 only
    shown = sorted(view.model.record(row).name for row in range(view.model.rowCount()))
    assert shown == names
    path = tmp_path / f"客户.{file_format}"
    _choose(monkeypatch, path, file_format)
    with qtbot.waitSignal(view.sig_exported, timeout=30000) as written:
        view.export_action.trigger()
    assert written.args == [str(path)]
    view.recycle_action.trigger()  # deleted records are not exported
    assert not view.export_action.isVisible()
    if file_format == "xlsx":
        sheet = openpyxl.load_workbook(path).active
        assert sheet is not None
        rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    else:
        with path.open(encoding="utf-8-sig", newline="") as file:
            rows = list(csv.reader(file))
    header, *body = rows
    assert "级别" not in header and "Level" not in header and header[0] in ("Name", "名称")
    assert sorted(row[0] for row in body) == names


def test_no_export_without_the_right(sales_api: Any,
                                     make_context: Callable[[Any], AppContext],
                                     show_list: Callable[..., EntityListView]) -> None:
    view = show_list(make_context(sales_api), CUSTOMER)
    assert not view.export_action.isVisible()


def test_no_export_where_none_exists_even_for_administrators(
        admin_api: Any, make_context: Callable[[Any], AppContext],
        show_list: Callable[..., EntityListView]) -> None:
    """An administrator holds every right, but departments have no export to offer."""
    ctx = make_context(admin_api)
    assert not show_list(ctx, entity("department")).export_action.isVisible()
    assert show_list(ctx, CUSTOMER).export_action.isVisible()
