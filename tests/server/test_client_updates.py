"""The client installer the server hosts: ``crm-server publish-client`` checks and copies it,
files IT drops into ``DATA_DIR/client/`` count the same, and signed-in users of every role
read the newest one and download it; nothing else of the data directory is reachable."""

from __future__ import annotations

import hashlib
import logging
import os
from pathlib import Path
from typing import Any

import pytest

from crm_server import cli
from crm_server.domains import client_updates
from crm_server.settings import Settings
from signed_pe import CODE_OFFSET, CodeSigner, write_pe

LATEST = "/api/v1/client/latest"
DOWNLOAD = "/api/v1/client/download/"


@pytest.fixture
def folder(client_folder: Path) -> Path:
    return client_folder


def _tampered(path: Path) -> Path:
    data = bytearray(path.read_bytes())
    data[CODE_OFFSET + 1] ^= 0x01
    path.write_bytes(bytes(data))
    return path


def _publish(settings: Settings, path: Path) -> int:
    return cli.main(["publish-client", str(path), "--data-dir", str(settings.data_dir)])


def test_without_an_installer_latest_is_not_found(api: Any, rep: dict[str, str],
                                                  folder: Path) -> None:
    response = api.get(LATEST, headers=rep)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"
    folder.mkdir()
    assert api.get(LATEST, headers=rep).status_code == 404


def test_publish_client_copies_a_signed_installer_and_latest_describes_it(
        api: Any, rep: dict[str, str], settings: Settings, folder: Path, tmp_path: Path,
        code_signer: CodeSigner, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_pe(tmp_path / "crm-client-setup-0.2.0.exe", code_signer)
    assert _publish(settings, source) == 0
    assert "signed by 'Example Trading Co'" in capsys.readouterr().out
    assert sorted(p.name for p in folder.iterdir()) == ["crm-client-setup-0.2.0.exe"]
    response = api.get(LATEST, headers=rep)
    assert response.status_code == 200, response.text
    assert response.json() == {
        "version": "0.2.0", "file_name": "crm-client-setup-0.2.0.exe",
        "size": source.stat().st_size, "sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
        "signed": True, "signer_fingerprint": code_signer.fingerprint,
        "signer_name": "Example Trading Co"}


def test_publish_client_takes_an_unsigned_installer_named_so(
        api: Any, rep: dict[str, str], settings: Settings, folder: Path,
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = write_pe(tmp_path / "crm-client-setup-0.3.0-unsigned.exe")
    assert _publish(settings, source) == 0
    assert "UNSIGNED" in capsys.readouterr().out
    latest = api.get(LATEST, headers=rep).json()
    assert (latest["version"], latest["signed"], latest["signer_fingerprint"]) == (
        "0.3.0", False, None)


@pytest.mark.parametrize(("name", "kind", "message"), [
    ("crm-client-setup-0.2.0.exe", "tampered", "changed after it was signed"),
    ("crm-client-setup-0.2.0.exe", "text", "not a Windows executable"),
    ("crm-client-setup-0.2.0.exe", "unsigned", "has no signature"),
    ("crm-client-setup-0.2.0-unsigned.exe", "signed", "is signed; name it"),
    ("crm-client-0.2.0.exe", "signed", "is not named crm-client-setup-<version>.exe"),
    ("crm-client-setup-latest.exe", "signed", "is not named"),
])
def test_publish_client_refuses_what_it_may_not_offer(
        settings: Settings, folder: Path, tmp_path: Path, code_signer: CodeSigner,
        capsys: pytest.CaptureFixture[str], name: str, kind: str, message: str) -> None:
    path = tmp_path / name
    if kind == "text":
        path.write_text("not an installer")
    else:
        write_pe(path, code_signer if kind in ("signed", "tampered") else None)
    if kind == "tampered":
        _tampered(path)
    assert _publish(settings, path) == 1
    error = capsys.readouterr().err
    assert error.startswith("crm-server: refused: ") and message in error
    assert not folder.exists() or list(folder.iterdir()) == []


def test_publish_client_of_a_missing_file_says_so(
        settings: Settings, folder: Path, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    assert _publish(settings, tmp_path / "crm-client-setup-1.0.exe") == 1
    assert "is not a file" in capsys.readouterr().err


def test_files_dropped_by_hand_count_when_valid_and_are_logged_when_not(
        api: Any, rep: dict[str, str], folder: Path, code_signer: CodeSigner,
        caplog: pytest.LogCaptureFixture) -> None:
    write_pe(folder / "crm-client-setup-0.9.1.exe", code_signer)
    write_pe(folder / "crm-client-setup-0.10.0-unsigned.exe")
    _tampered(write_pe(folder / "crm-client-setup-0.11.0.exe", code_signer))
    (folder / "crm-client-setup-0.12.0.exe").write_text("half a copy")
    (folder / "notes.txt").write_text("for IT")
    (folder / ".publish-x").write_text("being written")
    with caplog.at_level(logging.WARNING, logger=client_updates.__name__):
        latest = api.get(LATEST, headers=rep).json()
    assert latest["file_name"] == "crm-client-setup-0.10.0-unsigned.exe"  # 0.10 > 0.9.1
    warnings = "\n".join(r.getMessage() for r in caplog.records)
    assert "crm-client-setup-0.11.0.exe: the file was changed after it was signed" in warnings
    assert "crm-client-setup-0.12.0.exe: not a Windows executable" in warnings
    assert "notes.txt is not named" in warnings
    assert ".publish-x" not in warnings


def test_a_signed_installer_wins_over_an_unsigned_one_of_the_same_version(
        api: Any, rep: dict[str, str], folder: Path, code_signer: CodeSigner) -> None:
    write_pe(folder / "crm-client-setup-0.4.0-unsigned.exe")
    write_pe(folder / "crm-client-setup-0.4.0.exe", code_signer)
    assert api.get(LATEST, headers=rep).json()["file_name"] == "crm-client-setup-0.4.0.exe"


def test_each_file_is_checked_once_until_it_changes(
        api: Any, rep: dict[str, str], folder: Path, code_signer: CodeSigner,
        monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_pe(folder / "crm-client-setup-0.5.0.exe", code_signer)
    inspected: list[str] = []
    real = client_updates.inspect

    def counting(file: Path) -> Any:
        inspected.append(file.name)
        return real(file)

    monkeypatch.setattr(client_updates, "inspect", counting)
    for _ in range(3):
        assert api.get(LATEST, headers=rep).status_code == 200
    assert inspected == ["crm-client-setup-0.5.0.exe"]
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    assert api.get(LATEST, headers=rep).status_code == 200
    assert len(inspected) == 2


def test_download_sends_a_valid_installer_to_any_role(
        api: Any, rep: dict[str, str], admin: dict[str, str], folder: Path,
        code_signer: CodeSigner) -> None:
    path = write_pe(folder / "crm-client-setup-0.6.0.exe", code_signer)
    for headers in (rep, admin):
        response = api.get(DOWNLOAD + path.name, headers=headers)
        assert response.status_code == 200
        assert response.content == path.read_bytes()
        assert response.headers["content-disposition"] == (
            "attachment; filename*=UTF-8''crm-client-setup-0.6.0.exe")


@pytest.mark.parametrize("name", [
    "crm-client-setup-0.7.0.exe",  # in the folder, but tampered with
    "notes.txt", "crm.toml", "..%2Fcrm.toml", "..%2F..%2Fcrm.toml", "%2E%2E",
    "crm-client-setup-9.9.exe", "tls%2Fca.key", "..\\crm.toml",
])
def test_download_finds_nothing_outside_the_valid_installers(
        api: Any, rep: dict[str, str], folder: Path, code_signer: CodeSigner,
        name: str) -> None:
    _tampered(write_pe(folder / "crm-client-setup-0.7.0.exe", code_signer))
    (folder / "notes.txt").write_text("for IT")
    response = api.get(DOWNLOAD + name, headers=rep)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_the_routes_need_a_signed_in_user(api: Any, folder: Path,
                                          code_signer: CodeSigner) -> None:
    path = write_pe(folder / "crm-client-setup-0.8.0.exe", code_signer)
    for url in (LATEST, DOWNLOAD + path.name):
        response = api.get(url)
        assert response.status_code == 401
        assert response.json()["error"] == "unauthenticated"
        assert api.get(url, headers={"Authorization": "Bearer nonsense"}).status_code == 401
