"""Follow-ups (``activity`` rows) for the backup benchmark: N of them spread over the
generated customers, set-based.

``generate.py`` makes customers and their contacts only. This adds ``count`` follow-ups as
the demo writes them (``crm_server.demo_data``: weighted kinds, the kind's subjects, notes of
an opener and a next step, work hours in the last two years, a planned next date for three
in four), each by the customer's owner and with its contact (generated customer ``i`` has
contact ``i``). The customers are drawn with a skew (a quarter of them get half the
follow-ups), as busy accounts are. Rows are streamed as CSV into ``COPY``, with the
table's secondary indexes and foreign keys dropped for the load and rebuilt after (the
generator's own steps); then ``VACUUM ANALYZE``. A comment on the table marks a finished
load, so the rows are made once per cluster.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import generate
from sqlalchemy import Engine, text

from crm_server import demo_data as data
from crm_server.db.engine import make_engine

SEED = 11
LAYOUT = 1  # bumped when the rows change: older ones are replaced
COLUMNS = ("customer_id", "contact_id", "type", "occurred_at", "subject", "notes",
           "next_follow_up_on", "owner_id", "version", "created_at", "updated_at")
SPAN_DAYS = 730


def marker(count: int, customers: int) -> str:
    return f"crm bench follow-ups v{LAYOUT}: {count} over {customers} customers, complete"


class Rows:
    """Deterministic follow-up rows as CSV fields."""

    def __init__(self, owners: list[int], now: datetime, seed: int = SEED) -> None:
        self.rng = random.Random(seed)
        self.owners = owners  # owners[i - 1]: the owner of customer i
        self.now = now
        self.kinds = [kind for kind, _ in data.ACTIVITY_KINDS]
        self.cumulative = list(itertools.accumulate(weight for _, weight in data.ACTIVITY_KINDS))

    def customer(self) -> int:
        """A customer id, a quarter of the customers drawing half the follow-ups."""
        busy = len(self.owners) // 4 or 1
        if self.rng.random() < 0.5:
            return self.rng.randrange(busy) + 1
        return self.rng.randrange(len(self.owners)) + 1

    def note(self) -> str | None:
        rng = self.rng
        if rng.random() < 0.15:
            return None
        opener = rng.choice(data.NOTE_OPENERS).format(when=rng.choice(data.WHEN),
                                                      count=rng.choice(data.COUNTS))
        follows = rng.sample(data.NOTE_FOLLOWS, k=rng.choice((1, 1, 2)))
        return f"{opener}，{''.join(follows)}"

    def row(self) -> list[Any]:
        rng = self.rng
        customer = self.customer()
        kind = rng.choices(self.kinds, cum_weights=self.cumulative)[0]
        day = self.now.date() - timedelta(days=rng.randrange(SPAN_DAYS))
        occurred = datetime(day.year, day.month, day.day, rng.choice(data.WORK_HOURS_UTC),
                            rng.choice(data.MINUTES), tzinfo=UTC)
        planned: date | None = (occurred.date() + timedelta(days=rng.randint(3, 30))
                                if rng.random() < 0.75 else None)
        stamp = occurred.isoformat()
        return [customer, customer, kind, stamp, rng.choice(data.SUBJECTS[kind]), self.note(),
                planned.isoformat() if planned else None, self.owners[customer - 1], 1,
                stamp, stamp]

    def take(self, count: int) -> Iterator[list[Any]]:
        for _ in range(count):
            yield self.row()


def is_loaded(engine: Engine, count: int, customers: int) -> bool:
    with engine.connect() as connection:
        comment = connection.execute(text(
            "SELECT obj_description(to_regclass('activity'), 'pg_class')")).scalar()
    return comment == marker(count, customers)


def owners(engine: Engine, customers: int) -> list[int]:
    """The owner of every generated customer, by id (ids run from 1 to ``customers``)."""
    with engine.connect() as connection:
        found = list(connection.execute(text(
            "SELECT owner_id FROM customer WHERE id <= :n ORDER BY id"),
            {"n": customers}).scalars())
    if len(found) != customers:
        raise RuntimeError(f"expected customers 1..{customers}, found {len(found)}")
    return [int(owner) for owner in found]


def load(engine: Engine, count: int, customers: int) -> dict[str, float]:
    """Replace the follow-ups with ``count`` generated ones; phase timings (s)."""
    started = time.perf_counter()
    timings: dict[str, float] = {}
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE activity RESTART IDENTITY"))
    deferred = generate.drop_for_load(engine, ("activity",))
    rows = Rows(owners(engine, customers), datetime.now(UTC).replace(microsecond=0))
    try:
        generate.copy_rows(engine, "activity", COLUMNS, generate.CsvStream(rows.take(count)))
        timings["generate + COPY"] = round(time.perf_counter() - started, 1)
    finally:
        generate.restore_after_load(engine, deferred)
    timings["indexes and foreign keys"] = round(
        time.perf_counter() - started - timings.get("generate + COPY", 0), 1)
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM (ANALYZE) activity"))
        connection.execute(text(f"COMMENT ON TABLE activity IS '{marker(count, customers)}'"))
    timings["total"] = round(time.perf_counter() - started, 1)
    return timings


def ensure(url: str, count: int, customers: int) -> dict[str, Any]:
    """Load ``count`` follow-ups over the ``customers`` generated customers unless a
    finished load of them is there."""
    engine = make_engine(url)
    try:
        if is_loaded(engine, count, customers):
            print(f"Follow-ups present: {count:,}")
            return {"generated": False}
        print(f"Generating {count:,} follow-ups over {customers:,} customers")
        timings = load(engine, count, customers)
        print(f"  {timings}")
        return {"generated": True, "seconds": timings}
    finally:
        engine.dispose()
