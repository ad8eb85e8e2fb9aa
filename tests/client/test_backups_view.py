"""The backup screen: the list with states and health, back up now and verify with their
progress, download (the identical bytes, nothing left when cancelled), the restore's two
confirmations and the server's restart, and the administrators' warning in the main window.

Back up, verify and download run against the real server (``live_server``). What it must
not do (restore the database every test shares, and restart) or cannot do on cue (fail a
job, hold a download half-way) is answered by ``fake_backup_api``, whose downloads still
stream through the real ``ApiClient`` from a real HTTPS server.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fake_backup_api import DIRECTORY, FakeBackupApi, backup
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QMessageBox

import builders
from crm_client.api.client import ApiClient
from crm_client.core.changes import ChangeBus
from crm_client.core.context import AppContext
from crm_client.core.settings import ClientSettings
from crm_client.core.tasks import TaskRunner
from crm_client.views import backup_restart, backups, job_watcher
from crm_client.views.backup_dialogs import DownloadDialog, OptionDialog, RestoreConfirmDialog
from crm_client.views.backup_restart import Phase, RestoreProgressDialog
from crm_client.views.backups import STATE_COLUMN, STATES, BackupsView
from crm_client.views.main_window import MainWindow
from crm_common.entities import entity
from crm_common.errors import NotFound
from crm_common.schemas.auth import Health
from crm_common.schemas.backups import (
    BACKUP_JOB,
    RESTORE_JOB,
    BackupHealth,
    BackupKind,
    BackupState,
)
from crm_server import cli
from databases import fresh_database
from job_gates import wait_for
from serving import ServerProcess

JOB = entity("job")
CUSTOMER = entity("customer")
RESTORE_PASSWORD = "correct horse 42"
NAME = "crm-20261205-020000-scheduled.crmbak"
ARCHIVE = os.urandom(3 << 20)
ITEMS = [backup(NAME, BackupState.VERIFIED),
         backup("crm-20261204-020000-scheduled.crmbak", BackupState.FAILED, 1,
                error="No space left on the backup disk"),
         backup("crm-20261203-020000-scheduled.crmbak", BackupState.WRITTEN, 2)]


@pytest.fixture
def downloads(pki: dict[str, Any], tls_server: Callable[..., Any]) -> Iterator[ApiClient]:
    """A real client of a real HTTPS server that serves ``ARCHIVE`` as backup ``NAME``."""
    ca = pki["ca_a"].cert_pem
    server = tls_server(pki["server_a"], ca, {
        f"/api/v1/backups/{NAME}/file": (200, "application/octet-stream", ARCHIVE)})
    api = ApiClient(server.url(), ca, language="en")
    yield api
    api.close()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """Where downloads are saved (nothing else is in it)."""
    path = tmp_path / "downloads"
    path.mkdir()
    return path


@pytest.fixture
def fake(downloads: ApiClient) -> FakeBackupApi:
    return FakeBackupApi(ITEMS, downloads)


def _shown(qtbot: Any, ctx: AppContext) -> BackupsView:
    """The screen, shown, its list arrived."""
    screen = BackupsView(ctx)
    qtbot.addWidget(screen)
    screen.resize(1000, 500)
    with qtbot.waitSignal(screen.sig_loaded, timeout=20000):
        screen.show()
    return screen


@pytest.fixture(autouse=True)
def _quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(job_watcher, "POLL_MS", 20)
    monkeypatch.setattr(backup_restart, "POLL_MS", 10)


@pytest.fixture
def view(qtbot: Any, fake: FakeBackupApi,
         client_settings: ClientSettings) -> Iterator[BackupsView]:
    """The screen on the fake."""
    runner = TaskRunner(fake, ChangeBus())  # type: ignore[arg-type]
    ctx = AppContext(fake, client_settings, fake.me(), runner.changes,  # type: ignore[arg-type]
                     runner)
    yield _shown(qtbot, ctx)
    runner.wait_for_done()


@pytest.fixture
def live_view(qtbot: Any, admin_api: ApiClient,
              make_context: Callable[[ApiClient], AppContext]) -> BackupsView:
    """The screen on the real server."""
    return _shown(qtbot, make_context(admin_api))


def _cell(view: BackupsView, row: int, column: int) -> Any:
    item = view.table.item(row, column)
    assert item is not None
    return item


def _select(view: BackupsView, name: str) -> None:
    view.select_backup(name)
    current = view.current_backup()
    assert current is not None and current.name == name


# -- the list ---------------------------------------------------------------------------------


def test_the_list_shows_each_backup_its_state_in_colour_and_the_directory(
        view: BackupsView) -> None:
    assert view.table.rowCount() == 3
    assert _cell(view, 0, 1).text() == "5.0 MB"
    assert _cell(view, 0, 2).text() == "Scheduled"
    assert _cell(view, 0, 3).text() == "SQLite"
    colours = [_cell(view, row, STATE_COLUMN).foreground().color() for row in range(3)]
    assert colours == [QColor(STATES[state][1]) for state in
                       (BackupState.VERIFIED, BackupState.FAILED, BackupState.WRITTEN)]
    assert [_cell(view, row, STATE_COLUMN).text() for row in range(3)] == [
        "Verified (integrity)", "Failed", "Written, not verified"]
    assert _cell(view, 1, 0).toolTip() == "No space left on the backup disk"
    assert DIRECTORY in view.directory_label.text()
    assert view.free_label.text() == "Free space: 42.0 GB"
    assert view.banner.isHidden()


def test_failing_backups_show_a_red_banner_and_tell_the_window(
        qtbot: Any, view: BackupsView, fake: FakeBackupApi) -> None:
    fake.health_state = BackupHealth.FAILED
    with qtbot.waitSignal(view.sig_health) as told:
        view.refresh_action.trigger()
    assert told.args == [BackupHealth.FAILED, None]
    assert view.banner.isVisible()
    assert "failed" in view.banner.label.text()


# -- jobs -------------------------------------------------------------------------------------


def test_back_up_now_then_verify_with_a_restore_test_on_the_server(
        qtbot: Any, live_view: BackupsView, live_server: Any) -> None:
    view = live_view
    dialog = view.back_up_now()
    assert not dialog.option.isChecked()  # the TLS private keys only when asked
    shown: list[bool] = []
    view.watcher.sig_progress.connect(lambda _job: shown.append(view.job_bar.isVisible()))
    with qtbot.waitSignal(view.sig_loaded, timeout=60000):  # read again when the job ended
        dialog.start_button.click()
    assert shown and all(shown) and view.job_bar.isHidden()
    assert "is done" in view.job_banner.label.text()
    assert view.listing is not None and view.watcher.job is not None
    made = (view.watcher.job.result or {})["name"]
    row = next(row for row, item in enumerate(view.listing.items) if item.name == made)
    newest = view.listing.items[row]
    assert (newest.kind, newest.state) == (BackupKind.MANUAL, BackupState.VERIFIED)
    assert not newest.includes_tls_keys
    assert _cell(view, row, STATE_COLUMN).text().startswith("Verified (integrity)")
    assert Path(view.listing.directory) == live_server.settings.path(
        live_server.settings.backup_dir).resolve()
    view.select_backup(newest.name)
    view.activateWindow()
    view.table.setFocus()
    qtbot.waitUntil(view.table.hasFocus)
    qtbot.keyClick(view.table, Qt.Key.Key_Return)  # Enter verifies
    verify = view.dialog
    assert isinstance(verify, OptionDialog) and verify.windowTitle() == "Verify a backup"
    assert not verify.option.isChecked()
    verify.option.setChecked(True)
    with qtbot.waitSignal(view.sig_loaded, timeout=60000):
        verify.start_button.click()
    assert "is done" in view.job_banner.label.text(), view.job_banner.label.text()
    row = next(row for row, item in enumerate(view.listing.items) if item.name == made)
    assert _cell(view, row, STATE_COLUMN).text().startswith("Verified (restored)")
    assert _cell(view, row, STATE_COLUMN).foreground().color() == QColor(
        STATES[BackupState.RESTORED][1])


def test_a_failed_job_is_shown_in_red(qtbot: Any, view: BackupsView,
                                      fake: FakeBackupApi) -> None:
    fake.fail_jobs = True
    view.back_up_now().start_button.click()
    qtbot.waitUntil(lambda: "failed" in view.job_banner.label.text())
    assert "Disk full" in view.job_banner.label.text()
    assert view.backup_action.isEnabled()


# -- download ---------------------------------------------------------------------------------


def test_download_writes_the_identical_bytes(qtbot: Any, admin_api: ApiClient,
                                             live_server: Any, folder: Path,
                                             make_context: Callable[[ApiClient], AppContext],
                                             ) -> None:
    job = admin_api.start_job(BACKUP_JOB, {})
    wait_for(lambda: admin_api.get(JOB, job.id).finished, "the backup")  # type: ignore[attr-defined]
    view = _shown(qtbot, make_context(admin_api))
    assert view.listing is not None
    newest = view.listing.items[0]
    view.select_backup(newest.name)
    target = folder / "copy.crmbak"
    dialog = view.download_to(target)
    assert isinstance(dialog, DownloadDialog)
    with qtbot.waitSignal(dialog.sig_done, timeout=30000) as done:
        pass
    original = live_server.settings.path(live_server.settings.backup_dir) / newest.name
    expected = hashlib.sha256(original.read_bytes()).hexdigest()
    assert done.args == [expected]
    assert hashlib.sha256(target.read_bytes()).hexdigest() == expected
    assert list(folder.iterdir()) == [target]
    assert dialog.progress_bar.value() == dialog.progress_bar.maximum()
    dialog.close_button.click()


def test_the_download_action_asks_where_to_save(
        qtbot: Any, view: BackupsView, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = folder / "chosen.crmbak"
    asked: list[str] = []

    def ask(_parent: Any, _title: str, suggested: str, _filter: str) -> tuple[str, str]:
        asked.append(suggested)
        return str(target), ""

    monkeypatch.setattr(backups.QFileDialog, "getSaveFileName", ask)
    _select(view, NAME)
    view.download_action.trigger()
    dialog = view.dialog
    assert isinstance(dialog, DownloadDialog) and Path(asked[0]).name == NAME
    with qtbot.waitSignal(dialog.sig_done, timeout=20000):
        pass
    assert target.read_bytes() == ARCHIVE
    dialog.close_button.click()


def test_cancelling_a_download_leaves_no_file(qtbot: Any, view: BackupsView,
                                              fake: FakeBackupApi, folder: Path) -> None:
    arrived, go_on = threading.Event(), threading.Event()

    def hold(_received: int) -> None:  # the person clicks Cancel after the first bytes
        arrived.set()
        go_on.wait(10)

    fake.after_chunk = hold
    _select(view, NAME)
    dialog = view.download_to(folder / "copy.crmbak")
    assert dialog is not None
    qtbot.waitUntil(arrived.is_set)
    assert [path.name for path in folder.iterdir()] == ["copy.crmbak.part"]
    dialog.close_button.click()
    go_on.set()
    view.ctx.tasks.wait_for_done()
    assert list(folder.iterdir()) == []


# -- restore ----------------------------------------------------------------------------------


def _first_confirmation(view: BackupsView, name: str = NAME) -> QMessageBox:
    _select(view, name)
    box = view.restore_current()
    assert isinstance(box, QMessageBox) and box.icon() is QMessageBox.Icon.Warning
    return box


def _continue(box: QMessageBox) -> None:
    button = next(b for b in box.buttons() if b.text() == "Continue…")
    button.click()


def test_a_restore_needs_the_warning_and_the_name_typed_again(
        qtbot: Any, view: BackupsView, fake: FakeBackupApi) -> None:
    _continue(_first_confirmation(view))
    confirm = view.dialog
    assert isinstance(confirm, RestoreConfirmDialog)
    assert not confirm.restore_button.isEnabled()
    qtbot.keyClicks(confirm.name_edit, NAME[:-1] + "x")  # one letter wrong
    assert not confirm.restore_button.isEnabled()
    confirm.name_edit.setText(NAME)
    assert confirm.restore_button.isEnabled()
    confirm.restore_button.click()
    qtbot.waitUntil(lambda: isinstance(view.dialog, RestoreProgressDialog))
    assert fake.started == [(RESTORE_JOB, {"name": NAME, "confirm": NAME})]
    progress = view.dialog
    assert isinstance(progress, RestoreProgressDialog)
    qtbot.waitUntil(lambda: progress.phase is Phase.BACK, timeout=10000)
    assert progress.went_away and progress.sign_in_button.isVisible()
    with qtbot.waitSignal(view.sig_sign_in_again):
        progress.sign_in_button.click()


def test_a_restore_declined_at_the_warning_sends_nothing(
        qtbot: Any, view: BackupsView, fake: FakeBackupApi) -> None:
    box = _first_confirmation(view)
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert fake.started == [] and view.dialog is box


def _confirmed_twice(qtbot: Any, view: BackupsView) -> RestoreProgressDialog:
    """The restore asked for, warned about, and confirmed by typing the name: its dialog."""
    _continue(_first_confirmation(view))
    confirm = view.dialog
    assert isinstance(confirm, RestoreConfirmDialog)
    confirm.name_edit.setText(NAME)
    confirm.restore_button.click()
    qtbot.waitUntil(lambda: isinstance(view.dialog, RestoreProgressDialog))
    progress = view.dialog
    assert isinstance(progress, RestoreProgressDialog)
    return progress


def test_a_restore_refused_by_its_job_changes_nothing_and_says_why(
        qtbot: Any, view: BackupsView, fake: FakeBackupApi) -> None:
    fake.fail_jobs = True
    progress = _confirmed_twice(qtbot, view)
    qtbot.waitUntil(lambda: progress.phase is Phase.FAILED)
    assert "Disk full" in progress.label.text() and progress.close_button.isVisible()
    progress.close_button.click()
    assert not progress.went_away


def test_a_restore_on_a_server_that_cannot_restart_itself_is_armed(
        qtbot: Any, view: BackupsView, fake: FakeBackupApi) -> None:
    fake.restarts = False
    progress = _confirmed_twice(qtbot, view)
    qtbot.waitUntil(lambda: progress.phase is Phase.ARMED)
    assert "restarts the CRM service" in progress.label.text()
    assert progress.close_button.isVisible() and not progress.sign_in_button.isVisible()
    progress.close_button.click()


def test_a_failed_backup_cannot_be_restored(view: BackupsView) -> None:
    _select(view, ITEMS[1].name)
    assert not view.restore_action.isEnabled()
    assert view.verify_action.isEnabled() and view.download_action.isEnabled()


# -- the administrators' warning ----------------------------------------------------------------


def _health(backup_health: BackupHealth) -> Callable[..., Health]:
    def health(retry: bool = True) -> Health:
        return Health(status="ok", database="ok", migration=None, expected_migration=None,
                      version="0.1.0", backup=backup_health, backup_detail=None)

    return health


@pytest.mark.parametrize("state", [BackupHealth.FAILED, BackupHealth.STALE])
def test_administrators_see_failed_or_stale_backups_in_the_status_bar(
        qtbot: Any, admin_api: ApiClient, fake: FakeBackupApi,
        window_for: Callable[[ApiClient], MainWindow], monkeypatch: pytest.MonkeyPatch,
        state: BackupHealth) -> None:
    monkeypatch.setattr(admin_api, "health", _health(state))
    monkeypatch.setattr(admin_api, "backups", fake.backups)
    window = window_for(admin_api)
    warning = window.backup_warning
    qtbot.waitUntil(warning.button.isVisible)
    assert warning.banner.isVisible()  # once, at sign-in
    assert warning.button.text() == {BackupHealth.FAILED: "Backup failed",
                                     BackupHealth.STALE: "Backups stale"}[state]
    warning.button.click()
    screen = window.findChild(BackupsView)
    assert screen is not None and screen.isVisible()
    assert warning.banner.isHidden()
    qtbot.waitUntil(warning.button.isHidden)  # the screen's list says the backups are ok


def test_the_window_banner_goes_once_the_screen_shows_the_state(
        qtbot: Any, admin_api: ApiClient, fake: FakeBackupApi,
        window_for: Callable[[ApiClient], MainWindow],
        monkeypatch: pytest.MonkeyPatch) -> None:
    fake.health_state = BackupHealth.FAILED
    monkeypatch.setattr(admin_api, "health", _health(BackupHealth.FAILED))
    monkeypatch.setattr(admin_api, "backups", fake.backups)
    window = window_for(admin_api)
    warning = window.backup_warning
    qtbot.waitUntil(warning.banner.isVisible)
    screen = window.open_backups()  # through the navigation, not the warning
    assert screen is not None
    qtbot.waitUntil(screen.banner.isVisible)
    assert warning.banner.isHidden() and warning.button.isVisible()


def test_others_are_not_warned(qtbot: Any, sales_api: ApiClient,
                               window_for: Callable[[ApiClient], MainWindow],
                               monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[bool] = []
    monkeypatch.setattr(sales_api, "health", lambda retry=True: asked.append(retry))
    window = window_for(sales_api)
    window.ctx.tasks.wait_for_done()
    assert asked == [] and window.backup_warning.button.isHidden()
    assert window.findChild(BackupsView) is None


def test_after_a_restore_the_window_has_the_person_sign_in_again(
        qtbot: Any, admin_api: ApiClient, fake: FakeBackupApi,
        window_for: Callable[[ApiClient], MainWindow],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(admin_api, "backups", fake.backups)
    window = window_for(admin_api)
    screen = window.open_backups()
    assert screen is not None
    with qtbot.waitSignal(window.sig_signed_out):
        screen.sig_sign_in_again.emit()


# -- a restore for real ---------------------------------------------------------------------------


def test_a_restore_from_the_screen_brings_the_server_back_with_the_backup(
        qtbot: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        make_context: Callable[[ApiClient], AppContext]) -> None:
    """``crm-server run`` as a child process: back up, add a customer, restore from the
    screen; the dialog follows the restart and the customer added later is gone."""
    data_dir = tmp_path / "crm"
    with fresh_database() as url:
        monkeypatch.setenv("ADMIN_PW", RESTORE_PASSWORD)
        assert cli.main(["init", str(data_dir), "--bind", "127.0.0.1", "--admin", "boss",
                         "--database-url", url, "--admin-password-env", "ADMIN_PW"]) == 0
        server = ServerProcess(data_dir, "boss", RESTORE_PASSWORD)
        api = ApiClient(f"https://127.0.0.1:{server.port}",
                        (data_dir / "tls" / "ca.crt").read_text("ascii"), language="en")
        try:
            api.login("boss", RESTORE_PASSWORD)
            job = api.start_job(BACKUP_JOB, {})
            wait_for(lambda: api.get(JOB, job.id).finished,  # type: ignore[attr-defined]
                     "the backup")
            later = api.create(CUSTOMER, builders.customer()).id  # type: ignore[attr-defined]
            view = _shown(qtbot, make_context(api))
            assert view.listing is not None
            name = view.listing.items[0].name
            _continue(_first_confirmation(view, name))
            confirm = view.dialog
            assert isinstance(confirm, RestoreConfirmDialog)
            confirm.name_edit.setText(name)
            confirm.restore_button.click()
            qtbot.waitUntil(lambda: isinstance(view.dialog, RestoreProgressDialog))
            progress = view.dialog
            assert isinstance(progress, RestoreProgressDialog)
            qtbot.waitUntil(lambda: progress.phase is Phase.BACK, timeout=180000)
            assert progress.went_away
            progress.sign_in_button.click()  # leaves no dialog open
            api.login("boss", RESTORE_PASSWORD)
            with pytest.raises(NotFound):
                api.get(CUSTOMER, later)
        finally:
            api.close()
            server.stop()
