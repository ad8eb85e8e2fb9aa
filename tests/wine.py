"""Windows programs under Wine for the slow Windows tests (tests/e2e/test_*windows*.py)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from bundles import ROOT

BUILD_PREFIX = ROOT / "build" / "windows" / "prefix"  # installer/windows/build.sh makes it
# Stand-ins for two Windows 10 libraries Wine 8 lacks (installer/windows/wine/): a program
# the installers put on a fresh prefix needs them as it would find them on Windows.
STAND_INS = ("bcryptprimitives.dll", "icuuc.dll")


class Wine:
    """One Wine prefix: runs programs in it and reads its registry."""

    def __init__(self, prefix: Path, language: str = "C.UTF-8") -> None:
        self.prefix = prefix
        self.environment = {**os.environ, "WINEPREFIX": str(prefix), "WINEDEBUG": "-all",
                            "WINEDLLOVERRIDES": "mscoree,mshtml=", "LANG": language,
                            "LC_ALL": language, "QT_QPA_PLATFORM": "offscreen"}

    @classmethod
    def fresh(cls, prefix: Path, language: str = "C.UTF-8") -> Wine:
        """A new prefix, like a desktop with nothing installed (plus the stand-ins)."""
        wine = cls(prefix, language)
        wine.run("wineboot", "--init", program="wineboot")
        wine.wait()
        system32 = prefix / "drive_c" / "windows" / "system32"
        for name in STAND_INS:
            shutil.copy(BUILD_PREFIX / "drive_c" / "windows" / "system32" / name, system32)
        return wine

    def run(self, *args: str, cwd: Path | None = None, program: str = "wine",
            timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """``wine ARGS``, both output streams piped (the embeddable Python cannot take a
        file as one under Wine), waiting for the program to end. Wine's console speaks the
        prefix's code page (GBK in Chinese): what is not UTF-8 shows as "\ufffd"."""
        return subprocess.run([program, *args], cwd=cwd or self.prefix.parent,
                              env=self.environment, capture_output=True, text=True,
                              errors="replace", timeout=timeout, stdin=subprocess.DEVNULL,
                              check=False)

    def start(self, *args: str) -> subprocess.Popen[bytes]:
        """``wine ARGS`` left running (its output discarded)."""
        return subprocess.Popen(["wine", *args], cwd=self.prefix.parent, env=self.environment,
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)

    def wait(self) -> None:
        """Until every program of the prefix has ended (an uninstaller runs on as a copy of
        itself) and the registry is written out."""
        subprocess.run(["wineserver", "--wait"], env=self.environment, check=True, timeout=600)

    def reg_value(self, key: str, name: str) -> str | None:
        """A registry value as ``reg query`` prints it; None when it or its key is absent."""
        result = self.run("reg", "query", key, "/v", name)
        if result.returncode != 0:
            return None
        for line in result.stdout.splitlines():
            parts = line.split(None, 2)
            if len(parts) >= 2 and parts[0] == name and parts[1].startswith("REG_"):
                return parts[2].strip() if len(parts) == 3 else ""
        return None

    def reg_set(self, key: str, name: str, value: str) -> None:
        result = self.run("reg", "add", key, "/v", name, "/d", value, "/f")
        assert result.returncode == 0, result.stdout + result.stderr

    def drive_c(self, *parts: str) -> Path:
        return self.prefix.joinpath("drive_c", *parts)

    def stop(self) -> None:
        subprocess.run(["wineserver", "--kill"], env=self.environment, check=False, timeout=60)


def windows_path(path: Path) -> str:
    """A Linux path as Wine's Z: drive shows it."""
    return "Z:" + str(path).replace("/", "\\")
