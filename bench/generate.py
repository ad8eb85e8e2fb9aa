"""Generate the benchmark database: N customers (default 1,000,000) with one contact each, in
PostgreSQL, set-based.

The schema comes from the real Alembic migrations. The rows are streamed as CSV into
``COPY ... FROM STDIN`` (customers straight from the generator, contacts through a spooled
file), with the customer/contact secondary indexes and foreign keys dropped for the load and
recreated afterwards from the definitions the migrations made (two connections in parallel,
one per core); then ``VACUUM ANALYZE``.

Names are combinatorial: region + 字号 (two characters from a few dozen) + industry word +
legal form, so 1M rows give a realistic spread of shared and rare substrings (the tables are
in ``tables.py``; people, titles and roads come from ``crm_server.demo_data``). The derived
columns use the server's own functions: ``name_key`` is ``company_key``, ``search_text`` is
``crm_server.kit.search.search_text`` (one segment per search field). That function spends
~140 µs per customer row in pypinyin (3 minutes for 1M on one core), so while generating, its
``initials`` lookup is
served by ``ComposedInitials``: a company name's initials are the concatenation of its parts'
initials, each part computed once by the real function. A sample of rows is re-derived with
the unpatched function and the run fails if any differs.

    python bench/generate.py --database-url postgresql+psycopg2://... [--customers N]
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import json
import os
import random
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

ROOT = Path(__file__).resolve().parent.parent
for _part in ("common", "server"):
    if str(ROOT / _part) not in sys.path:
        sys.path.insert(0, str(ROOT / _part))

import tables  # noqa: E402
from sqlalchemy import Engine, text  # noqa: E402

from crm_common.cleansing import company_key, full_pinyin, initials, uscc_check_char  # noqa: E402
from crm_common.cleansing.uscc import ALPHABET  # noqa: E402
from crm_common.entities import REGISTRY  # noqa: E402
from crm_server import demo_data  # noqa: E402
from crm_server.db.engine import make_engine  # noqa: E402
from crm_server.db.migrate import upgrade_engine  # noqa: E402
from crm_server.kit import search  # noqa: E402
from crm_server.security.passwords import hash_password  # noqa: E402

SEED = 1_000_003
BENCH_USER = "bench"
BENCH_PASSWORD = "bench-1234"
SALES_USERS = 60
VERIFY_EVERY = 997  # re-derive every 997th row with the unpatched search_text
BATCH = 5_000
CUSTOMER, CONTACT = REGISTRY["customer"], REGISTRY["contact"]

CUSTOMER_COLUMNS = (
    "id", "name", "short_name", "uscc", "industry", "province", "city", "district", "address",
    "phone", "level", "status", "source", "owner_id", "tags", "last_activity_at",
    "next_follow_up_on", "search_text", "name_key", "version", "created_at", "updated_at",
)
CONTACT_COLUMNS = (
    "id", "customer_id", "name", "title", "mobile", "email", "wechat", "decision_role",
    "is_primary", "search_text", "version", "created_at", "updated_at",
)


class ComposedInitials:
    """Stands in for ``initials`` inside ``search_text`` during generation.

    Texts registered for the current row (the company and short names) are answered with
    their parts' initials joined; ASCII text gets what pypinyin gives it (its letters and
    digits, lower case); anything else goes to the real function, cached.
    """

    def __init__(self) -> None:
        self.row: dict[str, str] = {}
        self.cache: dict[str, str] = {}

    def part(self, value: str) -> str:
        found = self.cache.get(value)
        if found is None:
            found = self.cache[value] = initials(value)
        return found

    def __call__(self, value: str) -> str:
        found = self.row.get(value)
        if found is not None:
            return found
        if value.isascii():
            return "".join(char for char in value.lower() if char.isalnum())
        return self.part(value)


@dataclass
class Regions:
    """Weighted (province, city, district, area code, region code) choices."""

    rows: list[tuple[str, str, str, str, str]] = field(default_factory=list)
    weights: list[float] = field(default_factory=list)

    @classmethod
    def build(cls) -> Regions:
        regions = cls()
        for province, weight, cities in tables.PROVINCES:
            for city, area, code, districts in cities:
                for district in districts:
                    regions.rows.append((province, city, district, area, code))
                    regions.weights.append(weight / len(cities) / len(districts))
        return regions


class Generator:
    """Deterministic rows: customer ``i`` and its contact, as CSV fields."""

    def __init__(self, seed: int, owner_ids: list[int], now: datetime) -> None:
        self.rng = random.Random(seed)
        self.owner_ids = owner_ids
        self.now = now
        self.regions = Regions.build()
        self.cumulative = list(itertools.accumulate(self.regions.weights))
        self.initials = ComposedInitials()
        self.titles = demo_data.FACTORY_TITLES
        self.samples: list[tuple[search.Sources, search.Sources, str, str]] = []

    def batch(self, start: int, count: int) -> Iterator[tuple[list[Any], list[Any]]]:
        rng = self.rng
        regions = rng.choices(self.regions.rows, cum_weights=self.cumulative, k=count)
        for offset, region in enumerate(regions):
            yield self.row(start + offset, region, rng)

    def row(self, ident: int, region: tuple[str, str, str, str, str],
            rng: random.Random) -> tuple[list[Any], list[Any]]:
        province, city, district, area, code = region
        place = city.removesuffix("市") if rng.random() < 0.8 else ""
        brand = rng.choice(tables.BRAND_CHARS) + rng.choice(tables.BRAND_CHARS)
        word, short_word, industry = rng.choice(tables.INDUSTRIES)
        legal = rng.choice(tables.LEGAL)
        name = f"{place}{brand}{word}{legal}"
        short = brand + short_word
        part = self.initials.part
        self.initials.row = {
            name: part(place) + part(brand) + part(word) + part(legal),
            short: part(brand) + part(short_word),
        }
        uscc = self._uscc(rng, code)
        phone = f"{area}-{rng.randint(2, 8)}{rng.randrange(10_000_000):07d}"
        person = rng.choice(demo_data.SURNAMES) + rng.choice(demo_data.GIVEN)
        mobile = rng.choice(demo_data.MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}"
        email = f"{self._pinyin(person)}{rng.randrange(1000)}@{rng.choice(demo_data.PUBLIC_MAIL)}"
        customer_sources: search.Sources = {
            "name": name, "short_name": short, "uscc": uscc, "phone": phone,
            "contact.mobile": [mobile]}
        contact_sources: search.Sources = {"name": person, "mobile": mobile, "email": email}
        customer_text = search.search_text(CUSTOMER, customer_sources)
        contact_text = search.search_text(CONTACT, contact_sources)
        if ident % VERIFY_EVERY == 0:
            self.samples.append((customer_sources, contact_sources, customer_text, contact_text))
        created = self.now - timedelta(seconds=rng.randrange(5 * 365 * 86_400))
        last = (self.now - timedelta(seconds=rng.randrange(730 * 86_400))
                if rng.random() < 0.7 else None)
        follow = (self.now.date() + timedelta(days=rng.randint(-30, 60))
                  if last and rng.random() < 0.4 else None)
        title, role = rng.choice(self.titles)
        customer = [
            ident, name, short, uscc, industry, province, city, district,
            f"{district}{rng.choice(demo_data.ROADS)}{rng.randint(1, 1999)}号", phone,
            rng.choice(tables.LEVELS), rng.choice(tables.STATUSES), rng.choice(tables.SOURCES),
            rng.choice(self.owner_ids), rng.choice(tables.TAGS), last, follow, customer_text,
            company_key(name), 1, created, created,
        ]
        contact = [ident, ident, person, title, mobile, email, None, role, "t", contact_text,
                   1, created, created]
        return customer, contact

    def _pinyin(self, person: str) -> str:
        cache = self.initials.cache
        key = "\0" + person
        found = cache.get(key)
        if found is None:
            found = cache[key] = full_pinyin(person)
        return found

    @staticmethod
    def _uscc(rng: random.Random, region: str) -> str:
        body = "".join(rng.choices(ALPHABET, k=9))
        first17 = "91" + region + body
        return first17 + uscc_check_char(first17)


def verify(samples: list[tuple[search.Sources, search.Sources, str, str]]) -> int:
    """Rows whose composed search text differs from the unpatched function's."""
    wrong = 0
    for customer_sources, contact_sources, customer_text, contact_text in samples:
        if search.search_text(CUSTOMER, customer_sources) != customer_text:
            wrong += 1
        if search.search_text(CONTACT, contact_sources) != contact_text:
            wrong += 1
    return wrong


class CsvStream(io.RawIOBase):
    """A readable byte stream of CSV produced on demand (what ``copy_expert`` reads)."""

    def __init__(self, rows: Iterator[list[Any]]) -> None:
        self._rows = rows
        self._buffer = b""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            chunk = self._next_chunk()
            if not chunk:
                break
            self._buffer += chunk
        if size < 0:
            size = len(self._buffer)
        data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def _next_chunk(self) -> bytes:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        for _ in range(BATCH):
            row = next(self._rows, None)
            if row is None:
                break
            writer.writerow(_csv_values(row))
        return out.getvalue().encode()


def _csv_values(row: list[Any]) -> list[Any]:
    return [value.isoformat() if hasattr(value, "isoformat") else value for value in row]


# --- database steps -------------------------------------------------------------------------

def fresh_schema(engine: Engine) -> None:
    """An empty database built by the migrations (whatever an earlier run left behind)."""
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    upgrade_engine(engine)


LAYOUT = 2  # bumped when the generated users or tables change: older data is rebuilt


def marker(customers: int, seed: int) -> str:
    return f"crm bench data v{LAYOUT}: {customers} customers, seed {seed}, complete"


def is_generated(engine: Engine, customers: int, seed: int = SEED) -> bool:
    """Whether a finished run of this generator with these parameters made the data (the
    marker is the last thing written, so an interrupted run does not count)."""
    with engine.connect() as connection:
        comment = connection.execute(text(
            "SELECT obj_description(to_regclass('customer'), 'pg_class')")).scalar()
    return comment == marker(customers, seed)


def check_disposable(engine: Engine) -> None:
    """The generator wipes the database: only one named for benchmarks."""
    if "bench" not in (engine.url.database or ""):
        raise SystemExit(f"refusing to wipe database {engine.url.database!r}: the benchmark "
                         "database's name must contain 'bench'")


def make_users(engine: Engine) -> list[int]:
    """A sales department with ``SALES_USERS`` reps and the bench administrator; returns the
    reps' ids (customer owners)."""
    now = datetime.now(UTC)
    password = hash_password(BENCH_PASSWORD)
    with engine.begin() as connection:
        department = connection.execute(text(
            "INSERT INTO department (name, sort_order, version, created_at, updated_at) "
            "VALUES ('销售部', 0, 1, :now, :now) RETURNING id"), {"now": now}).scalar()
        users: list[dict[str, Any]] = [
            {"username": BENCH_USER, "name": "压测管理员", "role": "administrator"},
            {"username": "manager01", "name": "销售经理", "role": "sales_manager"}] + [
            {"username": f"sales{n:02d}", "name": f"销售{n:02d}", "role": "sales_rep"}
            for n in range(1, SALES_USERS + 1)]
        for user in users:
            user.update(password_hash=password, department_id=department, now=now)
        connection.execute(text(
            "INSERT INTO user_account (username, name, password_hash, department_id, "
            "is_active, failed_logins, must_change_password, version, created_at, updated_at) "
            "VALUES (:username, :name, :password_hash, :department_id, true, 0, false, 1, "
            ":now, :now)"), users)
        connection.execute(text(
            "INSERT INTO user_role (user_id, role_id) SELECT u.id, r.id FROM user_account u "
            "JOIN role r ON r.key = :role WHERE u.username = :username"), users)
        rows = connection.execute(text(
            "SELECT id FROM user_account WHERE username LIKE 'sales%' ORDER BY id")).scalars()
        return [int(r) for r in rows]


@dataclass
class Deferred:
    """Secondary indexes and foreign keys of the loaded tables, as the migrations made them."""

    indexes: list[str]
    foreign_keys: list[tuple[str, str, str]]


def drop_for_load(engine: Engine, tables: tuple[str, ...]) -> Deferred:
    with engine.begin() as connection:
        indexes = connection.execute(text(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = ANY(:t) "
            "AND i.schemaname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
            "WHERE c.conname = i.indexname)"), {"t": list(tables)}).all()
        fks = connection.execute(text(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) "
            "FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text = ANY(:t)"),
            {"t": list(tables)}).all()
        for table, name, _definition in fks:
            connection.execute(text(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"'))
        for name, _definition in indexes:
            connection.execute(text(f'DROP INDEX "{name}"'))
    return Deferred([d for _n, d in indexes], [(t, n, d) for t, n, d in fks])


def restore_after_load(engine: Engine, deferred: Deferred, workers: int = 2) -> None:
    """Rebuild the indexes on ``workers`` connections at once (GIN builds are single-threaded,
    so two cores build two indexes), then the foreign keys (validated in one pass each)."""
    pending = sorted(deferred.indexes, key=lambda d: "gin" not in d)  # slowest first
    lock = threading.Lock()
    failures: list[BaseException] = []

    def work() -> None:
        with engine.connect() as connection:
            connection.execute(text("SET maintenance_work_mem = '512MB'"))
            connection.execute(text("SET max_parallel_maintenance_workers = 1"))
            while True:
                with lock:
                    if not pending or failures:
                        return
                    definition = pending.pop(0)
                try:
                    connection.execute(text(definition))
                    connection.commit()
                except BaseException as exc:  # reported by the caller
                    failures.append(exc)
                    return

    threads = [threading.Thread(target=work) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if failures:
        raise failures[0]
    with engine.begin() as connection:
        for table, name, definition in deferred.foreign_keys:
            connection.execute(text(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}'))


def copy_rows(engine: Engine, table: str, columns: tuple[str, ...], stream: Any) -> None:
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        cursor.execute("SET synchronous_commit = off")
        cursor.copy_expert(
            f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", stream,
            size=1 << 20)
        raw.commit()
    finally:
        raw.close()


def finish(engine: Engine, customers: int, seed: int) -> None:
    with engine.connect() as connection:
        connection.execute(text("SELECT setval(pg_get_serial_sequence('customer', 'id'), "
                                "(SELECT max(id) FROM customer))"))
        connection.execute(text("SELECT setval(pg_get_serial_sequence('contact', 'id'), "
                                "(SELECT max(id) FROM contact))"))
        connection.commit()
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM (ANALYZE) customer, contact, user_account, department"))
        connection.execute(text(f"COMMENT ON TABLE customer IS '{marker(customers, seed)}'"))


def generate(url: str, customers: int, seed: int = SEED,
             log: Callable[[str], None] = print) -> dict[str, float]:
    """Build the database behind ``url`` with ``customers`` rows; returns phase timings (s)."""
    engine = make_engine(url)
    timings: dict[str, float] = {}
    started = time.perf_counter()

    def phase(name: str) -> None:
        nonlocal started
        now = time.perf_counter()
        timings[name] = round(now - started, 1)
        log(f"  {name}: {timings[name]} s")
        started = now

    check_disposable(engine)
    try:
        fresh_schema(engine)
        owners = make_users(engine)
        phase("schema and users")
        deferred = drop_for_load(engine, ("customer", "contact"))
        generator = Generator(seed, owners, datetime.now(UTC).replace(microsecond=0))
        try:
            load(engine, generator, customers)
            phase("generate + COPY customers and contacts")
        finally:
            restore_after_load(engine, deferred)
            phase("indexes and foreign keys")
        wrong = verify(generator.samples)
        log(f"  search_text check: {len(generator.samples) * 2} rows re-derived with the real "
            f"function, {wrong} differ")
        if wrong:
            raise RuntimeError("composed search_text differs from the server's function")
        finish(engine, customers, seed)
        phase("VACUUM ANALYZE")
    finally:
        engine.dispose()
    return timings


def load(engine: Engine, generator: Generator, customers: int) -> None:
    """COPY the customers as they are generated; their contacts go to a spooled file and are
    copied after (the customers must exist first)."""
    with tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as spool:
        contact_writer = csv.writer(spool, lineterminator="\n")
        with mock.patch.object(search, "initials", generator.initials):
            copy_rows(engine, "customer", CUSTOMER_COLUMNS,
                      CsvStream(_customers(generator, customers, contact_writer)))
        spool.seek(0)
        with open(spool.fileno(), "rb", closefd=False) as contacts:
            copy_rows(engine, "contact", CONTACT_COLUMNS, contacts)


def _customers(generator: Generator, count: int, contact_writer: Any) -> Iterator[list[Any]]:
    done = 0
    while done < count:
        size = min(BATCH, count - done)
        for customer, contact in generator.batch(done + 1, size):
            contact_writer.writerow(_csv_values(contact))
            yield customer
        done += size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=os.environ.get("CRM_BENCH_DATABASE_URL"),
                        help="PostgreSQL URL (default: $CRM_BENCH_DATABASE_URL)")
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    if not args.database_url or not args.database_url.startswith("postgresql"):
        parser.error("a PostgreSQL --database-url (or CRM_BENCH_DATABASE_URL) is required")
    print(f"Generating {args.customers:,} customers + contacts")
    timings = generate(args.database_url, args.customers, args.seed)
    print(json.dumps({"customers": args.customers, "seconds": timings}, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
