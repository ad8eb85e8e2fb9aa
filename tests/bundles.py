"""The client bundles the slow tests start (tests/e2e/test_bundle*.py): built by their script
when missing or older than any of their sources, else reused."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INPUTS = [ROOT / "client", ROOT / "common", ROOT / "installer", ROOT / "pyproject.toml"]
SERVER_PACKAGES = {"crm_server", "fastapi", "starlette", "uvicorn", "sqlalchemy", "alembic"}


def newest_input() -> float:
    files = [p for top in INPUTS for p in ([top] if top.is_file() else top.rglob("*"))]
    return max(p.stat().st_mtime for p in files if p.is_file() and "__pycache__" not in p.parts)


def built(executable: Path, script: Path) -> Path:
    """``executable``, made by ``script`` first when it is missing or out of date."""
    if not executable.exists() or executable.stat().st_mtime < newest_input():
        subprocess.run([str(script)], check=True, timeout=1800,
                       env={**os.environ, "PYTHON": sys.executable})
    return executable
