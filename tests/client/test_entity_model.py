"""``EntityTableModel``: holds what the owner fetched, asks for more instead of fetching, and
formats every kind of field the way the whole client shows it. The last test pages through
the real server's customer list until the end."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from PySide6.QtCore import QModelIndex, Qt

from crm_client.api.client import PageResult
from crm_client.core.i18n import set_language
from crm_client.models.entity_model import RECORD_ROLE, EntityTableModel
from crm_client.models.formatting import (
    describe_value,
    format_size,
    format_value,
    masked_text,
)
from crm_client.views.entity_list import EntityListView
from crm_common.entities import FieldSpec, Kind, entity
from crm_common.schemas.customer import CustomerRead

CUSTOMER = entity("customer")
NOW = datetime(2026, 3, 1, 8, 30, tzinfo=UTC)


def customer(number: int, **values: Any) -> CustomerRead:
    base: dict[str, Any] = {
        "id": number,
        "version": 1,
        "created_at": NOW,
        "updated_at": NOW,
        "name": f"客户{number:05d}",
        "level": "B",
        "status": "active",
    }
    return CustomerRead.model_validate({**base, **values})


def page(first: int, count: int, next_cursor: str | None, total: int = 0) -> PageResult:
    items: list[Any] = [customer(first + offset) for offset in range(count)]
    return PageResult(items=items, next=next_cursor, total=total, total_exact=False)


@pytest.fixture
def model(qapp: Any) -> EntityTableModel:
    return EntityTableModel(CUSTOMER.listed_fields)


def text(model: EntityTableModel, row: int, name: str) -> Any:
    return model.index(row, model.column_of(name)).data(Qt.ItemDataRole.DisplayRole)


def test_fetch_more_only_asks_the_owner_once_per_page(model: EntityTableModel) -> None:
    asked: list[bool] = []
    model.sig_fetch_more_requested.connect(lambda: asked.append(True))
    assert not model.canFetchMore(QModelIndex())  # nothing before the owner's first page

    model.append_page(page(1, 3, "cursor-1", total=5))
    assert model.rowCount() == 3
    assert model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    model.fetchMore(QModelIndex())  # Qt asks again while the page is on its way
    assert asked == [True]

    model.append_page(page(4, 2, None))
    assert model.rowCount() == 5
    assert not model.canFetchMore(QModelIndex())


def test_an_exact_total_stays_while_later_pages_bring_estimates(
        model: EntityTableModel) -> None:
    model.append_page(PageResult(items=page(1, 3, "c1").items, next="c1", total=7,
                                 total_exact=True))
    model.append_page(page(4, 3, "c2", total=4_000))  # the server estimates next pages
    assert (model.total, model.total_exact) == (7, True)
    model.reset_rows()
    model.append_page(page(1, 3, "c1", total=900))
    model.append_page(page(4, 3, "c2", total=950))
    assert (model.total, model.total_exact) == (950, False)


def test_a_failed_page_may_be_asked_for_again(model: EntityTableModel) -> None:
    asked: list[bool] = []
    model.sig_fetch_more_requested.connect(lambda: asked.append(True))
    model.append_page(page(1, 2, "cursor"))
    model.fetchMore(QModelIndex())
    model.fetch_failed()
    model.fetchMore(QModelIndex())
    assert asked == [True, True]


def test_rows_are_found_updated_and_removed_by_id(model: EntityTableModel) -> None:
    model.append_page(page(10, 3, None))
    assert model.row_of(11) == 1
    assert model.row_of(99) == -1

    model.update_record(customer(11, name="改名后的客户"))
    assert text(model, 1, "name") == "改名后的客户"
    assert model.index(1, 0).data(RECORD_ROLE).name == "改名后的客户"

    model.remove_record(10)
    assert model.rowCount() == 2
    assert model.row_of(12) == 1
    assert model.record(1).id == 12  # type: ignore[attr-defined]


def test_a_page_repeating_held_records_does_not_duplicate_them(model: EntityTableModel) -> None:
    model.append_page(page(1, 3, "cursor"))
    model.append_page(page(3, 3, None))
    assert [model.record(row).id for row in range(model.rowCount())] == [1, 2, 3, 4, 5]  # type: ignore[attr-defined]


def test_only_a_window_is_held_and_dropped_pages_are_asked_for_again(qapp: Any) -> None:
    model = EntityTableModel(CUSTOMER.listed_fields, max_rows_held=10)
    requested: list[tuple[int, str | None]] = []
    model.sig_page_requested.connect(lambda number, after: requested.append((number, after)))
    for first, cursor in ((1, "after-5"), (6, "after-10"), (11, None)):
        model.append_page(page(first, 5, cursor))
    assert model.rowCount() == 15
    assert model.rows_held == 10
    assert model.record(0) is None  # the page farthest from the end was dropped
    assert model.row_of(1) == -1

    assert model.index(0, 0).data() is None  # on screen again: asked for, shown blank
    assert model.index(1, 0).data() is None
    assert requested == [(0, None)]  # once per page, with the cursor it was fetched with
    model.fill_page(0, page(1, 5, "after-5"))
    assert text(model, 0, "name") == "客户00001"
    assert model.rows_held == 10  # now the last page, far from row 0, made room
    assert model.record(14) is None
    model.index(14, 0).data()
    assert requested[-1] == (2, "after-10")


def test_reset_forgets_rows_and_the_cursor(model: EntityTableModel) -> None:
    model.append_page(page(1, 3, "cursor", total=400))
    model.reset_rows()
    assert model.rowCount() == 0
    assert model.next_cursor is None
    assert model.total == 0


def test_cells_read_as_people_expect(model: EntityTableModel) -> None:
    model.append_page(
        PageResult(
            items=[customer(1, level="key", owner_name="李销售", last_activity_at=NOW)],
            next=None,
            total=1,
            total_exact=True,
        )
    )
    assert text(model, 0, "level") == "Key account"  # the choice's label, not "key"
    assert text(model, 0, "owner_id") == "李销售"  # a reference shows its title
    local = NOW.astimezone().strftime("%Y-%m-%d %H:%M")
    assert text(model, 0, "last_activity_at") == local


@pytest.mark.parametrize(
    ("kind", "value", "expected"),
    [
        (Kind.MONEY, Decimal("1234.5"), "¥1,234.50"),
        (Kind.BOOL, True, "✓"),
        (Kind.BOOL, False, ""),
        (Kind.TAGS, ["老客户", "重点项目"], "老客户、重点项目"),
        (Kind.DATE, date(2026, 3, 9), "2026-03-09"),
        (Kind.INT, 42, "42"),
        (Kind.TEXT, None, ""),
    ],
)
def test_each_kind_has_one_format(kind: Kind, value: Any, expected: str) -> None:
    assert format_value(FieldSpec("x", "X", kind), value) == expected


def test_a_translated_field_shows_the_catalogue_text() -> None:
    """A scheduled task's label comes from the server in English, and reads in Chinese."""
    set_language("zh_CN")  # the fixture sets English back afterwards
    assert format_value(entity("scheduled_task").field("name"), "Scheduled task") == "定时任务"
    assert format_value(FieldSpec("x", "X"), "Scheduled task") == "Scheduled task"


@pytest.mark.parametrize(("stored", "english", "chinese"), [
    ("daily 02:00", "daily 02:00", "每天 02:00"),
    ("weekly sun 03:00", "weekly Sun 03:00", "每周日 03:00"),
    ("every 15m", "every 15 min", "每 15 分钟"),
    ("off", "off", "关闭"),
    ("not a schedule", "not a schedule", "not a schedule"),
])
def test_a_schedule_reads_in_the_users_language(stored: str, english: str,
                                                chinese: str) -> None:
    field = entity("scheduled_task").field("effective_schedule")
    assert format_value(field, stored) == english
    set_language("zh_CN")  # the fixture sets English back afterwards
    assert format_value(field, stored) == chinese


def test_comparisons_spell_out_empty_and_boolean_values() -> None:
    assert describe_value(FieldSpec("x", "X", Kind.BOOL), False) == "No"
    assert describe_value(FieldSpec("x", "X"), None) == "(empty)"
    assert format_size(2_500_000) == "2.4 MB"


def test_a_masked_reference_reads_as_its_masked_title_everywhere() -> None:
    record = customer(1, masked={"owner_id": "****", "owner_name": "李***",
                                 "uscc": "91310000****1234"})
    assert masked_text(record, CUSTOMER.field("owner_id")) == "李***"
    assert masked_text(record, CUSTOMER.field("uscc")) == "91310000****1234"
    assert masked_text(record, CUSTOMER.field("phone")) == ""


def test_money_and_numbers_are_right_aligned(qapp: Any) -> None:
    fields = (FieldSpec("amount", "Amount", Kind.MONEY), FieldSpec("name", "Name"))
    model = EntityTableModel(fields)
    align = model.headerData(0, Qt.Orientation.Horizontal, Qt.ItemDataRole.TextAlignmentRole)
    assert align & Qt.AlignmentFlag.AlignRight


def test_fetch_more_pages_through_the_real_list_until_the_end(
    qtbot: Any, live_server: Any, admin_api: Any, make_context: Any
) -> None:
    ctx = make_context(admin_api)  # a sales rep sees only their own customers: too few
    ctx.settings.page_size = 50
    everything = admin_api.list(CUSTOMER, {"limit": 1, "exact_total": True}).total
    assert everything > 100, "the demo data should need several pages"
    view = EntityListView(ctx, CUSTOMER)
    qtbot.addWidget(view)
    with qtbot.waitSignal(view.sig_loaded):
        pass
    assert view.model.rowCount() == 50

    pages = 1
    while view.model.canFetchMore(QModelIndex()):
        with qtbot.waitSignal(view.sig_loaded):
            view.model.fetchMore(QModelIndex())
        pages += 1
    assert view.model.rowCount() == everything
    assert pages == -(-everything // 50)
    ids = [view.model.record(row).id for row in range(view.model.rowCount())]  # type: ignore[attr-defined]
    assert len(set(ids)) == everything  # keyset pages neither skip nor repeat records
