"""Names sort the way Chinese users read them, in pinyin order, on both databases:
PostgreSQL through ICU (``zh-x-icu``), SQLite through the server's ``pinyin`` collation.
Paging by key follows the same order, and on SQLite the ``(name, id)`` index serves it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event

import builders

API = "/api/v1"
PINYIN = ["东莞", "佛山", "上海", "伟业"]  # code-point order would be 上海 东莞 伟业 佛山


@pytest.fixture(scope="module")
def tag(api: Any, rep: dict[str, str]) -> str:
    """Four customers of the sales rep whose names differ only in the city they start with."""
    mark = f"排序{builders.unique()}"
    for first in ("上海", "伟业", "东莞", "佛山"):
        response = api.post(f"{API}/customers", headers=rep, params={"confirm": True},
                            json=builders.customer(name=f"{first}{mark}有限公司"))
        assert response.status_code == 201, response.text
    return mark


def _pages(api: Any, headers: dict[str, str],
           params: dict[str, Any]) -> Iterator[list[dict[str, Any]]]:
    after: str | None = None
    while True:
        response = api.get(f"{API}/customers", headers=headers,
                           params={**params, **({"after": after} if after else {})})
        assert response.status_code == 200, response.text
        page = response.json()
        yield page["items"]
        after = page["next"]
        if after is None:
            return


def test_customer_names_sort_in_pinyin_order(api: Any, rep: dict[str, str], tag: str) -> None:
    rows = api.get(f"{API}/customers", params={"q": tag, "sort": "name"},
                   headers=rep).json()["items"]
    assert [row["name"] for row in rows] == [f"{city}{tag}有限公司" for city in PINYIN]


@pytest.mark.parametrize("sort", ["name", "-name"])
def test_paging_by_key_follows_pinyin_order(api: Any, rep: dict[str, str], tag: str,
                                            sort: str) -> None:
    pages = list(_pages(api, rep, {"q": tag, "sort": sort, "limit": 1}))
    expected = PINYIN[::-1] if sort.startswith("-") else PINYIN
    assert [[row["name"][:2] for row in rows] for rows in pages if rows] == [
        [city] for city in expected]


def test_paging_the_whole_list_by_name_is_one_order(api: Any, admin: dict[str, str],
                                                    tag: str) -> None:
    """Without a search the pages come from the index range; stitched together they hold
    the test's four names in pinyin order among everyone else's."""
    rows = [row for page in _pages(api, admin, {"sort": "name", "limit": 7}) for row in page]
    assert len({row["id"] for row in rows}) == len(rows)
    assert [row["name"][:2] for row in rows if tag in row["name"]] == PINYIN


def test_sqlite_pages_names_by_the_index(api: Any, admin: dict[str, str], app: Any,
                                         tag: str) -> None:
    """The keyset query of a page after the first starts the ``(name, id)`` index range at
    the cursor and reads it in order: no scan from the start, no temporary sort (which a
    comparison in another collation than the index's would need)."""
    engine = app.state.engine
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plan; PostgreSQL's are checked by make bench")
    seen: list[tuple[str, Any]] = []

    def capture(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "ORDER BY customer.name" in statement and " > " in statement:
            seen.append((statement, parameters))

    pages = _pages(api, admin, {"sort": "name", "limit": 2})
    next(pages)
    event.listen(engine, "before_cursor_execute", capture)
    try:
        next(pages)
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    statement, parameters = seen[0]
    with engine.connect() as connection:
        plan = " | ".join(row[3] for row in connection.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {statement}", parameters))
    assert "USING INDEX ix_customer_name_id (name>?)" in plan and "TEMP B-TREE" not in plan, plan
