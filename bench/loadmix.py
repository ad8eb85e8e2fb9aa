"""The simulated desktop users of the load benchmark (issue 8, "What was measured").

Each user signs in once, then loops with 0.5–2 s think time over the mix: the customer list's
first page with a random sort or filter (40 %), its next page by cursor (20 %), a search of the
list (20 %: Chinese two-character terms, pinyin initials, phone digits), a customer opened as
the client's 360° view does (10 %: the customer, its contacts and its follow-ups, the three
requests at once), and a write (10 %: a follow-up added, or a field of a customer seen in a
list changed with the version the list gave). A 409 for a stale version is the expected answer
when two sessions change one customer; it is counted apart, never as an error.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import ssl
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from figures import OpFigures
from generate import BENCH_PASSWORD
from tables import BRAND_CHARS, INDUSTRIES, LEVELS, PROVINCES, STATUSES

from crm_client.api.client import KEEPALIVE_SECONDS  # as the desktop client keeps them
from crm_common.cleansing import initials

OPS: dict[str, int] = {"list_first": 40, "list_next": 20, "search": 20, "open": 10, "write": 10}
THINK_S = (0.5, 2.0)
PAGE_SIZE = 100  # the client's default page size
TIMELINE_PAGE = 30  # the follow-up timeline's page
REQUEST_TIMEOUT_S = 60.0
SIGN_IN_ATTEMPTS = 5
SORTS = ("name", "-name", "level", "province", "-last_activity_at", "-created_at",
         "-updated_at")
COMMON_TERMS = ("公司", "有限", "科技", "机械", "电子", "精密")
STALE = 409


@dataclass
class Recorder:
    """Figures of every operation that ends while ``on``; all users share one."""

    on: bool = False
    ops: dict[str, OpFigures] = field(default_factory=lambda: {op: OpFigures() for op in OPS})
    responses: int = 0
    no_answer: Counter[str] = field(default_factory=Counter)  # status 0, by httpx's error

    def add(self, op: str, started: float, statuses: list[int]) -> None:
        if not self.on:
            return
        figures = self.ops[op]
        answered = sum(1 for s in statuses if s)
        figures.responses += answered
        self.responses += answered
        failed = [s for s in statuses if not 200 <= s < 300]
        if not failed:
            figures.durations_ms.append((time.perf_counter() - started) * 1000)
        elif op == "write" and failed == [STALE]:
            figures.expected[STALE] += 1
        else:
            figures.errors.update(failed)


class SearchTerms:
    """Search text as people type it: two Chinese characters (a brand, an industry word, a very
    common word), pinyin initials of a brand, or a few digits of a phone."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.words = [words[1][:2] for words in INDUSTRIES] + [
            city[:2] for _, _, cities in PROVINCES for city, *_ in cities]

    def __call__(self) -> str:
        kind = self.rng.randrange(3)
        if kind == 0:
            choice = self.rng.randrange(4)
            if choice == 0:
                return self.rng.choice(COMMON_TERMS)
            if choice == 1:
                return self.rng.choice(self.words)
            return self._brand()
        if kind == 1:
            return initials(self._brand())
        return "".join(self.rng.choice("0123456789") for _ in range(self.rng.randint(4, 7)))

    def _brand(self) -> str:
        return "".join(self.rng.sample(BRAND_CHARS, 2))


def list_params(rng: random.Random) -> dict[str, str]:
    """The customer list as a user leaves it: a sort, and half the time one filter."""
    params = {"sort": rng.choice(SORTS), "limit": str(PAGE_SIZE)}
    filter_kind = rng.randrange(6)
    if filter_kind == 0:
        params["level"] = rng.choice(LEVELS)
    elif filter_kind == 1:
        params["status"] = rng.choice(STATUSES)
    elif filter_kind == 2:
        params["province"] = rng.choice(PROVINCES)[0]
    return params


class User:
    """One desktop: a signed-in session and what its list last showed."""

    def __init__(self, username: str, client: httpx.AsyncClient, recorder: Recorder,
                 rng: random.Random) -> None:
        self.username, self.client, self.recorder, self.rng = username, client, recorder, rng
        self.terms = SearchTerms(rng)
        self.params: dict[str, str] | None = None
        self.cursor: str | None = None
        self.seen: dict[int, int] = {}  # customer id → version, from the last page shown
        self.sign_in_failures: list[int] = []

    async def sign_in(self) -> bool:
        for _ in range(SIGN_IN_ATTEMPTS):
            status, body = await self._call("POST", "/auth/login", json={
                "username": self.username, "password": BENCH_PASSWORD})
            if status == 200:
                self.client.headers["Authorization"] = f"Bearer {body['token']}"
                return True
            self.sign_in_failures.append(status)
            await asyncio.sleep(self.rng.uniform(0.2, 1.0))
        return False

    async def sign_out(self) -> None:
        await self._call("POST", "/auth/logout")

    async def run(self, stop: asyncio.Event) -> None:
        actions: dict[str, Callable[[], Awaitable[None]]] = {
            "list_first": self.list_first, "list_next": self.list_next,
            "search": self.search, "open": self.open, "write": self.write}
        names, weights = list(OPS), list(OPS.values())
        while not stop.is_set():
            await actions[self.rng.choices(names, weights)[0]]()
            with contextlib.suppress(TimeoutError):  # the think time is over
                await asyncio.wait_for(stop.wait(), self.rng.uniform(*THINK_S))

    # -- the operations ---------------------------------------------------------------------

    async def list_first(self) -> None:
        await self._page("list_first", list_params(self.rng))

    async def list_next(self) -> None:
        if self.params is None or self.cursor is None:
            await self.list_first()  # nothing to scroll yet: the list is opened first
            return
        await self._page("list_next", {**self.params, "after": self.cursor}, keep=self.params)

    async def search(self) -> None:
        await self._page("search", {"q": self.terms(), "limit": str(PAGE_SIZE)})

    async def open(self) -> None:
        customer = await self._a_customer()
        if customer is None:
            return
        started = time.perf_counter()
        results = await asyncio.gather(
            self._call("GET", f"/customers/{customer}"),
            self._call("GET", "/contacts", params={"customer_id": str(customer),
                                                   "sort": "name", "limit": str(PAGE_SIZE)}),
            self._call("GET", "/activities", params={
                "customer_id": str(customer), "sort": "-occurred_at",
                "limit": str(TIMELINE_PAGE)}))
        self.recorder.add("open", started, [status for status, _ in results])

    async def write(self) -> None:
        customer = await self._a_customer()
        if customer is None:
            return
        started = time.perf_counter()
        if self.rng.random() < 0.5:
            status, _ = await self._call("POST", "/activities", json={
                "customer_id": customer, "type": self.rng.choice(("call", "visit", "email")),
                "subject": "压测跟进", "notes": "负载测试生成的跟进记录"})
        else:
            status, body = await self._call("PATCH", f"/customers/{customer}", json={
                "notes": f"压测修改 {self.rng.randrange(10**6)}",
                "version": self.seen[customer]})
            if status == 200:
                self.seen[customer] = int(body["version"])
        self.recorder.add("write", started, [status])

    # -- helpers ----------------------------------------------------------------------------

    async def _a_customer(self) -> int | None:
        if not self.seen:
            await self.list_first()
        return self.rng.choice(list(self.seen)) if self.seen else None

    async def _page(self, op: str, params: dict[str, str],
                    keep: dict[str, str] | None = None) -> None:
        started = time.perf_counter()
        status, body = await self._call("GET", "/customers", params=params)
        self.recorder.add(op, started, [status])
        if status == 200 and body["items"]:
            self.params = keep or params
            self.cursor = body.get("next")
            self.seen = {item["id"]: item["version"] for item in body["items"]}

    async def _call(self, method: str, url: str, **kwargs: Any) -> tuple[int, Any]:
        """Status (0 when no answer came) and JSON body of one request."""
        try:
            response = await self.client.request(method, url, **kwargs)
        except httpx.HTTPError as error:
            if self.recorder.on:
                self.recorder.no_answer[type(error).__name__] += 1
            return 0, None
        body = response.json() if response.content and response.headers.get(
            "content-type", "").startswith("application/json") else None
        return response.status_code, body


def usernames(count: int, manager_share: float, rng: random.Random) -> list[str]:
    """``count`` desktops: sales reps ``sales01..sales60`` in turn (more desktops than reps
    share accounts, as one person signed in twice), about ``manager_share`` of them the
    sales manager."""
    names = []
    rep = 0
    for _ in range(count):
        if rng.random() < manager_share:
            names.append("manager01")
        else:
            names.append(f"sales{rep % 60 + 1:02d}")
            rep += 1
    return names


def make_client(base_url: str, tls: ssl.SSLContext) -> httpx.AsyncClient:
    """One desktop's connection (the client's three parallel requests may open three),
    idle ones dropped as the desktop client drops them."""
    return httpx.AsyncClient(base_url=f"{base_url}/api/v1", verify=tls,
                             timeout=REQUEST_TIMEOUT_S,
                             limits=httpx.Limits(max_connections=3, max_keepalive_connections=3,
                                                 keepalive_expiry=KEEPALIVE_SECONDS),
                             headers={"Accept-Language": "zh-CN"})
