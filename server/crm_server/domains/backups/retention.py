"""Which backups are kept: the newest of each of the last N days, N weeks and N months.

The classic grandfather-father-son rotation, counted in the days, ISO weeks and months that
*have* a good backup (a server that was off for a fortnight does not lose its weekly
backups to the empty days). A good backup is one that did not fail; the newest verified
one is never deleted, whatever the counts say, so a run of failed verifications can never
leave the company without a backup proven readable. Failed backups are kept only while
they are the newest thing that happened (the backup screen shows them), and go as soon as a
good one follows. A backup taken for an event (before an upgrade, before a restore) is the
way back from that event: it is kept for as many days as daily backups are, whatever else
was taken that day.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class Candidate:
    name: str
    created_at: datetime  # server-local time decides which day, week and month it is
    good: bool  # not failed
    verified: bool  # verified (integrity) or restore-tested
    event: bool = False  # taken before an upgrade or a restore


def _newest_per(period: Callable[[datetime], Hashable], keep: int,
                good: Sequence[Candidate]) -> set[str]:
    """The newest backup of each of the ``keep`` most recent periods that have one."""
    chosen: dict[Hashable, Candidate] = {}
    for candidate in good:  # newest first
        key = period(candidate.created_at)
        if key not in chosen and len(chosen) < keep:
            chosen[key] = candidate
    return {candidate.name for candidate in chosen.values()}


def kept(candidates: Iterable[Candidate], daily: int, weekly: int,
         monthly: int) -> set[str]:
    """The names to keep; every other backup may be deleted."""
    ordered = sorted(candidates, key=lambda c: c.created_at, reverse=True)
    good = [c for c in ordered if c.good]
    keep = _newest_per(lambda t: t.date(), daily, good)
    keep |= _newest_per(lambda t: t.isocalendar()[:2], weekly, good)
    keep |= _newest_per(lambda t: (t.year, t.month), monthly, good)
    newest_verified = next((c for c in good if c.verified), None)
    if newest_verified is not None:
        keep.add(newest_verified.name)
    if good:
        since = good[0].created_at - timedelta(days=daily)
        keep |= {c.name for c in good if c.event and c.created_at > since}
    newest_good = good[0].created_at if good else None
    keep |= {c.name for c in ordered
             if not c.good and (newest_good is None or c.created_at > newest_good)}
    return keep
