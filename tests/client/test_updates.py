"""Client updates against the real server: a newer installer is offered, downloaded with
progress, checked by hash and signer, and started; a swapped file, a foreign or missing
signature are refused and deleted; an equal version is "up to date". The running client is
a tiny signed (or unsigned) executable standing in for crm-client.exe."""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QMessageBox, QWidget

import crm_client
from crm_client.api.client import ApiClient
from crm_client.api.errors import DownloadCancelled
from crm_client.core import updates
from crm_client.core.context import AppContext
from crm_client.core.updates import Installation
from crm_client.views.main_window import MainWindow
from crm_client.views.update_dialog import UpdateChecker, UpdateDialog
from signed_pe import CODE, CodeSigner, write_pe

NEWER = "9.0.0"


@dataclass
class Harness:
    """An update checker of a "Windows" client, and what it started and where it saved."""

    checker: UpdateChecker
    downloads: Path
    launched: list[Path]
    quits: list[bool]

    def saved_files(self) -> list[Path]:
        return [path for path in self.downloads.rglob("*") if path.is_file()]


@pytest.fixture
def harness(qtbot: Any, sales_api: ApiClient, make_context: Callable[[ApiClient], AppContext],
            tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
            client_folder: Path) -> Callable[[CodeSigner | None], Harness]:
    """``harness(signer)``: a frozen Windows client whose executable ``signer`` signed (None:
    a development build)."""
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    monkeypatch.setattr(updates, "download_dir",
                        lambda: Path(tempfile.mkdtemp(dir=downloads)))

    def make(signer: CodeSigner | None) -> Harness:
        window = QWidget()
        qtbot.addWidget(window)
        executable = write_pe(tmp_path / "client" / "crm-client.exe", signer)
        launched: list[Path] = []
        quits: list[bool] = []
        checker = UpdateChecker(
            make_context(sales_api), window, Installation("win32", True, executable),
            launcher=launched.append, quit_app=lambda: quits.append(True))
        return Harness(checker, downloads, launched, quits)

    return make


def _publish(folder: Path, version: str, signer: CodeSigner | None,
             code: bytes = CODE) -> Path:
    suffix = "" if signer else "-unsigned"
    return write_pe(folder / f"crm-client-setup-{version}{suffix}.exe", signer, code)


def _offered(qtbot: Any, checker: UpdateChecker) -> UpdateDialog:
    checker.check_quietly()
    qtbot.waitUntil(lambda: checker.dialog is not None)
    assert checker.dialog is not None
    return checker.dialog


def _download(qtbot: Any, dialog: UpdateDialog) -> None:
    dialog.download_button.click()
    assert not dialog.download_button.isEnabled()
    qtbot.waitUntil(lambda: dialog.download_button.isEnabled() or dialog.verified is not None)


def _told(qtbot: Any, checker: UpdateChecker) -> str:
    """The text of the checker's message box, closed by its OK button."""
    qtbot.waitUntil(lambda: checker.message is not None)
    box = checker.message
    assert box is not None
    text = box.text()
    box.button(QMessageBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: checker.message is None)
    return text


def test_a_newer_signed_installer_is_offered_checked_and_started(
        qtbot: Any, harness: Callable[..., Harness], client_folder: Path,
        code_signer: CodeSigner) -> None:
    setup = harness(code_signer)
    installer = _publish(client_folder, NEWER, code_signer)
    dialog = _offered(qtbot, setup.checker)
    shown = " ".join(label.text() for label in dialog.findChildren(type(dialog.banner.label)))
    assert f"{crm_client.__version__} → {NEWER}" in shown
    assert "Example Trading Co" in shown
    assert code_signer.fingerprint.replace(":", " ")[:47] in shown.replace("\n", " ")
    assert dialog.banner.isHidden()  # no warning for a signed installer
    setup.checker.check()  # Help › Check for updates… meanwhile: the same dialog
    qtbot.waitUntil(lambda: not setup.checker.ctx.tasks.is_busy())
    assert setup.checker.dialog is dialog

    _download(qtbot, dialog)
    assert dialog.verified is not None
    assert dialog.install_button.isVisible()
    assert "signed by Example Trading Co" in dialog.banner.label.text()
    assert dialog.progress_bar.value() == installer.stat().st_size
    dialog.install_button.click()
    assert setup.launched == [dialog.verified.path]
    assert setup.launched[0].name == installer.name
    assert setup.launched[0].read_bytes() == installer.read_bytes()
    assert setup.quits == [True]


def test_an_installer_swapped_after_the_announcement_is_refused_and_deleted(
        qtbot: Any, harness: Callable[..., Harness], client_folder: Path,
        code_signer: CodeSigner) -> None:
    setup = harness(code_signer)
    _publish(client_folder, NEWER, code_signer)
    dialog = _offered(qtbot, setup.checker)
    swapped = _publish(client_folder, NEWER, code_signer, b"\x90" + CODE)  # also valid
    assert hashlib.sha256(swapped.read_bytes()).hexdigest() != dialog.release.sha256
    _download(qtbot, dialog)
    assert dialog.verified is None
    assert "SHA-256 differs" in dialog.banner.label.text()
    assert dialog.install_button.isHidden()
    assert setup.saved_files() == []
    assert setup.launched == []


def test_an_installer_signed_by_someone_else_is_refused_and_deleted(
        qtbot: Any, harness: Callable[..., Harness], client_folder: Path,
        code_signer: CodeSigner, other_signer: CodeSigner) -> None:
    setup = harness(code_signer)
    _publish(client_folder, NEWER, other_signer)
    dialog = _offered(qtbot, setup.checker)
    _download(qtbot, dialog)
    assert dialog.verified is None
    assert ("signed by Someone Else Ltd, not by Example Trading Co"
            in dialog.banner.label.text())
    assert setup.saved_files() == []
    assert setup.launched == []


def test_a_signed_client_refuses_an_unsigned_installer(
        qtbot: Any, harness: Callable[..., Harness], client_folder: Path,
        code_signer: CodeSigner) -> None:
    setup = harness(code_signer)
    _publish(client_folder, NEWER, None)
    dialog = _offered(qtbot, setup.checker)
    assert "This installer is unsigned" in dialog.banner.label.text()
    _download(qtbot, dialog)
    assert dialog.verified is None
    assert "the installer is not signed at all" in dialog.banner.label.text()
    assert setup.saved_files() == []


@pytest.mark.parametrize("installer_signed", [False, True])
def test_an_unsigned_development_client_takes_any_installer_whose_hash_matches(
        qtbot: Any, harness: Callable[..., Harness], client_folder: Path,
        code_signer: CodeSigner, installer_signed: bool) -> None:
    setup = harness(None)
    _publish(client_folder, NEWER, code_signer if installer_signed else None)
    dialog = _offered(qtbot, setup.checker)
    _download(qtbot, dialog)
    assert dialog.verified is not None
    expected = "signed by Example Trading Co" if installer_signed else "It is unsigned"
    assert expected in dialog.banner.label.text()
    dialog.install_button.click()
    assert setup.launched == [dialog.verified.path]


def test_the_same_version_is_up_to_date(
        qtbot: Any, harness: Callable[..., Harness], client_folder: Path,
        code_signer: CodeSigner) -> None:
    setup = harness(code_signer)
    _publish(client_folder, crm_client.__version__, code_signer)
    checker = setup.checker
    checker.check_quietly()
    qtbot.waitUntil(lambda: not checker.ctx.tasks.is_busy())
    assert checker.dialog is None and checker.message is None  # the quiet check says nothing
    checker.check()
    assert f"up to date (version {crm_client.__version__})" in _told(qtbot, checker)
    assert checker.dialog is None


def test_without_an_installer_on_the_server_an_explicit_check_is_up_to_date(
        qtbot: Any, harness: Callable[..., Harness], code_signer: CodeSigner) -> None:
    checker = harness(code_signer).checker
    checker.check_quietly()
    qtbot.waitUntil(lambda: not checker.ctx.tasks.is_busy())
    assert checker.message is None and not checker.ctx.tasks.presenter.open_boxes()
    checker.check()
    assert "the server offers no installer" in _told(qtbot, checker)


def test_cancelling_a_download_deletes_what_arrived(
        sales_api: ApiClient, client_folder: Path, tmp_path: Path,
        code_signer: CodeSigner) -> None:
    installer = _publish(client_folder, NEWER, code_signer, CODE + bytes(4 << 20))
    cancelled = threading.Event()
    seen: list[int] = []

    def progress(received: int) -> None:
        seen.append(received)
        cancelled.set()  # the person clicks Cancel as the first bytes arrive

    target = tmp_path / installer.name
    with pytest.raises(DownloadCancelled):
        sales_api.download_installer(installer.name, target, progress, cancelled)
    assert len(seen) == 1 and seen[0] < installer.stat().st_size
    assert not target.exists()


def test_closing_the_dialog_while_downloading_leaves_nothing(
        qtbot: Any, harness: Callable[..., Harness], client_folder: Path,
        code_signer: CodeSigner) -> None:
    setup = harness(code_signer)
    _publish(client_folder, NEWER, code_signer, CODE + bytes(4 << 20))
    dialog = _offered(qtbot, setup.checker)
    dialog.download_button.click()
    assert dialog.progress_bar.isVisible()
    dialog.cancel_button.click()
    checker = setup.checker
    qtbot.waitUntil(lambda: not checker.ctx.tasks.is_busy())
    assert checker.dialog is None
    assert setup.saved_files() == []
    assert setup.launched == []


def test_a_client_not_installed_by_the_installer_does_not_update_itself(
        qtbot: Any, window_for: Callable[[ApiClient], MainWindow], sales_api: ApiClient,
        client_folder: Path, code_signer: CodeSigner) -> None:
    _publish(client_folder, NEWER, code_signer)
    window = window_for(sales_api)  # this test process: Linux, not frozen
    assert not window.updates.installation.updatable
    qtbot.waitUntil(lambda: not window.ctx.tasks.is_busy())
    assert window.updates.dialog is None  # no quiet check, no offer
    window.update_action.trigger()
    assert "not installed with the Windows installer" in _told(qtbot, window.updates)
    assert window.updates.dialog is None


def test_downloads_of_earlier_updates_are_cleared_away_after_a_day(tmp_path: Path) -> None:
    now = time.time()
    old = tmp_path / f"{updates.DOWNLOAD_PREFIX}old"
    recent = tmp_path / f"{updates.DOWNLOAD_PREFIX}recent"
    foreign = tmp_path / "someone-elses-old-folder"
    for folder in (old, recent, foreign):
        folder.mkdir()
        (folder / "crm-client-setup-0.2.0.exe").write_bytes(b"MZ")
    day_and_a_bit = now - updates.KEEP_DOWNLOADS_S - 60
    for folder in (old, foreign):
        os.utime(folder, (day_and_a_bit, day_and_a_bit))

    assert updates.remove_old_downloads(tmp_path, now) == 1

    assert not old.exists()
    assert recent.exists() and foreign.exists()
