"""The Windows client bundle (``make bundle-windows``: PyInstaller for Windows under Wine)
builds on Linux, ships none of the server, and under Wine signs in to a real ``crm-server
run`` over TLS, trusting the server's CA, and shows a customer's 360° view.

Slow (the build takes two minutes), so it runs in ``make test-slow``; the build is reused
while no client, common or installer file is newer than the bundle. Needs Wine and MinGW
(``.ci/system-deps.sh --windows``); the Wine prefix is the build's, whose stand-ins for two
Windows 10 libraries Wine lacks are described in installer/windows/build.sh.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import builders
from bundles import ROOT, SERVER_PACKAGES, built
from crm_common.entities import entity
from wine import BUILD_PREFIX, Wine, windows_path

pytestmark = pytest.mark.slow

BUNDLE = ROOT / "dist" / "windows" / "crm-client"


@pytest.fixture(scope="module")
def executable() -> Path:
    return built(BUNDLE / "crm-client.exe", ROOT / "installer" / "windows" / "build.sh")


def test_the_windows_bundle_ships_no_server(executable: Path) -> None:
    shipped = {p.name for p in (executable.parent / "_internal").iterdir()}
    assert "crm_client" in shipped and "PySide6" in shipped
    assert not shipped & SERVER_PACKAGES
    assert (executable.parent / "_internal" / "PySide6" / "plugins" / "platforms"
            / "qwindows.dll").exists()


def test_the_windows_client_signs_in_under_wine_and_shows_a_customer(
        executable: Path, server: tuple[str, Path], server_admin: Any, tmp_path: Path) -> None:
    url, data = server
    made = server_admin.create(entity("customer"),
                               builders.customer(name=f"温州视窗{builders.unique()}有限公司"))
    assert made.id  # type: ignore[attr-defined]
    shot = tmp_path / "windows-client.png"
    result = Wine(BUILD_PREFIX).run(
        str(executable), "--server", url, "--ca-file", windows_path(data / "tls" / "ca.crt"),
        "--user", "admin", "--password", builders.ADMIN_PASSWORD, "--language", "zh_CN",
        "--smoke", windows_path(shot), cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "smoke: screenshot saved" in result.stdout
    assert shot.stat().st_size > 10_000
    artefacts = ROOT / "var" / "ci"
    artefacts.mkdir(parents=True, exist_ok=True)
    (artefacts / "windows-client.png").write_bytes(shot.read_bytes())
