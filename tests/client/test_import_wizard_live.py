"""The import wizard against the real server: a small messy workbook through every page,
giving the same counts as ``crm-server import --dry-run --json`` on the same file, then
imported and undone."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWizard

from builders import unique
from crm_client.core.context import AppContext
from crm_client.views import import_results, import_run, job_watcher
from crm_client.views.import_wizard import ImportWizard
from crm_common.entities import entity
from serving import crm_server_cli

CUSTOMER = entity("customer")


def _next(qtbot: Any, wizard: ImportWizard, which: Any = QWizard.WizardButton.NextButton,
          timeout: int = 20000) -> None:
    button = wizard.button(which)
    qtbot.waitUntil(button.isEnabled, timeout=timeout)
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def test_the_wizard_imports_and_undoes_against_the_server(
        qtbot: Any, admin_api: Any, make_context: Callable[[Any], AppContext],
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, live_server: Any) -> None:
    monkeypatch.setattr(job_watcher, "POLL_MS", 100)
    mark = f"向导{unique()}"
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["2024 年客户名单"])
    sheet.append(["客户名称", "电话", "级别", "备注"])
    sheet.append([f"{mark}甲公司", "010-62345678", "A级", "x"])
    sheet.append([f"{mark}乙公司", "021 87654321", "B", "y"])
    sheet.append(["", "", "", ""])
    sheet.append([f"{mark}丙公司", "", "Z级", ""])
    path = tmp_path / "客户.xlsx"
    book.save(path)
    settings = live_server.settings
    env = {**os.environ, "CRM_DATABASE_URL": settings.database_url}
    cli = crm_server_cli("import", "customer", str(path), "--json", "--dry-run",
                         "--data-dir", str(settings.data_dir), env=env)
    assert cli.returncode == 0, cli.stderr
    expected = json.loads(cli.stdout)["counts"]
    assert expected == {"new": 2, "update": 0, "skip": 0, "error": 1, "empty": 1}
    ctx = make_context(admin_api)
    wizard = ImportWizard(ctx, CUSTOMER)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.file_page.choose(path)
    qtbot.waitUntil(wizard.file_page.isComplete, timeout=20000)
    layout = wizard.session.layout
    assert layout is not None and layout.header_row == 2
    _next(qtbot, wizard)
    _next(qtbot, wizard)
    monkeypatch.setattr(import_results.QFileDialog, "getSaveFileName",
                        lambda *args: (str(tmp_path / "errors"), ""))
    _next(qtbot, wizard)
    _next(qtbot, wizard)
    check = wizard.check_page
    qtbot.waitUntil(lambda: check.outcome is not None or check.banner.isVisible(), timeout=30000)
    assert check.outcome is not None
    assert check.outcome.counts.model_dump() == expected  # the wizard says what the CLI says
    qtbot.waitUntil(lambda: check.problems.table.rowCount() > 0, timeout=10000)
    qtbot.mouseClick(check.report_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(check.report_label.isVisible, timeout=10000)
    report = openpyxl.load_workbook(tmp_path / "errors.xlsx").active
    assert report is not None and report.cell(2, 1).value == f"{mark}丙公司"
    _next(qtbot, wizard, QWizard.WizardButton.CommitButton)
    commit = wizard.commit_page
    qtbot.waitUntil(commit.isComplete, timeout=30000)
    names = sorted(c.name for c in admin_api.list(CUSTOMER, {"q": mark}).items)
    assert names == [f"{mark}乙公司", f"{mark}甲公司"]
    monkeypatch.setattr(import_run.QMessageBox, "question",
                        lambda *args: QMessageBox.StandardButton.Yes)
    qtbot.mouseClick(commit.undo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: commit.undo_label.text().startswith("Undone"), timeout=30000)
    assert not admin_api.list(CUSTOMER, {"q": mark}).items


def test_mapping_templates_against_the_server(admin_api: Any) -> None:
    name = f"模板{unique()}"
    saved = admin_api.save_import_mapping("customer", name, {"客户名称": "name"})
    found = [t for t in admin_api.import_mappings("customer") if t.name == name]
    assert found == [saved]
    changed = admin_api.save_import_mapping("customer", name, {"电话": "phone"}, saved)
    assert changed.columns == {"电话": "phone"} and changed.version > saved.version
    admin_api.delete_import_mapping(changed)
    assert not [t for t in admin_api.import_mappings("customer") if t.name == name]
    assert not [t for t in admin_api.import_mappings("contact") if t.name == name]
