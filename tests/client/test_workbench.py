"""The workbench's open follow-ups (待跟进) against the real server: one per customer, the
date its latest follow-up set, completed and rescheduled from the card."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QToolButton

from builders import activity as activity_data
from builders import customer as customer_data
from crm_client.core.context import AppContext
from crm_client.models.formatting import format_date
from crm_client.views.entity_form import EntityFormDialog
from crm_client.views.workbench import WorkbenchView
from crm_common.entities import entity

CUSTOMER, ACTIVITY = entity("customer"), entity("activity")


@pytest.fixture
def ctx(sales_api: Any, make_context: Callable[[Any], AppContext]) -> AppContext:
    return make_context(sales_api)


def _follow_up(api: Any, customer_id: int, day: int, due: date | None) -> Any:
    return api.create(ACTIVITY, activity_data(
        customer_id, occurred_at=f"2026-01-0{day}T09:00:00+08:00", next_follow_up_on=due))


def _due_rows(workbench: WorkbenchView) -> list[tuple[str, str]]:
    tree = workbench.due.tree
    return [(tree.topLevelItem(i).text(1), tree.topLevelItem(i).text(0))
            for i in range(tree.topLevelItemCount())]


def _row_button(workbench: WorkbenchView, customer: str, text: str) -> QToolButton:
    tree = workbench.due.tree
    item = next(tree.topLevelItem(i) for i in range(tree.topLevelItemCount())
                if tree.topLevelItem(i).text(1) == customer)
    return next(b for b in tree.itemWidget(item, 2).findChildren(QToolButton) if b.text() == text)


def _form() -> EntityFormDialog:
    forms = [w for w in QApplication.topLevelWidgets()
             if isinstance(w, EntityFormDialog) and w.isVisible()]
    assert len(forms) == 1
    return forms[0]


def test_open_follow_ups_show_one_per_customer_and_can_be_completed_or_rescheduled(
    qtbot: Any, ctx: AppContext, sales_api: Any
) -> None:
    moved = sales_api.create(CUSTOMER, customer_data())
    _follow_up(sales_api, moved.id, 1, date(1990, 1, 1))
    _follow_up(sales_api, moved.id, 2, date(1990, 1, 3))  # supersedes the 1st of January
    waiting = sales_api.create(CUSTOMER, customer_data())
    _follow_up(sales_api, waiting.id, 1, date(1990, 1, 2))
    workbench = WorkbenchView(ctx)
    qtbot.addWidget(workbench)
    workbench.show()

    mine = {moved.name, waiting.name}
    qtbot.waitUntil(lambda: mine <= {name for name, _due in _due_rows(workbench)})
    assert [row for row in _due_rows(workbench) if row[0] in mine] == [
        (waiting.name, format_date(date(1990, 1, 2))),
        (moved.name, format_date(date(1990, 1, 3))),
    ]

    _row_button(workbench, waiting.name, "Done…").click()
    form = _form()
    assert form.editors["next_follow_up_on"].value() is not None  # offered, may be cleared
    form.editors["subject"].widget.setText("已回访，暂不需要再跟进")
    form.editors["next_follow_up_on"].set_value(None)
    form.save_button.click()
    qtbot.waitUntil(lambda: waiting.name not in {n for n, _d in _due_rows(workbench)})

    _row_button(workbench, moved.name, "Reschedule…").click()
    form = _form()
    assert list(form.editors) == ["next_follow_up_on"]
    qtbot.waitUntil(lambda: form.editors["next_follow_up_on"].value() == "1990-01-03")
    form.editors["next_follow_up_on"].set_value(date(1990, 1, 4))
    form.save_button.click()
    qtbot.waitUntil(lambda: (moved.name, format_date(date(1990, 1, 4))) in _due_rows(workbench))
    assert sales_api.get(CUSTOMER, moved.id).next_follow_up_on == date(1990, 1, 4)
