"""The jobs panel against the real server: the status bar's indicator, an administrator
recomputing the search text from the console, progress, cancel, and the notice when a job
ends."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from pydantic import BaseModel
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QProgressBar
from sqlalchemy.orm import Session

from crm_client.admin.maintenance_page import MaintenancePage
from crm_client.api.client import ApiClient
from crm_client.views.jobs_panel import JobsDialog, rate_text, time_left
from crm_client.views.main_window import MainWindow
from crm_common.schemas.job import JobRead, JobState
from crm_server.kit import jobs
from crm_server.security.principal import Principal
from job_gates import GATES


class Gate(BaseModel):
    name: str


def _waits(session: Session, user: Principal, params: Gate,
           progress: jobs.Progress) -> dict[str, Any]:
    """A job of three steps that waits for the test after its first."""
    progress(1, 3)
    GATES[params.name].wait(20)
    progress(2, 3)
    progress(3, 3)
    return {}


jobs.register_kind(jobs.JobKind("client_test_waits", "Waits", Gate, _waits,
                                lambda _user: True))


def _open_panel(window: MainWindow, qtbot: Any) -> JobsDialog:
    indicator = window.jobs.indicator
    assert indicator.isVisibleTo(window)
    qtbot.mouseClick(indicator, Qt.MouseButton.LeftButton)
    dialog = window.jobs.dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def _row_of(dialog: JobsDialog, job_id: int) -> int:
    for row in range(dialog.table.rowCount()):
        if dialog.table.item(row, 0).data(Qt.ItemDataRole.UserRole) == job_id:
            return row
    return -1


def test_an_administrator_recomputes_the_search_text_from_the_console(
        qtbot: Any, admin_api: ApiClient, window_for: Callable[[ApiClient], MainWindow]
) -> None:
    window = window_for(admin_api)
    ended: list[JobRead] = []
    window.jobs.monitor.sig_ended.connect(ended.append)
    console = window.show_page("admin")
    maintenance = console.findChild(MaintenancePage)
    assert maintenance is not None
    dialog = maintenance.open_recompute()
    dialog.entity_combo.setCurrentIndex(dialog.entity_combo.findData("contact"))
    with qtbot.waitSignal(dialog.sig_started, timeout=10000) as started:
        qtbot.mouseClick(dialog.start_button, Qt.MouseButton.LeftButton)
    job: JobRead = started.args[0]
    assert job.kind == "recompute_search" and job.params == {"entity": "contact"}
    panel = _open_panel(window, qtbot)
    qtbot.waitUntil(lambda: job.id in [j.id for j in ended], timeout=30000)
    assert window.statusBar().currentMessage() == "“Recompute search text” is done"
    assert panel.banner.label.text() == "“Recompute search text” is done"
    row = _row_of(panel, job.id)
    assert panel.table.item(row, 1).text() == "Succeeded"
    bar = panel.table.cellWidget(row, 2)
    assert isinstance(bar, QProgressBar) and bar.value() == bar.maximum() > 0
    assert panel.recompute_button.isVisible()
    panel.close()


def test_a_running_job_shows_its_progress_and_is_cancelled_from_the_panel(
        qtbot: Any, gate: str, sales_api: ApiClient,
        window_for: Callable[[ApiClient], MainWindow]) -> None:
    window = window_for(sales_api)
    job = sales_api.start_job("client_test_waits", {"name": gate})
    panel = _open_panel(window, qtbot)
    assert not panel.recompute_button.isVisible()  # administrators only

    def progressed() -> bool:
        row = _row_of(panel, job.id)
        bar = panel.table.cellWidget(row, 2) if row >= 0 else None
        return isinstance(bar, QProgressBar) and bar.value() == 1 and bar.maximum() == 3

    qtbot.waitUntil(progressed, timeout=10000)
    assert window.jobs.indicator.text() == "Jobs running: 1"
    assert window.jobs.monitor.polling
    panel.table.selectRow(_row_of(panel, job.id))
    assert panel.cancel_button.isEnabled()
    with qtbot.waitSignal(window.jobs.monitor.sig_ended, timeout=30000,
                          check_params_cb=lambda ended: ended.id == job.id):
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: any(j.id == job.id and j.cancel_requested
                                    for j in window.jobs.monitor.jobs))
        GATES[gate].set()
    assert window.statusBar().currentMessage() == "“Waits” was cancelled"
    assert panel.table.item(_row_of(panel, job.id), 1).text() == "Cancelled"
    assert window.jobs.indicator.text() == "Jobs"
    assert not window.jobs.monitor.polling  # nothing runs: the client stops asking
    panel.close()


def test_time_left_and_rate_come_from_the_progress_so_far() -> None:
    running = JobRead(id=1, kind="k", state=JobState.RUNNING, done=100, total=1300,
                      rate=Decimal("10.0"))
    assert time_left(running) == "2 min"
    assert time_left(running.model_copy(update={"total": 130})) == "3 s"
    assert time_left(running.model_copy(update={"total": 100_000})) == "2 h 46 min"
    assert time_left(running.model_copy(update={"total": None})) == ""
    assert time_left(running.model_copy(update={"state": JobState.SUCCEEDED})) == ""
    assert rate_text(running) == "10.0 /s"
