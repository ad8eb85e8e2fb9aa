"""The desktop client bundle (PyInstaller one-dir) builds, starts without the source tree or
the virtual environment, and ships none of the server.

Slow (a build takes a minute or more), so it runs in ``make test-slow``; the build is reused
while no client, common or installer file is newer than the bundle.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PyInstaller.archive.readers import CArchiveReader

from bundles import ROOT, SERVER_PACKAGES, built

pytestmark = pytest.mark.slow

BUNDLE = ROOT / "dist" / "crm-client"
EXECUTABLE = BUNDLE / ("crm-client.exe" if sys.platform == "win32" else "crm-client")


@pytest.fixture(scope="module")
def executable() -> Path:
    return built(EXECUTABLE, ROOT / "installer" / "build.sh")


def test_the_bundled_client_builds_its_sign_in_dialog(executable: Path, tmp_path: Path) -> None:
    # Away from the source tree, with no Python paths and a private settings location.
    environment = {
        k: v for k, v in os.environ.items() if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
    }
    environment.update(QT_QPA_PLATFORM="offscreen", HOME=str(tmp_path))
    environment["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    result = subprocess.run(
        [str(executable), "--check-startup"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert "sign-in dialog ready" in result.stdout
    assert "Traceback" not in result.stderr


def test_the_bundle_ships_no_server_code(executable: Path) -> None:
    modules = CArchiveReader(str(executable)).open_embedded_archive("PYZ.pyz").toc
    packages = {name.split(".")[0] for name in modules}
    assert {"crm_client", "crm_common", "pydantic", "httpx"} <= packages
    assert not packages & SERVER_PACKAGES
    assert not any((BUNDLE / "_internal" / name).exists() for name in SERVER_PACKAGES)
