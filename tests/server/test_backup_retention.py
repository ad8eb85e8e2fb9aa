"""Retention: a simulated year of daily backups, pruned after each as the server does,
leaves exactly the newest 7 days, 4 weeks and 12 months; the newest verified backup and a
failure newer than every good backup are kept whatever the counts say."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from crm_server.domains.backups.retention import Candidate, kept


def _daily(day: date, verified: bool = True, good: bool = True) -> Candidate:
    at = datetime(day.year, day.month, day.day, 2)
    return Candidate(f"b-{day.isoformat()}", at, good, verified)


def test_a_year_of_daily_backups_leaves_the_expected_set() -> None:
    alive: list[Candidate] = []
    day = date(2026, 1, 1)
    while day.year == 2026:
        alive.append(_daily(day))
        keep = kept(alive, daily=7, weekly=4, monthly=12)
        alive = [c for c in alive if c.name in keep]
        day += timedelta(days=1)
    expected = {f"b-2026-12-{d:02d}" for d in (13, 20, 25, 26, 27, 28, 29, 30, 31)}
    expected |= {f"b-2026-{m:02d}-{d:02d}" for m, d in (
        (1, 31), (2, 28), (3, 31), (4, 30), (5, 31), (6, 30), (7, 31), (8, 31), (9, 30),
        (10, 31), (11, 30))}
    assert {c.name for c in alive} == expected


def test_the_newest_verified_backup_survives_a_run_of_unverified_ones() -> None:
    days = [date(2026, 3, 1) + timedelta(days=n) for n in range(20)]
    candidates = [_daily(d, verified=(n == 0)) for n, d in enumerate(days)]
    keep = kept(candidates, daily=3, weekly=0, monthly=0)
    assert keep == {"b-2026-03-01", "b-2026-03-18", "b-2026-03-19", "b-2026-03-20"}


def test_failed_backups_are_kept_only_while_newer_than_every_good_one() -> None:
    good = _daily(date(2026, 5, 1))
    old_failure = _daily(date(2026, 4, 30), good=False, verified=False)
    new_failure = _daily(date(2026, 5, 2), good=False, verified=False)
    keep = kept([good, old_failure, new_failure], daily=7, weekly=4, monthly=12)
    assert keep == {good.name, new_failure.name}


def test_days_without_backups_do_not_use_up_the_counts() -> None:
    """A server off for a fortnight still keeps 7 daily backups (of the days it ran)."""
    days = [date(2026, 6, 1) + timedelta(days=n) for n in range(5)]
    days += [date(2026, 6, 20) + timedelta(days=n) for n in range(5)]
    keep = kept([_daily(d, verified=False) for d in days], daily=7, weekly=0, monthly=0)
    assert len(keep) == 7 and "b-2026-06-03" not in keep and "b-2026-06-04" in keep


def test_backups_before_an_upgrade_or_a_restore_outlive_the_daily_count() -> None:
    """The way back from an upgrade is not pruned by the nightly backup of the same day."""
    before_upgrade = Candidate("pre-upgrade", datetime(2026, 7, 1, 1), True, True, event=True)
    days = [_daily(date(2026, 7, 1) + timedelta(days=n)) for n in range(12)]
    keep = kept([before_upgrade, *days[:3]], daily=7, weekly=0, monthly=0)
    assert "pre-upgrade" in keep  # though the nightly backup an hour later is July 1st's
    plain = Candidate("manual", datetime(2026, 7, 1, 1), True, True)
    assert "manual" not in kept([plain, *days[:3]], daily=7, weekly=0, monthly=0)
    keep = kept([before_upgrade, *days], daily=7, weekly=0, monthly=0)
    assert "pre-upgrade" not in keep  # a week of good backups later it may go
