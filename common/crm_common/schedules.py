"""Schedules of periodic tasks, as admins write them, and their slots in time.

Four forms, checked with clear messages (``parse``; a ``ValueError`` becomes a field error):

* ``daily 02:00`` — every day at that time;
* ``weekly sun 03:00`` — every week on that day (mon … sun) at that time;
* ``every 15m`` — every so many minutes (at least ``MIN_MINUTES``), counted from midnight
  UTC (1970-01-01), so every process agrees on the slots whatever its zone;
* ``off`` — never.

The same in Chinese, as people write it, reads as its English form: ``每天 2:00``,
``每周日 03:00`` (周一 … 周日, 星期一 …), ``每 15 分钟``, ``关闭``; full-width digits and
colons too.

A slot is the instant a run is due. Times of ``daily`` and ``weekly`` are the server's wall
clock in its zone, changes of daylight saving time included: a time the clock skips in
spring (02:30 when it jumps from 02:00 to 03:00) is due the moment the clock passes it
(03:30 in the new time, an hour after its place), and a time the clock shows twice in
autumn is due at its first showing only — a daily task runs once a calendar day either way.
(China keeps no daylight saving time; servers abroad may.)
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from crm_common.cleansing.text import to_halfwidth
from crm_common.i18n import N_

MIN_MINUTES = 5
MAX_MINUTES = 7 * 24 * 60
OFF = "off"
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_TIME = r"(?P<hour>[0-9]{1,2}):(?P<minute>[0-9]{2})"
_FORMS = (
    re.compile(rf"daily {_TIME}"),
    re.compile(rf"weekly (?P<day>[a-z]+) {_TIME}"),
    re.compile(r"every (?P<every>[0-9]{1,6})m"),
)
SHAPE_ERROR = N_('Write a schedule as "daily 02:00", "weekly sun 03:00", "every 15m" or "off"')


@dataclass(frozen=True)
class Schedule:
    """A parsed schedule: ``every`` minutes, or ``at`` a wall-clock time each day or on
    ``weekday`` (0 = Monday); neither when off."""

    at: time | None = None
    weekday: int | None = None
    every: int | None = None

    @property
    def off(self) -> bool:
        return self.at is None and self.every is None

    def __str__(self) -> str:
        if self.every is not None:
            return f"every {self.every}m"
        if self.at is None:
            return OFF
        clock = self.at.strftime("%H:%M")
        return f"daily {clock}" if self.weekday is None else (
            f"weekly {WEEKDAYS[self.weekday]} {clock}")

    def last_slot(self, now: datetime, zone: tzinfo) -> datetime | None:
        """The latest slot at or before ``now`` (aware), in UTC; None when off."""
        if self.every is not None:
            step = timedelta(minutes=self.every)
            return _EPOCH + (now - _EPOCH) // step * step
        today = now.astimezone(zone).date()
        slots = (self._on(today - timedelta(days=back), zone) for back in range(8))
        return next((slot for slot in slots if slot is not None and slot <= now), None)

    def next_slot(self, now: datetime, zone: tzinfo) -> datetime | None:
        """The earliest slot after ``now`` (aware), in UTC; None when off."""
        if self.every is not None:
            last = self.last_slot(now, zone)
            assert last is not None
            return last + timedelta(minutes=self.every)
        today = now.astimezone(zone).date()
        slots = (self._on(today + timedelta(days=ahead), zone) for ahead in range(9))
        return next((slot for slot in slots if slot is not None and slot > now), None)

    def _on(self, day: date, zone: tzinfo) -> datetime | None:
        """The slot on ``day`` of the server's calendar, if there is one that day. A wall
        time read with ``fold=0`` is its first showing in autumn, and in spring a skipped
        time lands past the jump (PEP 495)."""
        if self.at is None or (self.weekday is not None and day.weekday() != self.weekday):
            return None
        return datetime.combine(day, self.at, tzinfo=zone).astimezone(UTC)


_CHINESE_DAYS = "一二三四五六日"
_CHINESE: tuple[tuple[re.Pattern[str], Callable[[re.Match[str]], str]], ...] = (
    (re.compile(r"^(?:每天|每日)"), lambda _found: "daily "),
    (re.compile(r"^(?:每周|每星期|星期|周)([一二三四五六日天])"),
     lambda found: f"weekly {WEEKDAYS[_CHINESE_DAYS.index(found[1].replace('天', '日'))]} "),
    (re.compile(r"^每 ?([0-9]+) ?分钟$"), lambda found: f"every {found[1]}m"),
    (re.compile(r"^(?:关闭|停用)$"), lambda _found: OFF),
)


def _english(text: str) -> str:
    """``text`` lower-cased, half-width, single-spaced, its Chinese words in English."""
    words = " ".join(to_halfwidth(text).lower().split())
    for pattern, english in _CHINESE:
        words = pattern.sub(english, words)
    return " ".join(words.split())


def parse(text: str) -> Schedule:
    """The schedule ``text`` says (spaces, case and Chinese wording forgiven), or
    ``ValueError`` with a message for people."""
    words = _english(text)
    if words == OFF:
        return Schedule()
    for form in _FORMS:
        found = form.fullmatch(words)
        if found is not None:
            return _built(found.groupdict())
    raise ValueError(SHAPE_ERROR)


def _built(parts: dict[str, str]) -> Schedule:
    if "every" in parts:
        minutes = int(parts["every"])
        if not MIN_MINUTES <= minutes <= MAX_MINUTES:
            raise ValueError(N_("Run at most every 5 minutes and at least once a week"))
        return Schedule(every=minutes)
    hour, minute = int(parts["hour"]), int(parts["minute"])
    if hour > 23 or minute > 59:
        raise ValueError(N_("Write the time as hours and minutes from 00:00 to 23:59"))
    weekday = None
    if "day" in parts:
        if parts["day"] not in WEEKDAYS:
            raise ValueError(N_("Write the day as mon, tue, wed, thu, fri, sat or sun"))
        weekday = WEEKDAYS.index(parts["day"])
    return Schedule(at=time(hour, minute), weekday=weekday)


def normalise_schedule(text: str) -> str:
    """``text`` in its one written form (``Daily  2:00`` → ``daily 02:00``), or
    ``ValueError``: what is stored and compared."""
    return str(parse(text))
