"""Where the server's CPU goes under load: ``py-spy record`` on the server process (and its
workers) for a measured window, and a summary of its collapsed stacks.

py-spy samples only the thread holding the GIL (``--gil``): the shares are of the Python
interpreter's time, the one resource a single server process cannot have more than a core of
(a thread waiting for PostgreSQL, or ready but not scheduled on a busy machine, is not
counted). The summary gives each library's share of the samples by the
frame that was running (self), the functions with the most self samples, and the product's
functions by inclusive share (a function counts once per sample it is anywhere on the stack).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

TOP = 25
# A frame's library, from py-spy's short file name: the first match wins.
AREAS = ("crm_server", "crm_common", "sqlalchemy", "psycopg2", "pydantic", "fastapi",
         "starlette", "uvicorn", "h11", "httptools", "anyio", "asyncio", "ssl", "json",
         "logging", "threading", "concurrent")


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise SystemExit("py-spy not found: make bench-load installs the dev extras")
    return found


def start(pid: int, seconds: float, output: Path) -> subprocess.Popen[bytes]:
    """Sample the GIL holder of ``pid`` and of its subprocesses for ``seconds`` into
    ``output`` (collapsed stacks), without pausing them."""
    return subprocess.Popen(
        [py_spy(), "record", "--pid", str(pid), "--duration", str(max(1, int(seconds))),
         "--rate", "50", "--format", "raw", "--nolineno", "--gil", "--subprocesses",
         "--nonblocking",
         "--output", str(output)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def parse_collapsed(lines: Iterable[str]) -> list[tuple[list[str], int]]:
    """``frame;frame;leaf count`` lines → (frames root first, samples)."""
    stacks = []
    for line in lines:
        stack, _, count = line.rstrip("\n").rpartition(" ")
        if stack and count.isdigit():
            stacks.append((stack.split(";"), int(count)))
    return stacks


def area(frame: str) -> str:
    """The library a frame ``function (file)`` runs in."""
    where = frame[frame.rfind("(") + 1:].rstrip(")")
    for name in AREAS:
        if where.startswith((f"{name}/", f"{name}.py")):
            return name
    return "other"


def summarise(stacks: list[tuple[list[str], int]], top: int = TOP) -> dict[str, Any]:
    total = sum(count for _, count in stacks) or 1
    by_area: Counter[str] = Counter()
    leaf: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    for frames, count in stacks:
        by_area[area(frames[-1])] += count
        leaf[frames[-1]] += count
        for frame in set(frames):
            if area(frame) == "crm_server":
                inclusive[frame] += count

    def share(counter: Counter[str]) -> list[tuple[str, float]]:
        return [(name, round(100 * n / total, 1)) for name, n in counter.most_common(top)]

    return {"samples": total, "self_by_library_percent": share(by_area),
            "self_top_percent": share(leaf), "crm_server_inclusive_percent": share(inclusive)}


def summarise_file(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as lines:
        return summarise(parse_collapsed(lines))
