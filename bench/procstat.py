"""CPU and memory of processes from Linux's /proc: the server and its workers, PostgreSQL's
postmaster and its backends, the generator itself, and the whole machine.

A tree's CPU is the root's own time plus the time of the children it has reaped (``cutime``,
``cstime``) plus the time of every live descendant, so backends that come and go are counted.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")
TICK = os.sysconf("SC_CLK_TCK")
PAGE_MIB = os.sysconf("SC_PAGE_SIZE") / 2**20


@dataclass(frozen=True)
class Stat:
    """The fields of ``/proc/<pid>/stat`` the benchmark reads."""

    ppid: int
    cpu_s: float  # utime + stime
    reaped_cpu_s: float  # cutime + cstime
    rss_mib: float


def parse_stat(text: str) -> Stat:
    """Parse a ``/proc/<pid>/stat`` line (the command name may hold spaces and parentheses)."""
    fields = text[text.rindex(")") + 2:].split()
    # fields[0] is field 3 (state): ppid is field 4, utime..cstime 14–17, rss 24.
    return Stat(ppid=int(fields[1]),
                cpu_s=(int(fields[11]) + int(fields[12])) / TICK,
                reaped_cpu_s=(int(fields[13]) + int(fields[14])) / TICK,
                rss_mib=int(fields[21]) * PAGE_MIB)


def all_stats() -> dict[int, Stat]:
    stats: dict[int, Stat] = {}
    for entry in PROC.iterdir():
        if entry.name.isdigit():
            try:
                stats[int(entry.name)] = parse_stat((entry / "stat").read_text())
            except (OSError, ValueError, IndexError):
                continue  # exited meanwhile
    return stats


def descendants(stats: dict[int, Stat], root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for pid, stat in stats.items():
        children.setdefault(stat.ppid, []).append(pid)
    found, queue = [], list(children.get(root, []))
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue.extend(children.get(pid, []))
    return found


@dataclass(frozen=True)
class TreeUsage:
    cpu_s: float
    rss_mib: float
    processes: int


def tree_usage(stats: dict[int, Stat], root: int | None) -> TreeUsage | None:
    """CPU seconds so far and resident memory of ``root`` and its descendants."""
    if root is None or root not in stats:
        return None
    tree = [root, *descendants(stats, root)]
    return TreeUsage(cpu_s=stats[root].reaped_cpu_s + sum(stats[p].cpu_s for p in tree),
                     rss_mib=sum(stats[p].rss_mib for p in tree), processes=len(tree))


def machine_busy_s() -> tuple[float, float]:
    """Busy and total CPU seconds of the whole machine so far (all cores)."""
    values = [int(v) for v in (PROC / "stat").read_text().split("\n", 1)[0].split()[1:]]
    total = sum(values[:8])  # user nice system idle iowait irq softirq steal
    idle = values[3] + values[4]
    return (total - idle) / TICK, total / TICK


def load_average() -> str:
    return " ".join((PROC / "loadavg").read_text().split()[:3])


@dataclass(frozen=True)
class Sample:
    """One look at everything, ``at`` seconds on the monotonic clock."""

    at: float
    server: TreeUsage | None
    postgres: TreeUsage | None
    generator_cpu_s: float
    machine_busy_s: float
    machine_total_s: float
    load: str


def sample(server_pid: int | None, postmaster_pid: int | None) -> Sample:
    stats = all_stats()
    busy, total = machine_busy_s()
    return Sample(at=time.monotonic(), server=tree_usage(stats, server_pid),
                  postgres=tree_usage(stats, postmaster_pid),
                  generator_cpu_s=time.process_time(), machine_busy_s=busy,
                  machine_total_s=total, load=load_average())


def postmaster_pid(pg_data: Path) -> int | None:
    """The postmaster's pid from ``postmaster.pid`` (None when unknown or not readable)."""
    try:
        return int((pg_data / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None
