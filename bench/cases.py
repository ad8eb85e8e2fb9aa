"""The server-side cases: the customer list and the global search, asked only through the
product's own code, either the service (``list_page``, one session per call as a request has)
or the HTTP API through FastAPI's TestClient (routing, bearer token, validation, JSON).

The one thing measured that the product does not do is the OFFSET page at row 500,000: the
baseline ARCHITECTURE §5a's keyset-vs-OFFSET ratio is about.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from functools import partial
from typing import Any

import generate
from measure import Bench, Result, print_header
from sqlalchemy import func, select

from crm_server.kit import counting, paging
from crm_server.kit.service import ListQuery
from crm_server.models import Contact, Customer
from crm_server.security import roles

PROVINCE = "广东省"  # the largest province: ~13% of the rows
COMMON_2 = "精密"  # 2 Chinese characters in ~3.6% of names, spread over the name order
RARE_2 = "恒瑞"  # a 字号: 2 characters in ~0.01% of names
CHINESE_4 = "恒瑞精密"
PERSON_2 = "王伟"  # a two-character contact name
DEEP = 500_000  # the row deep pages start after (half the rows when there are fewer)
LIST_TARGET_MS = 50.0
SEARCH_TARGET_MS = 100.0

SEARCHES = (
    ("2a search 2 chars, common", COMMON_2),
    ("2b search 2 chars, rare 字号", RARE_2),
    ("2c search 2 chars, city (2.4 %, one block)", "苏州"),
    ("2d search 4 chars", CHINESE_4),
    ("2e search 2 chars, very common", "科技"),
    ("2f search 4 chars, very common", "有限公司"),
    ("2g search 2 chars, big city (4.7 %, one block)", "上海"),
    ("3 search pinyin initials", "hrjm"),
)


def server_cases(bench: Bench) -> dict[str, Any]:
    """Every case; returns the OFFSET-vs-keyset comparison."""
    print_header(f"Server side ({bench.runs} runs after {bench.warmup} warm-up, ms)")
    list_cases(bench)
    search_cases(bench)
    ratio = deep_cases(bench)
    global_search_cases(bench)
    sort_cases(bench)
    scope_cases(bench)
    field_rights_cases(bench)
    return ratio


def list_cases(bench: Bench) -> None:
    """Case 1 (service and HTTP), the next page, and the list without a filter."""
    in_province = {"province": [PROVINCE]}
    bench.run("1 list: province=广东省, sort name, first page", LIST_TARGET_MS,
              always(ListQuery(sort="name", filters=in_province)))
    http_list(bench)
    second = bench.list_page(ListQuery(sort="name", filters=in_province))["next"]
    bench.run("1b list: next page (keyset cursor)", LIST_TARGET_MS,
              always(ListQuery(sort="name", filters=in_province, after=second)))
    bench.run("1c list: no filter, sort name, first page", LIST_TARGET_MS,
              always(ListQuery(sort="name")))


def search_cases(bench: Bench) -> None:
    for case, term in SEARCHES:
        bench.run(f"{case}: {term}", SEARCH_TARGET_MS, always(ListQuery(q=term)))
    mobiles = phone_digits(bench)
    bench.run("4 search phone digits (8 of a mobile, varies)", SEARCH_TARGET_MS,
              lambda i: ListQuery(q=mobiles[i % len(mobiles)]))


def phone_digits(bench: Bench) -> list[str]:
    """8 digits from the middle of real contacts' mobiles (one per call)."""
    count = bench.runs + bench.warmup + 1
    stmt = select(Contact.mobile).where(Contact.id.in_([1 + i * 7_919 for i in range(count)]))
    with bench.session() as session:
        rows = session.scalars(stmt).all()
    return [mobile[2:10] for mobile in rows if mobile]


def deep_cases(bench: Bench) -> dict[str, Any]:
    """Keyset pages deep in the list (a key that cannot be NULL; one that can), and the same
    page by OFFSET; returns how the OFFSET page compares."""
    with bench.session() as session:
        row = min(DEEP, int(session.scalar(select(func.count(Customer.id))) or 0) // 2)
    by_name = deep_cursor(bench, "name", row)
    by_follow_up = deep_cursor(bench, "-last_activity_at", row)
    keyset = bench.run(f"5 keyset page at row {row:,} (sort name, no filter)", LIST_TARGET_MS,
                       always(ListQuery(sort="name", after=by_name)))
    bench.run(f"5b keyset page at row {row:,} (sort -last_activity_at)", LIST_TARGET_MS,
              always(ListQuery(sort="-last_activity_at", after=by_follow_up)),
              note="nullable sort key: keyed rows, then the NULL block")
    offset = offset_case(bench, row)
    return {"row": row, "keyset_p50_ms": round(keyset.p50, 2),
            "offset_p50_ms": round(offset.p50, 2), "keyset_p95_ms": round(keyset.p95, 2),
            "offset_p95_ms": round(offset.p95, 2),
            "ratio_p50": round(offset.p50 / keyset.p50, 1),
            "ratio_p95": round(offset.p95 / keyset.p95, 1)}


def deep_cursor(bench: Bench, sort_token: str, row: int) -> str:
    """The cursor of ``row`` of the whole list in ``sort_token`` order, found by a plain
    query in the order the list pages in (NULL keys last, by id, in either direction).
    The product's page after it must start with the plain query's next row."""
    sort = paging.parse_sort(bench.service.spec, sort_token)
    column = getattr(Customer, sort.field)
    key_order = column.desc() if sort.descending else column.asc()
    id_order = Customer.id.desc() if sort.descending else Customer.id.asc()
    stmt = (bench.service.base_query(bench.principal).with_only_columns(column, Customer.id)
            .order_by(key_order.nulls_last(), id_order).offset(row - 1).limit(2))
    with bench.session() as session:
        (key, ident), (_next_key, next_id) = session.execute(stmt).all()
    cursor = paging.encode_cursor(sort, key, ident)
    first = bench.list_page(ListQuery(sort=sort_token, after=cursor))["items"][0].id
    if first != next_id:
        raise SystemExit(f"page after row {row:,} ({sort_token}) starts at id {first}, "
                         f"expected {next_id}")
    return cursor


def offset_case(bench: Bench, row: int) -> Result:
    """The baseline: the page after ``row`` by OFFSET, the same shape otherwise (the page's
    rows presented, the estimated total)."""
    service, user = bench.service, bench.principal

    def call(_i: int) -> int:
        with bench.session() as session:
            stmt = service.base_query(user)
            rows = list(session.scalars(stmt.order_by(Customer.name, Customer.id)
                                        .offset(row).limit(51)))
            service.present_many(session, user, rows[:50])
            counting.total(session, stmt, exact=False)
            return min(len(rows), 50)

    return bench.run_custom(f"6 OFFSET {row:,} (sort name, no filter) baseline", None, call,
                            "service", lambda: call(0), note="same page shape, OFFSET paging")


def sort_cases(bench: Bench) -> None:
    """The first page in every order the list offers (each sortable field, both ways)."""
    for field in sorted(bench.service.spec.sort_fields):
        for sort in (field, f"-{field}"):
            bench.run(f"8 list: no filter, sort {sort}, first page", LIST_TARGET_MS,
                      always(ListQuery(sort=sort)))


def scope_cases(bench: Bench) -> None:
    """The list and search as roles with a data scope: a sales rep (own customers, 1/60 of
    the rows) and a sales manager (department scope over all 60 reps: every row, reached
    through the owners' department, the least favourable plan)."""
    rep = bench.principal_of("sales01")
    manager = bench.principal_of("manager01")
    for label, user in (("sales rep, own", rep), ("sales manager, department", manager)):
        bench.run(f"9 list as {label}: sort name, first page", LIST_TARGET_MS,
                  always(ListQuery(sort="name")), principal=user)
        bench.run(f"9 list as {label}: province=广东省, sort name", LIST_TARGET_MS,
                  always(ListQuery(sort="name", filters={"province": [PROVINCE]})),
                  principal=user)
        bench.run(f"9 list as {label}: sort -last_activity_at", LIST_TARGET_MS,
                  always(ListQuery(sort="-last_activity_at")), principal=user)
        for term in (COMMON_2, "上海", "hrjm"):
            bench.run(f"9 search as {label}: {term}", SEARCH_TARGET_MS,
                      always(ListQuery(q=term)), principal=user)


def field_rights_cases(bench: Bench) -> None:
    """Search as a role that may not read every searched field (the service engineer's
    USCC is masked): a match must be found in a field the role may read."""
    engineer = next(role for role in roles.BUILTIN if role.key == "service_engineer")
    user = replace(bench.principal, permissions=roles.default_permissions(engineer))
    for term in (COMMON_2, "上海", "hrjm"):
        bench.run(f"10 search, USCC masked: {term}", SEARCH_TARGET_MS,
                  always(ListQuery(q=term)), principal=user)


@contextmanager
def signed_in(bench: Bench) -> Iterator[tuple[Any, dict[str, str]]]:
    """A TestClient on the app and the bearer header of the benchmark user."""
    warnings.filterwarnings("ignore", message=".*starlette.testclient.*")
    from fastapi.testclient import TestClient

    with TestClient(bench.app) as client:
        login = client.post("/api/v1/auth/login", json={
            "username": generate.BENCH_USER, "password": generate.BENCH_PASSWORD})
        login.raise_for_status()
        yield client, {"Authorization": f"Bearer {login.json()['token']}"}


def http_list(bench: Bench) -> None:
    """Case 1 through routing, authentication, validation and JSON."""
    with signed_in(bench) as (client, headers):
        def call(_i: int) -> int:
            response = client.get("/api/v1/customers", headers=headers,
                                  params={"province": PROVINCE, "sort": "name", "limit": 50})
            response.raise_for_status()
            return len(response.json()["items"])

        bench.run_custom("1 list: province=广东省, sort name, first page", LIST_TARGET_MS, call,
                         "http", lambda: call(0), note="TestClient: routing, auth, JSON")


def global_search_cases(bench: Bench) -> None:
    """The global search box (``GET /api/v1/search``): customers, shortest name first, then
    contacts by name."""
    with signed_in(bench) as (client, headers):
        for term in (CHINESE_4, COMMON_2, PERSON_2):
            call = searching(client, headers, term)
            bench.run_custom(f"7 global search /search: {term}", SEARCH_TARGET_MS, call, "http",
                             partial(call, 0))


def searching(client: Any, headers: dict[str, str], term: str) -> Callable[[int], int]:
    def call(_i: int) -> int:
        response = client.get("/api/v1/search", headers=headers,
                              params={"q": term, "limit": 20})
        response.raise_for_status()
        return len(response.json()["hits"])

    return call


def always(query: ListQuery) -> Callable[[int], ListQuery]:
    """The same query for every call."""
    return lambda _i: query
