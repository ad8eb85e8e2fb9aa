"""Figures of the Windows client (issue 13): installer sizes, installed size, cold start to
the sign-in dialog under Wine, and optionally the build time from a clean clone.

    .venv/bin/python bench/windows_client.py [--runs 5] [--clean-build]

Needs the installers (``make bundle-windows``). Installs the NSIS installer silently into a
fresh Wine prefix, then times the installed ``crm-client.exe --check-startup`` (process
start, Qt, fonts, translations, the sign-in dialog built): ``--runs`` times with Wine's
services already up, as Windows' are on a desktop (the figure against the 3 s target), and
once with Wine stopped, which adds Wine booting its own services (about 2.5 s here; no
Windows machine pays that). Prints the figures and writes bench/results/windows-client.json.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from wine import Wine  # noqa: E402  (the tests' Wine helper)

DIST = ROOT / "dist" / "windows"
RESULTS = ROOT / "bench" / "results" / "windows-client.json"
TARGETS = {"installer_mb": 120, "cold_start_s": 3.0}


def _size_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def _timed(wine: Wine, *args: str) -> float:
    started = time.perf_counter()
    result = wine.run(*args)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed: {result.stdout}{result.stderr}")
    return elapsed


def _clean_build() -> float:
    """``make bundle-windows`` in a clean clone of HEAD (pip's cache is whatever it is)."""
    with tempfile.TemporaryDirectory() as folder:
        clone = Path(folder) / "crm"
        subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
        started = time.perf_counter()
        subprocess.run(["make", "-C", str(clone), "bundle-windows"], check=True,
                       stdout=subprocess.DEVNULL)
        return time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--clean-build", action="store_true",
                        help="also time make bundle-windows in a clean clone (minutes)")
    args = parser.parse_args()
    setups = sorted(DIST.glob("crm-client-setup-*.exe"), key=lambda p: p.stat().st_mtime)
    msis = sorted(DIST.glob("crm-client-*.msi"), key=lambda p: p.stat().st_mtime)
    if not setups or not msis:
        raise SystemExit("no installers in dist/windows: run make bundle-windows first")
    figures: dict[str, object] = {
        "installer": setups[-1].name, "installer_mb": round(_size_mb(setups[-1]), 1),
        "msi_mb": round(_size_mb(msis[-1]), 1),
    }
    with tempfile.TemporaryDirectory() as folder:
        wine = Wine.fresh(Path(folder) / "prefix")
        try:
            figures["install_s"] = round(_timed(wine, str(setups[-1]), "/S"), 1)
            wine.wait()
            installed = wine.drive_c("Program Files", "CRM Client")
            figures["installed_mb"] = round(_size_mb(installed), 1)
            client = str(installed / "crm-client.exe")
            wine.stop()
            with_wine_boot = _timed(wine, client, "--check-startup")
            wine.wait()
            # Wine's services up and kept up, like Windows'. They inherit the output of the
            # program that starts them: not a pipe, which would then never end.
            subprocess.run(["wineserver", "--persistent"], env=wine.environment, check=True)
            subprocess.run(["wine", "cmd", "/c", "exit"], env=wine.environment, check=True,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            starts = [_timed(wine, client, "--check-startup") for _ in range(args.runs)]
        finally:
            wine.stop()
    figures["cold_start_s"] = round(statistics.median(starts), 2)
    figures["cold_start_runs_s"] = [round(s, 2) for s in starts]
    figures["start_with_wine_boot_s"] = round(with_wine_boot, 2)
    if args.clean_build:
        figures["clean_build_s"] = round(_clean_build(), 0)
    figures["targets"] = TARGETS
    for name, value in figures.items():
        print(f"{name:>22}: {value}")
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2) + "\n")
    print(f"written to {RESULTS.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
