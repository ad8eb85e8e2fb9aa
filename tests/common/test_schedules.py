"""Schedules as admins write them, and their slots, with fixed clocks in explicit zones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from crm_common.schedules import normalise_schedule, parse

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")  # keeps daylight saving time: the changes are tested here


def at(zone: ZoneInfo, *parts: int) -> datetime:
    return datetime(*parts, tzinfo=zone).astimezone(UTC)  # type: ignore[misc]


@pytest.mark.parametrize(("written", "stored"), [
    ("daily 02:00", "daily 02:00"), ("Daily  2:05", "daily 02:05"),
    ("weekly SUN 03:00", "weekly sun 03:00"), ("every 15m", "every 15m"),
    ("every 5m", "every 5m"), (" OFF ", "off"), ("weekly mon 00:00", "weekly mon 00:00"),
    ("每天 2:00", "daily 02:00"), ("每日０２：３０", "daily 02:30"),
    ("每周日 03:00", "weekly sun 03:00"), ("星期一 8:15", "weekly mon 08:15"),
    ("周天 23:59", "weekly sun 23:59"), ("每 15 分钟", "every 15m"), ("每30分钟", "every 30m"),
    ("关闭", "off"),
])
def test_a_schedule_is_stored_in_one_written_form(written: str, stored: str) -> None:
    assert normalise_schedule(written) == stored
    assert str(parse(stored)) == stored


@pytest.mark.parametrize(("written", "message"), [
    ("daily", "Write a schedule as"), ("at 02:00", "Write a schedule as"),
    ("every 15", "Write a schedule as"), ("", "Write a schedule as"),
    ("every 4m", "at most every 5 minutes"), ("every 0m", "at most every 5 minutes"),
    ("every 10081m", "at most every 5 minutes"),
    ("daily 24:00", "from 00:00 to 23:59"), ("daily 02:60", "from 00:00 to 23:59"),
    ("weekly sunday 03:00", "mon, tue"), ("weekly 03:00", "Write a schedule as"),
    ("每 3 分钟", "at most every 5 minutes"), ("每周八 03:00", "Write a schedule as"),
    ("每天", "Write a schedule as"),
])
def test_a_bad_schedule_is_refused_with_a_message_for_people(written: str,
                                                             message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse(written)


def test_daily_slots_across_a_month_and_a_year_end() -> None:
    daily = parse("daily 02:00")
    before = at(SHANGHAI, 2026, 12, 31, 1, 59)
    assert daily.last_slot(before, SHANGHAI) == at(SHANGHAI, 2026, 12, 30, 2, 0)
    assert daily.next_slot(before, SHANGHAI) == at(SHANGHAI, 2026, 12, 31, 2, 0)
    on_time = at(SHANGHAI, 2027, 1, 1, 2, 0)
    assert daily.last_slot(on_time, SHANGHAI) == on_time  # a slot is due at its instant
    assert daily.next_slot(on_time, SHANGHAI) == at(SHANGHAI, 2027, 1, 2, 2, 0)
    month_end = at(SHANGHAI, 2027, 2, 28, 23, 0)
    assert daily.next_slot(month_end, SHANGHAI) == at(SHANGHAI, 2027, 3, 1, 2, 0)
    # 02:00 in Shanghai is 18:00 UTC the day before: the server's zone decides, not UTC's
    assert daily.last_slot(month_end, SHANGHAI) == datetime(2027, 2, 27, 18, tzinfo=UTC)


def test_weekly_slots_fall_on_their_day() -> None:
    weekly = parse("weekly sun 03:00")
    wednesday = at(SHANGHAI, 2026, 12, 30, 12, 0)
    assert weekly.last_slot(wednesday, SHANGHAI) == at(SHANGHAI, 2026, 12, 27, 3, 0)
    assert weekly.next_slot(wednesday, SHANGHAI) == at(SHANGHAI, 2027, 1, 3, 3, 0)
    sunday_early = at(SHANGHAI, 2027, 1, 3, 2, 59)
    assert weekly.last_slot(sunday_early, SHANGHAI) == at(SHANGHAI, 2026, 12, 27, 3, 0)


def test_every_minutes_counts_from_midnight_utc_whatever_the_zone() -> None:
    every = parse("every 15m")
    now = datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert every.last_slot(now, SHANGHAI) == datetime(2026, 12, 31, 23, 45, tzinfo=UTC)
    assert every.next_slot(now, BERLIN) == datetime(2027, 1, 1, 0, 0, tzinfo=UTC)


def test_off_has_no_slots() -> None:
    off = parse("off")
    assert off.off and off.last_slot(datetime.now(UTC), SHANGHAI) is None
    assert off.next_slot(datetime.now(UTC), SHANGHAI) is None


def test_a_time_the_spring_change_skips_runs_once_when_the_clock_passes_it() -> None:
    """Berlin, 2027-03-28: 02:00 CET becomes 03:00 CEST; 02:30 that day never shows."""
    daily = parse("daily 02:30")
    evening = at(BERLIN, 2027, 3, 27, 22, 0)
    due = daily.next_slot(evening, BERLIN)
    assert due == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)  # 03:30 CEST, past the jump
    assert daily.next_slot(due, BERLIN) == at(BERLIN, 2027, 3, 29, 2, 30)
    assert due is not None and daily.last_slot(due + timedelta(hours=5), BERLIN) == due


def test_a_time_the_autumn_change_repeats_runs_at_its_first_showing_only() -> None:
    """Berlin, 2027-10-31: 03:00 CEST becomes 02:00 CET; 02:30 shows twice that day."""
    daily = parse("daily 02:30")
    first = datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # 02:30 CEST
    second = datetime(2027, 10, 31, 1, 30, tzinfo=UTC)  # 02:30 CET
    assert daily.next_slot(first - timedelta(minutes=1), BERLIN) == first
    assert daily.last_slot(second, BERLIN) == first
    assert daily.next_slot(second, BERLIN) == at(BERLIN, 2027, 11, 1, 2, 30)
    day = range(0, 25 * 60, 5)  # the 25 hours from the first showing to the next day's
    assert {daily.last_slot(first + timedelta(minutes=m), BERLIN) for m in day} == {first}
