"""The import wizard end to end against a fake of the import API (``fake_import_api``):
upload, sheet and header row, mapping and templates, options, dry run (counts, preview,
problems, error report), commit with progress and Cancel, Undo; and a file dropped on a
list. The end-to-end test against the real server comes with the server's import."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from fake_import_api import COUNTS, IMPORT_ID, PROBLEMS, FakeImportApi, me
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QWheelEvent
from PySide6.QtWidgets import QApplication, QMessageBox, QTableWidget, QWidget, QWizard

from crm_client.core.changes import ChangeBus
from crm_client.core.context import AppContext
from crm_client.core.settings import ClientSettings
from crm_client.core.tasks import TaskRunner
from crm_client.views import (
    import_mapping,
    import_results,
    import_run,
    import_wizard,
    job_watcher,
)
from crm_client.views.entity_list import EntityListView
from crm_client.views.import_wizard import ImportWizard
from crm_common.entities import entity
from crm_common.permissions import DataScope, Permissions, grant
from crm_common.schemas.imports import ImportOutcome, LayoutField

CUSTOMER = replace(entity("customer"), importable=True)
NEXT = QWizard.WizardButton.NextButton
COMMIT = QWizard.WizardButton.CommitButton


@pytest.fixture
def fake() -> FakeImportApi:
    return FakeImportApi()


@pytest.fixture
def make_ctx(client_settings: ClientSettings,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[FakeImportApi], AppContext]]:
    monkeypatch.setattr(job_watcher, "POLL_MS", 10)
    runners: list[TaskRunner] = []

    def make(api: FakeImportApi) -> AppContext:
        runner = TaskRunner(api, ChangeBus())  # type: ignore[arg-type]
        runners.append(runner)
        return AppContext(api, client_settings, api.me(), runner.changes,  # type: ignore[arg-type]
                          runner)

    yield make
    for runner in runners:
        runner.wait_for_done()


@pytest.fixture
def workbook(tmp_path: Path) -> Path:
    path = tmp_path / "客户名单.xlsx"
    path.write_bytes(b"a workbook")
    return path


def _wizard(qtbot: Any, ctx: AppContext, path: Path | None = None) -> ImportWizard:
    wizard = ImportWizard(ctx, CUSTOMER, path=path)
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def _next(qtbot: Any, wizard: ImportWizard, which: QWizard.WizardButton = NEXT) -> None:
    button = wizard.button(which)
    qtbot.waitUntil(button.isEnabled)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def _mapping(wizard: ImportWizard) -> list[Any]:
    page = wizard.mapping_page
    return [page.field_box(row).value() for row in range(page.table.rowCount())]


def _upload_and_map(qtbot: Any, wizard: ImportWizard, fake: FakeImportApi, path: Path,
                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_wizard.QFileDialog, "getOpenFileName",
                        lambda *args: (str(path), ""))
    qtbot.mouseClick(wizard.file_page.browse_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(wizard.file_page.isComplete)
    assert fake.called("upload_import") == [("customer", path)]
    assert "2 sheets; “Customers” has 4 columns" in wizard.file_page.status.text()
    _next(qtbot, wizard)
    sheet = wizard.sheet_page
    assert (sheet.sheet_box.currentText(), sheet.header_box.value()) == ("Customers", 2)
    assert sheet.table.item(1, 1).text() == "手机"
    sheet.sheet_box.setCurrentIndex(0)
    sheet.sheet_box.activated.emit(0)  # another sheet: its header row is found again
    qtbot.waitUntil(lambda: sheet.isComplete() and wizard.session.layout.sheet == "Notes")
    assert fake.called("import_layout")[-1] == (IMPORT_ID, "Notes", None)
    assert sheet.table.rowCount() == 1 and sheet.header_box.value() == 1
    sheet.sheet_box.setCurrentIndex(1)
    sheet.sheet_box.activated.emit(1)
    qtbot.waitUntil(lambda: sheet.isComplete() and wizard.session.layout.sheet == "Customers")
    assert sheet.header_box.value() == 2
    sheet.header_box.setValue(1)  # the title row: no usable headings
    assert not wizard.button(NEXT).isEnabled()
    qtbot.waitUntil(lambda: sheet.isComplete() and wizard.session.layout.header_row == 1)
    assert sheet.table.item(0, 1).text() == "2024 年客户名单"
    sheet.header_box.setValue(2)
    qtbot.waitUntil(lambda: sheet.isComplete() and wizard.session.layout.header_row == 2)
    assert fake.called("import_layout")[-2:] == [(IMPORT_ID, "Customers", 1),
                                                 (IMPORT_ID, "Customers", 2)]
    _next(qtbot, wizard)


def test_the_wizard_imports_a_file_end_to_end(
        qtbot: Any, fake: FakeImportApi, make_ctx: Callable[..., AppContext],
        workbook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = make_ctx(fake)
    changed: list[tuple[str, list[int]]] = []
    ctx.changes.sig_entity_changed.connect(lambda key, ids: changed.append((key, ids)))
    wizard = _wizard(qtbot, ctx)
    room = wizard.screen().availableGeometry()  # 800 × 600 offscreen
    assert wizard.width() < room.width() and wizard.height() < room.height()
    _upload_and_map(qtbot, wizard, fake, workbook, monkeypatch)

    page = wizard.mapping_page
    assert _mapping(wizard) == ["name", "mobile", "level", None]
    wizard.activateWindow()
    qtbot.waitUntil(wizard.isActiveWindow)
    page.table.setFocus()
    qtbot.keyClick(page.table, Qt.Key.Key_Tab)  # from the table to the fields, in order
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is page.field_box(1) and page.table.currentRow() == 1
    page.field_box(0).setCurrentIndex(0)  # the required name left out
    assert page.warning.text() == "Required fields not mapped: Customer name"
    assert not wizard.button(NEXT).isEnabled()
    page.field_box(0).set_value("name")
    page.field_box(3).set_value("mobile")
    assert page.warning.text() == "Mapped to more than one column: Mobile"
    page.field_box(3).set_value("remark")
    assert page.warning.isHidden() and wizard.button(NEXT).isEnabled()
    owner = page.field_box(0).findText("Owner (read-only)")
    assert owner > 0 and not page.field_box(0).model().item(owner).isEnabled()  # read-only
    wheel = QWheelEvent(QPointF(5, 5), QPointF(5, 5), QPoint(0, 0), QPoint(0, -120),
                        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier,
                        Qt.ScrollPhase.NoScrollPhase, False)
    QApplication.sendEvent(page.field_box(2), wheel)  # scrolling the table past it
    assert page.field_box(2).value() == "level"

    monkeypatch.setattr(import_mapping.QInputDialog, "getText", lambda *a, **k: ("标准", True))
    qtbot.mouseClick(page.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: page.template_box.currentText() == "标准")
    assert fake.called("save_import_mapping")[0][:3] == (
        "customer", "标准", {"客户名称": "name", "手机": "mobile", "级别": "level",
                           "备注": "remark"})
    fake.templates[1] = fake.templates[1].model_copy(
        update={"columns": {"客户名称": "name", "手机": "mobile"}})
    page.load_templates()
    qtbot.waitUntil(lambda: page.templates[0].columns.get("级别") is None)
    page.template_box.activated.emit(page.template_box.currentIndex())
    assert _mapping(wizard) == ["name", "mobile", None, None]  # applied by heading

    _next(qtbot, wizard)
    wizard.options_page.modes.button(1).setChecked(True)  # update existing
    _next(qtbot, wizard)
    check = wizard.check_page
    qtbot.waitUntil(check.isComplete)
    assert fake.called("start_job")[0] == ("import_check", {
        "import_id": IMPORT_ID, "sheet": "Customers", "header_row": 2,
        "mapping": {"0": "name", "1": "mobile"}, "mode": "update", "atomic": False})
    assert check.counts.text() == ("New: 2 · Update: 1 · Skipped: 1 · Errors: 1 · "
                                   "Empty rows: 1")
    assert [check.preview.horizontalHeaderItem(c).text() for c in range(4)] == [
        "Row", "Action", "Customer name", "Mobile"]
    assert [check.preview.item(r, 1).text() for r in range(3)] == ["New", "Update", "Error"]
    assert check.preview.item(1, 3).text() == ""
    assert wizard.button(COMMIT).text() == "&Import"

    problems = check.problems
    qtbot.waitUntil(lambda: problems.table.rowCount() == 200)
    assert problems.total_label.text() == "200 of 231 shown"
    assert [problems.table.item(0, c).text() for c in range(5)] == [
        "", "D  备注", "Error", "This field cannot be imported", ""]  # a whole column
    assert [problems.table.item(1, c).text() for c in range(5)] == [
        "3", "B  手机", "Auto-fixed", "message 0", "13800138000"]
    problems.row_box.setValue(100)
    qtbot.mouseClick(problems.go_button, Qt.MouseButton.LeftButton)
    assert problems.table.currentRow() == 98  # on the page loaded already
    problems.row_box.lineEdit().selectAll()
    qtbot.keyClicks(problems.row_box, "225")
    qtbot.keyClick(problems.row_box, Qt.Key.Key_Return)  # Enter goes to the row, not Import
    qtbot.waitUntil(lambda: problems.table.rowCount() == 231)
    assert problems.table.currentRow() == 223 and not problems.more_button.isEnabled()
    assert wizard.currentPage() is check
    problems.verdict.set_value("error")
    errors = sum(p.verdict == "error" for p in PROBLEMS)
    qtbot.waitUntil(lambda: problems.table.rowCount() == errors)
    assert {problems.table.item(r, 2).text() for r in range(errors)} == {"Error"}

    report = tmp_path / "错误"
    monkeypatch.setattr(import_results.QFileDialog, "getSaveFileName",
                        lambda *args: (str(report), ""))
    qtbot.mouseClick(check.report_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(check.report_label.isVisible)
    assert report.with_suffix(".xlsx").read_bytes() == b"error report"

    _next(qtbot, wizard, COMMIT)
    commit = wizard.commit_page
    assert commit.cancel_button.isVisible() and not wizard.button(
        QWizard.WizardButton.FinishButton).isEnabled()
    qtbot.waitUntil(commit.isComplete)
    assert fake.called("start_job")[1][0] == "import"
    assert commit.counts.text().startswith("New: 2 · Update: 1")
    assert commit.subTitle() == "“客户名单.xlsx” is imported."
    assert {("customer", ()), ("import_batch", ())} <= {(k, tuple(i)) for k, i in changed}
    assert not commit.cancel_button.isVisible()
    assert not wizard.button(QWizard.WizardButton.BackButton).isEnabled()

    monkeypatch.setattr(import_run.QMessageBox, "question",
                        lambda *args: QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(commit.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: commit.undo_label.text().startswith("Undone"))
    assert fake.called("start_job")[2] == ("import_undo", {"import_id": IMPORT_ID})
    assert commit.undo_label.text() == (
        "Undone: 2 records removed, 1 restored.\n"
        "Changed since the import, so kept as they are (1):\n"
        "  Customer 12: Phone, Level")
    assert not commit.undo_button.isVisible()
    _next(qtbot, wizard, QWizard.WizardButton.FinishButton)
    assert not wizard.isVisible()


def test_the_import_can_be_cancelled_while_it_runs(
        qtbot: Any, fake: FakeImportApi, make_ctx: Callable[..., AppContext],
        workbook: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    wizard = _wizard(qtbot, make_ctx(fake))
    assert _drag(wizard.file_page, workbook)
    qtbot.waitUntil(wizard.file_page.isComplete)
    assert wizard.file_page.path_edit.text() == str(workbook)
    for _page in range(4):
        _next(qtbot, wizard)
    qtbot.waitUntil(wizard.check_page.isComplete)
    fake.hold = True
    _next(qtbot, wizard, COMMIT)
    commit = wizard.commit_page
    qtbot.waitUntil(lambda: commit.progress_label.text() == "2 / 4 rows · 2.0 /s · 1 s left")
    assert commit.progress.value() == 2 and commit.progress.maximum() == 4
    qtbot.mouseClick(commit.cancel_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(commit.isComplete)
    assert commit.banner.label.text() == "The job was cancelled."
    assert fake.called("cancel_job") == [(101,)]
    assert commit.counts.isHidden()
    asked: list[str] = []

    def answer(_parent: Any, _title: str, text: str) -> QMessageBox.StandardButton:
        asked.append(text)
        return QMessageBox.StandardButton.Yes

    monkeypatch.setattr(import_run.QMessageBox, "question", answer)
    fake.hold = False
    qtbot.mouseClick(commit.undo_button, Qt.MouseButton.LeftButton)  # the rows written so far
    qtbot.waitUntil(lambda: commit.undo_label.text().startswith("Undone"))
    assert asked[0].startswith("Undo this import? The records it created are removed")
    assert fake.called("start_job")[-1] == ("import_undo", {"import_id": IMPORT_ID})


def test_a_refused_upload_is_explained_and_another_file_can_be_chosen(
        qtbot: Any, fake: FakeImportApi, make_ctx: Callable[..., AppContext],
        workbook: Path, tmp_path: Path) -> None:
    ctx = make_ctx(fake)
    wizard = _wizard(qtbot, ctx)
    page = wizard.file_page
    too_large = tmp_path / "too-large.xlsx"
    too_large.write_bytes(b"big")
    page.choose(too_large)
    qtbot.waitUntil(lambda: bool(ctx.tasks.presenter.open_boxes()))
    [box] = ctx.tasks.presenter.open_boxes()
    assert "larger than the import allows" in box.text() + box.informativeText()
    assert page.browse_button.isEnabled() and not page.isComplete()
    assert page.status.text() == "" and page.progress.isHidden()
    box.close()
    page.choose(workbook)
    qtbot.waitUntil(page.isComplete)


def test_all_or_nothing_with_errors_cannot_be_committed(
        qtbot: Any, fake: FakeImportApi, make_ctx: Callable[..., AppContext],
        workbook: Path) -> None:
    wizard = _wizard(qtbot, make_ctx(fake), workbook)
    qtbot.waitUntil(wizard.file_page.isComplete)
    for _page in range(3):
        _next(qtbot, wizard)
    wizard.options_page.atomic.setChecked(True)
    _next(qtbot, wizard)
    qtbot.waitUntil(lambda: wizard.check_page.outcome is not None)
    assert COUNTS["error"] and not wizard.check_page.isComplete()
    assert wizard.check_page.note.text().startswith("All or nothing was chosen")
    assert fake.called("start_job")[0][1]["atomic"] is True


def _drag(widget: QWidget, path: Path) -> bool:
    """Drag ``path`` over ``widget`` and drop it there: whether it was taken."""
    data = QMimeData()
    data.setUrls([QUrl.fromLocalFile(str(path))])
    position = QPointF(widget.rect().center())
    enter = QDragEnterEvent(position.toPoint(), Qt.DropAction.CopyAction, data,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(position, Qt.DropAction.CopyAction, data, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    QApplication.sendEvent(widget, drop)
    return drop.isAccepted()


def test_a_file_dropped_on_the_list_opens_the_wizard_with_it(
        qtbot: Any, fake: FakeImportApi, make_ctx: Callable[..., AppContext],
        show_list: Callable[..., EntityListView], workbook: Path, tmp_path: Path) -> None:
    view = show_list(make_ctx(fake), CUSTOMER)
    assert view.import_action.isVisible() and view.acceptDrops()
    text = tmp_path / "notes.txt"
    text.write_text("not a spreadsheet")
    assert not _drag(view, text) and view.findChild(ImportWizard) is None
    assert _drag(view, workbook)
    wizard = view.findChild(ImportWizard)
    assert wizard is not None and wizard.isVisible()
    qtbot.waitUntil(wizard.file_page.isComplete)
    assert fake.called("upload_import") == [("customer", workbook)]
    wizard.close()
    view.recycle_action.trigger()  # nothing is imported into the recycle bin
    assert not view.import_action.isVisible() and not view.acceptDrops()


def test_no_import_without_the_right_or_for_entities_not_importable(
        qtbot: Any, make_ctx: Callable[..., AppContext],
        show_list: Callable[..., EntityListView], workbook: Path) -> None:
    reader = FakeImportApi(me(Permissions(entities={"customer": grant(DataScope.ALL)})))
    view = show_list(make_ctx(reader), CUSTOMER)
    assert not view.import_action.isVisible() and not view.acceptDrops()
    assert not _drag(view, workbook) and view.findChild(ImportWizard) is None
    admin_view = show_list(make_ctx(FakeImportApi()), entity("department"))
    assert not admin_view.import_action.isVisible()


def test_a_dry_run_left_behind_is_cancelled(
        qtbot: Any, fake: FakeImportApi, make_ctx: Callable[..., AppContext],
        workbook: Path) -> None:
    wizard = _wizard(qtbot, make_ctx(fake), workbook)
    qtbot.waitUntil(wizard.file_page.isComplete)
    fake.hold = True
    for _page in range(4):
        _next(qtbot, wizard)
    check = wizard.check_page
    qtbot.waitUntil(lambda: check.progress.maximum() == 4)
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.BackButton), Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: fake.called("cancel_job") == [(100,)])
    assert wizard.currentPage() is wizard.options_page
    _next(qtbot, wizard)
    qtbot.waitUntil(lambda: check.progress.maximum() == 4)
    assert [args[0] for args in fake.called("start_job")] == ["import_check"] * 2
    wizard.reject()
    qtbot.waitUntil(lambda: fake.called("cancel_job") == [(100,), (101,)])


def test_the_preview_shows_values_as_lists_do(qtbot: Any) -> None:
    """A choice by its label, a flag as a check mark, a reference as it was written."""
    table = QTableWidget()
    qtbot.addWidget(table)
    outcome = ImportOutcome.model_validate({"import_id": 1, "preview": [{
        "row": 3, "action": "new",
        "values": {"level": "key", "status": "potential", "owner_id": "李销售"}}]})
    fields = [LayoutField(name=name, label=name, required=False, writable=True)
              for name in ("level", "status", "owner_id")]
    import_results.fill_preview(table, outcome, fields, entity("customer"))
    texts = [table.item(0, column).text() for column in range(table.columnCount())]
    assert texts == ["3", "New", "Key account", "Potential", "李销售"]
