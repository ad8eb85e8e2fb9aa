"""What one authenticated request costs the server: queries sent and time spent in-process.

The real application (``create_app``) on a database of its own (SQLite in a temporary data
directory, or ``--database-url``), with the demo data and ``--customers`` more customers
(one contact and one follow-up each), called through FastAPI's ``TestClient`` (routing,
bearer token, validation, JSON) as a sales rep and as a manager. Each operation of the load
mix is called ``--runs`` times after a warm-up; the table gives the statements each call
sends (counted on the engine, ``before_cursor_execute``), the median and mean time, and the
mean CPU time of the process (client and server threads; steadier than the time when other
work shares the machine, and what the client adds is the same before and after a change).

    .venv/bin/python bench/per_request.py [--customers 3000] [--runs 200] [--only "get customer"]

``--only OP`` measures that operation alone (e.g. under ``py-spy record --format raw``, to see
where the time goes: the work runs in the server's threads, out of a profiler's sight in
this one); ``--show OP`` prints the statements one call of it sends.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
for _part in ("common", "server"):
    if str(ROOT / _part) not in sys.path:
        sys.path.insert(0, str(ROOT / _part))

from fastapi.testclient import TestClient  # noqa: E402
from sqlalchemy import Engine, event, select  # noqa: E402

from crm_server.app import create_app  # noqa: E402
from crm_server.db import migrate  # noqa: E402
from crm_server.db.engine import make_engine, make_session_factory  # noqa: E402
from crm_server.demo import PASSWORD, seed  # noqa: E402
from crm_server.kit.binding import binding  # noqa: E402
from crm_server.models import Activity, Contact, Customer, User  # noqa: E402
from crm_server.settings import load_settings  # noqa: E402

API = "/api/v1"
WORDS = ("精密", "机械", "电子", "化工", "医疗", "环保", "能源", "智能", "光电", "材料")
CITIES = ("苏州", "无锡", "杭州", "宁波", "深圳", "东莞", "佛山", "南京", "温州", "合肥")


def add_customers(url: str, count: int) -> None:
    """``count`` customers of the demo's sales people, each with a contact and a follow-up,
    their derived columns computed by the server's own services."""
    engine = make_engine(url)
    try:
        with make_session_factory(engine).begin() as session:
            session.info["principal"] = None
            owners = list(session.scalars(select(User.id).where(
                User.username.in_(("sales", "sales2", "manager")))))
            now = datetime.now(UTC)
            names = itertools.product(CITIES, WORDS, WORDS, range(10_000))
            customers = []
            for i, (city, first, second, n) in zip(range(count), names, strict=False):
                customer = Customer(name=f"{city}{first}{second}{n}有限公司", level="B",
                                    owner_id=owners[i % len(owners)], tags=[],
                                    phone=f"0512-6{i:07d}")
                binding("customer").service.derive(session, customer)
                customers.append(customer)
            session.add_all(customers)
            session.flush()
            for i, customer in enumerate(customers):
                contact = Contact(customer_id=customer.id, name=f"联系人{i}",
                                  mobile=f"139{i:08d}")
                binding("contact").service.derive(session, contact)
                session.add(contact)
                session.add(Activity(customer_id=customer.id, subject="电话回访",
                                     occurred_at=now - timedelta(days=i % 90),
                                     owner_id=customer.owner_id))
    finally:
        engine.dispose()


@dataclass
class Figures:
    name: str
    queries: int
    times_ms: list[float]
    cpu_ms: float

    def row(self) -> str:
        return (f"{self.name:<22}{self.queries:>8}{statistics.median(self.times_ms):>10.2f}"
                f"{statistics.fmean(self.times_ms):>10.2f}{self.cpu_ms:>10.2f}")


class Counter:
    """Statements sent on the engine."""

    def __init__(self, engine: Engine) -> None:
        self.statements: list[str] = []
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        self.statements.append(statement)


class Mix:
    """The load mix's operations as HTTP calls of one signed-in user."""

    def __init__(self, client: TestClient, username: str) -> None:
        self.client = client
        token = client.post(f"{API}/auth/login", json={
            "username": username, "password": PASSWORD}).json()["token"]
        self.headers = {"Authorization": f"Bearer {token}", "Accept-Language": "zh-CN"}
        first = self.get("/customers", params={"sort": "name"})
        self.cursor = first["next"]
        self.customer = first["items"][0]

    def get(self, path: str, **options: Any) -> Any:
        response = self.client.get(API + path, headers=self.headers, **options)
        assert response.status_code == 200, response.text
        return response.json()

    def operations(self) -> dict[str, Callable[[], Any]]:
        cid = self.customer["id"]
        return {
            "list first page": lambda: self.get("/customers", params={"sort": "name"}),
            "list next page": lambda: self.get("/customers", params={
                "sort": "name", "after": self.cursor}),
            "search": lambda: self.get("/customers", params={"q": "精密"}),
            "get customer": lambda: self.get(f"/customers/{cid}"),
            "its contacts": lambda: self.get("/contacts", params={"customer_id": cid}),
            "its follow-ups": lambda: self.get("/activities", params={"customer_id": cid}),
            "follow-up create": self.add_follow_up,
            "customer patch": self.patch_customer,
            "me": lambda: self.get("/me"),
        }

    def add_follow_up(self) -> None:
        response = self.client.post(f"{API}/activities", headers=self.headers, json={
            "customer_id": self.customer["id"], "subject": "上门拜访", "type": "visit"})
        assert response.status_code == 201, response.text

    def patch_customer(self) -> None:
        level = "A" if self.customer["level"] != "A" else "B"
        response = self.client.patch(f"{API}/customers/{self.customer['id']}",
                                     headers=self.headers,
                                     json={"level": level, "version": self.customer["version"]})
        assert response.status_code == 200, response.text
        self.customer = response.json()


def measure(call: Callable[[], Any], counter: Counter,
            runs: int) -> tuple[int, list[float], float]:
    for _ in range(5):
        call()
    counter.statements.clear()
    call()
    queries = len(counter.statements)
    times = []
    cpu_started = time.process_time()
    for _ in range(runs):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return queries, times, (time.process_time() - cpu_started) * 1000 / runs


@contextmanager
def application(database_url: str, customers: int) -> Iterator[tuple[TestClient, Counter]]:
    with tempfile.TemporaryDirectory() as data_dir:
        settings = load_settings(Path(data_dir), database_url=database_url, log_level="warning")
        migrate.upgrade(settings)
        seed(settings)
        add_customers(settings.effective_database_url, customers)
        app = create_app(settings)
        with TestClient(app, base_url="https://testserver") as client:
            yield client, Counter(app.state.engine)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default="", help="empty: SQLite in a temp dir")
    parser.add_argument("--customers", type=int, default=3000)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--users", default="sales,manager")
    parser.add_argument("--only", help="measure this operation alone")
    parser.add_argument("--show", help="an operation whose statements to print")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    results: dict[str, list[dict[str, Any]]] = {}
    with application(args.database_url, args.customers) as (client, counter):
        for username in args.users.split(","):
            mix = Mix(client, username)
            print(f"\n{username}: {'operation':<14}{'queries':>8}{'p50 ms':>10}"
                  f"{'mean ms':>10}{'cpu ms':>10}")
            for name, call in mix.operations().items():
                if args.only and name != args.only:
                    continue
                figures = Figures(name, *measure(call, counter, args.runs))
                print(figures.row())
                results.setdefault(username, []).append(figures.__dict__)
                if name == args.show:
                    counter.statements.clear()
                    call()
                    print("\n".join(f"    {s[:160]}" for s in counter.statements))
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
