"""Customer behaviour: duplicate check, search, follow-up summary, primary contact."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from sqlalchemy import text

import builders
from crm_server.kit import counting, search

API = "/api/v1"
Headers = dict[str, str]


def _create(api: Any, headers: Headers, path: str, payload: dict[str, Any],
            **params: Any) -> Any:
    return api.post(f"{API}/{path}", json=payload, headers=headers, params=params)


def test_duplicate_uscc_warns_then_creates_on_confirm(api: Any, rep: Headers) -> None:
    uscc = builders.valid_uscc()
    first = _create(api, rep, "customers", builders.customer(uscc=uscc))
    assert first.status_code == 201
    again = _create(api, rep, "customers", builders.customer(uscc=uscc))
    assert again.status_code == 409
    body = again.json()
    assert body["error"] == "duplicate_warning"
    assert body["data"]["matches"][0]["id"] == first.json()["id"]
    assert body["data"]["matches"][0]["reason"] == "uscc"
    confirmed = _create(api, rep, "customers", builders.customer(uscc=uscc), confirm=True)
    assert confirmed.status_code == 201


def test_duplicate_name_is_found_after_normalising(api: Any, rep: Headers) -> None:
    tag = builders.unique()
    _create(api, rep, "customers", builders.customer(name=f"华东重工{tag}有限公司"))
    matches = api.post(f"{API}/customers/duplicates", headers=rep,
                       json={"name": f" 华东重工{tag} 股份有限公司"}).json()
    assert [m["reason"] for m in matches] == ["name"]


def test_duplicate_policy_block(api: Any, rep: Headers, admin: Headers) -> None:
    uscc = builders.valid_uscc()
    _create(api, rep, "customers", builders.customer(uscc=uscc))
    policy = api.get(f"{API}/security/policy", headers=admin).json()
    changed = api.patch(f"{API}/security/policy", headers=admin,
                        json={"version": policy["version"], "duplicate_policy": "block"})
    assert changed.status_code == 200, changed.text
    try:
        blocked = _create(api, rep, "customers", builders.customer(uscc=uscc), confirm=True)
    finally:
        api.patch(f"{API}/security/policy", headers=admin,
                  json={"version": changed.json()["version"], "duplicate_policy": "warn"})
    assert blocked.status_code == 409
    assert blocked.json()["error"] == "duplicate"


def _search(api: Any, headers: Headers, q: str) -> list[int]:
    page = api.get(f"{API}/customers", params={"q": q, "limit": 100}, headers=headers)
    assert page.status_code == 200, page.text
    return [row["id"] for row in page.json()["items"]]


def test_search_by_substring_initials_and_phone_digits(api: Any, rep: Headers) -> None:
    made = _create(api, rep, "customers", builders.customer(
        name="华为技术有限公司", short_name="华为", phone="0755-28780808"), confirm=True).json()
    assert made["id"] in _search(api, rep, "为技术")
    assert made["id"] in _search(api, rep, "为技")  # two characters: no trigram, pairs index
    assert made["id"] in _search(api, rep, "hwjs")
    assert made["id"] in _search(api, rep, "HWJS")
    assert made["id"] in _search(api, rep, "28780808")
    assert made["id"] not in _search(api, rep, "华为技术x")


def test_contact_mobile_finds_its_customer(api: Any, rep: Headers) -> None:
    customer = _create(api, rep, "customers", builders.customer()).json()
    mobile = f"1390{builders.unique() % 10_000_000:07d}"
    _create(api, rep, "contacts", builders.contact(customer["id"], mobile=mobile))
    assert customer["id"] in _search(api, rep, mobile[3:])
    assert customer["id"] in _search(api, rep, f"{mobile[:3]}-{mobile[3:7]}-{mobile[7:]}")
    hits = api.get(f"{API}/search", params={"q": mobile}, headers=rep).json()["hits"]
    assert {"customer", "contact"} <= {hit["entity"] for hit in hits}
    changed = api.patch(f"{API}/customers/{customer['id']}", headers=rep, json={
        "version": customer["version"], "notes": "改过备注"})
    assert changed.status_code == 200, changed.text
    assert customer["id"] in _search(api, rep, mobile[3:])  # a change keeps the phones


def test_search_wildcards_are_literal(api: Any, rep: Headers) -> None:
    assert _search(api, rep, "%") == []
    assert _search(api, rep, "_") == []


def test_follow_up_updates_the_customer_summary(api: Any, rep: Headers) -> None:
    customer = _create(api, rep, "customers", builders.customer()).json()
    assert customer["last_activity_at"] is None
    _create(api, rep, "activities", builders.activity(
        customer["id"], next_follow_up_on="2030-01-15"))
    now = api.get(f"{API}/customers/{customer['id']}", headers=rep).json()
    assert now["last_activity_at"] is not None
    assert now["next_follow_up_on"] == "2030-01-15"
    assert now["version"] == customer["version"], "derived dates must not bump the version"


def test_one_primary_contact_per_customer(api: Any, rep: Headers) -> None:
    customer = _create(api, rep, "customers", builders.customer()).json()
    first = _create(api, rep, "contacts", builders.contact(customer["id"], is_primary=True))
    _create(api, rep, "contacts", builders.contact(customer["id"], name="吴经理",
                                                   is_primary=True))
    rows = api.get(f"{API}/contacts", params={"customer_id": customer["id"]},
                   headers=rep).json()["items"]
    assert sorted(r["is_primary"] for r in rows) == [False, True]
    assert next(r for r in rows if r["id"] == first.json()["id"])["is_primary"] is False


def test_reference_titles_are_filled(api: Any, rep: Headers) -> None:
    customer = _create(api, rep, "customers", builders.customer()).json()
    assert customer["owner_name"] == "李销售"
    contact = _create(api, rep, "contacts", builders.contact(customer["id"])).json()
    assert contact["customer_name"] == customer["name"]


def test_estimated_and_exact_totals(api: Any, admin: Headers) -> None:
    page = api.get(f"{API}/customers", params={"limit": 5}, headers=admin).json()
    exact = api.get(f"{API}/customers", params={"exact_total": True}, headers=admin).json()
    assert exact["total_exact"] is True
    assert page["total"] == exact["total"] >= 200


def test_customers_never_followed_up_come_last_both_ways(api: Any, rep: Headers) -> None:
    for sort in ("last_activity_at", "-last_activity_at"):
        rows = api.get(f"{API}/customers", params={"sort": sort, "limit": 500},
                       headers=rep).json()["items"]
        dates = [row["last_activity_at"] for row in rows]
        known = [d for d in dates if d is not None]
        assert known and None in dates
        assert dates == known + [None] * (len(dates) - len(known))
        assert known == sorted(known, reverse=sort.startswith("-"))


def _search_pages(api: Any, headers: Headers, q: str, sort: str) -> list[int]:
    """The ids of every page of a search, two at a time, following the cursors."""
    seen: list[int] = []
    params: dict[str, Any] = {"q": q, "sort": sort, "limit": 2}
    while True:
        page = api.get(f"{API}/customers", params=params, headers=headers).json()
        seen += [row["id"] for row in page["items"]]
        if not page["next"]:
            return seen
        params["after"] = page["next"]


@pytest.mark.parametrize("sort", ["-id", "id", "name", "-name"])
def test_search_pages_are_the_same_whichever_way_they_are_read(
        api: Any, rep: Headers, monkeypatch: pytest.MonkeyPatch, sort: str) -> None:
    """Many matches (above FENCE_MAX, forced to 0 here) are read by walking a window of the
    sort order (PROBE_ROWS, forced small) and, when it holds no full page, found first and
    sorted: both must give exactly the pages the plain query gives."""
    tag = f"窗口{builders.unique()}"
    made = [_create(api, rep, "customers", builders.customer(name=f"{tag}客户{i}有限公司"),
                    confirm=True).json()["id"] for i in range(7)]

    plain = _search_pages(api, rep, tag, sort)
    monkeypatch.setattr("crm_server.kit.search.FENCE_MAX", 0)
    monkeypatch.setattr("crm_server.kit.paging.PROBE_ROWS", 6)
    assert sorted(plain) == sorted(made)
    assert _search_pages(api, rep, tag, sort) == plain


def test_a_probe_that_walks_to_the_end_of_the_order_answers_with_what_it_found(
        api: Any, rep: Headers, monkeypatch: pytest.MonkeyPatch) -> None:
    """A window of the sort order that reaches its end holds every match there is: a short
    last page, not a reason to find every match and sort them."""
    tag = f"尽头{builders.unique()}"
    made = [_create(api, rep, "customers", builders.customer(name=f"{tag}客户{i}有限公司"),
                    confirm=True).json()["id"] for i in range(3)]
    narrow = search.narrow
    monkeypatch.setattr(search, "narrow", lambda *args, **kwargs: dataclasses.replace(
        narrow(*args, **kwargs), fallback=None))  # a page needing it would fail
    monkeypatch.setattr(search, "FENCE_MAX", 0)
    monkeypatch.setattr("crm_server.kit.paging.PROBE_ROWS", 1_000_000)
    page = api.get(f"{API}/customers", params={"q": tag, "sort": "-id"}, headers=rep)
    assert page.status_code == 200, page.text
    assert [row["id"] for row in page.json()["items"]] == made[::-1]


def test_a_next_page_is_not_counted_again(api: Any, rep: Headers, app: Any,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    tag = f"翻页{builders.unique()}"
    for i in range(3):
        _create(api, rep, "customers", builders.customer(name=f"{tag}客户{i}有限公司"),
                confirm=True)
    counted: list[int] = []
    exact = counting._exact
    monkeypatch.setattr(counting, "_exact", lambda *args: counted.append(1) or exact(*args))
    first = api.get(f"{API}/customers", params={"q": tag, "limit": 2}, headers=rep).json()
    assert (first["total"], first["total_exact"], len(counted)) == (3, True, 1)
    api.get(f"{API}/customers", params={"q": tag, "limit": 2, "after": first["next"]},
            headers=rep)
    postgres = app.state.engine.dialect.name == "postgresql"
    assert len(counted) == (1 if postgres else 2)  # SQLite has no estimate: it counts


def test_a_first_page_holding_every_match_is_its_own_total_without_a_count(
        api: Any, rep: Headers, monkeypatch: pytest.MonkeyPatch) -> None:
    """Counting costs as much as finding: a first page with room to spare says how many
    there are, exactly, and nothing is counted or estimated for it."""
    tag = f"整页{builders.unique()}"
    made = [_create(api, rep, "customers", builders.customer(name=f"{tag}客户{i}有限公司"),
                    confirm=True).json()["id"] for i in range(3)]
    asked: list[str] = []
    for name in ("_exact", "estimate"):
        original = getattr(counting, name)
        monkeypatch.setattr(counting, name, lambda *args, _name=name, _original=original:
                            asked.append(_name) or _original(*args))
    whole = api.get(f"{API}/customers", params={"q": tag, "limit": 3}, headers=rep).json()
    assert sorted(row["id"] for row in whole["items"]) == sorted(made)
    assert (whole["total"], whole["total_exact"], whole["next"]) == (3, True, None)
    assert "_exact" not in asked
    full = api.get(f"{API}/customers", params={"q": tag, "limit": 2}, headers=rep).json()
    assert (full["total"], full["total_exact"]) == (3, True)  # counted: the page is full
    assert "_exact" in asked


@pytest.mark.parametrize("term", ["zq", "z9"])  # pinyin initials; a letter and a digit
@pytest.mark.parametrize("sort", ["name", "-name", "-updated_at"])
def test_short_terms_find_the_same_pages_through_the_pair_index_or_along_the_order(
        api: Any, rep: Headers, monkeypatch: pytest.MonkeyPatch, sort: str,
        term: str) -> None:
    """Two letters are in the pair index (on PostgreSQL); a letter and a digit are in no
    index and are read along the sort order. Either way the pages are those of the other."""
    for i in range(3):
        _create(api, rep, "customers", builders.customer(
            name=f"{term.upper()}{builders.unique()}第{i}有限公司"), confirm=True)
    assert search.is_indexed(term) is (term == "zq")
    pages = _search_pages(api, rep, term, sort)
    monkeypatch.setattr(search, "is_indexed", lambda _term: term != "zq")
    assert pages == _search_pages(api, rep, term, sort) and len(pages) >= 3


def test_a_term_no_index_narrows_is_estimated_unless_asked(api: Any, rep: Headers,
                                                           app: Any) -> None:
    """Counting a term no index narrows costs every row in scope: a full first page's total
    is the estimate on PostgreSQL unless asked for."""
    for i in range(3):
        _create(api, rep, "customers", builders.customer(
            name=f"X7{builders.unique()}第{i}有限公司"), confirm=True)
    few = api.get(f"{API}/customers", params={"q": "x7", "limit": 1}, headers=rep).json()
    postgres = app.state.engine.dialect.name == "postgresql"
    assert few["next"] and few["total_exact"] is not postgres
    exact = api.get(f"{API}/customers", params={"q": "x7", "limit": 1, "exact_total": True},
                    headers=rep).json()
    assert exact["total_exact"] and exact["total"] >= 3


def test_a_term_the_index_finds_widely_is_estimated_in_a_scope_unless_asked(
        api: Any, rep: Headers, app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Counting a common term's matches in a sales rep's scope costs all of its matches:
    the total is the estimate (the list offers to count), and exact when asked."""
    tag = f"广泛{builders.unique()}"
    made = [_create(api, rep, "customers", builders.customer(name=f"{tag}客户{i}有限公司"),
                    confirm=True).json()["id"] for i in range(3)]
    monkeypatch.setattr(search, "FENCE_MAX", 0)  # every term is "wide"
    page = api.get(f"{API}/customers", params={"q": tag, "limit": 2}, headers=rep).json()
    assert len(page["items"]) == 2 and set(row["id"] for row in page["items"]) < set(made)
    postgres = app.state.engine.dialect.name == "postgresql"
    assert page["total_exact"] is not postgres
    exact = api.get(f"{API}/customers", params={"q": tag, "exact_total": True},
                    headers=rep).json()
    assert (exact["total"], exact["total_exact"]) == (3, True)


def _rare_pair() -> str:
    """Two Chinese characters from the rarely used end of the block, different per call."""
    n = builders.unique()
    return chr(0x9F00 + n % 150) + chr(0x9E00 + (n // 150) % 200)


@pytest.mark.parametrize("fence", [0, search.FENCE_MAX])  # above the fence, and below it
@pytest.mark.parametrize("sort", ["name", "-name"])
def test_a_pair_starting_many_names_reads_its_name_block_and_the_rest_apart(
        api: Any, rep: Headers, monkeypatch: pytest.MonkeyPatch, app: Any, sort: str,
        fence: int) -> None:
    """A pair most of whose matches start their name with it (a city) is read sorted by name
    from the block of names starting with it and, apart, the other matches — in the name's
    middle, in the short name, in both: the pages are exactly those of the plain query."""
    pair = _rare_pair()
    names = [f"{pair}{i}号仪器有限公司" for i in range(5)] + [
        f"东方{pair}{i}有限公司" for i in range(3)] + [f"{pair}甲有限公司"]
    made = [_create(api, rep, "customers", builders.customer(name=name), confirm=True)
            .json()["id"] for name in names]
    made += [_create(api, rep, "customers", builders.customer(
        name=f"北方{i}机械有限公司", short_name=f"{pair}北方"), confirm=True).json()["id"]
        for i in range(2)]

    plain = _search_pages(api, rep, pair, sort)
    assert sorted(plain) == sorted(made)
    used: list[bool] = []
    by_name = search._by_name

    def spy(*args: Any, **kwargs: Any) -> Any:
        found = by_name(*args, **kwargs)
        used.append(found is not None)
        return found

    monkeypatch.setattr(search, "_by_name", spy)
    monkeypatch.setattr(search, "APART_SHARE", 10**9)  # the test's statistics decide nothing
    monkeypatch.setattr(search, "BLOCK_MIN", 0)
    monkeypatch.setattr(search, "FENCE_MAX", fence)
    monkeypatch.setattr("crm_server.kit.paging.PROBE_ROWS", 3)
    assert _search_pages(api, rep, pair, sort) == plain
    postgres = app.state.engine.dialect.name == "postgresql"
    assert used and all(used) if postgres else not used


def test_the_pair_index_tags_only_the_pair_a_name_starts_with(app: Any) -> None:
    """Pairs of Chinese characters and of letters; never one across the two."""
    engine = app.state.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("the pair index is PostgreSQL's; SQLite searches with LIKE")
    with engine.connect() as connection:
        pairs = connection.execute(text(
            "SELECT crm_search_pairs(:name, :text)"), {
                "name": "上海华晨上海", "text": "上海华晨上海 shhcsh\x1f上海\x1fab上海"}).scalar()
        ascii_first = connection.execute(text(
            "SELECT crm_search_pairs('ab上海', 'ab上海')")).scalar()
    assert sorted(pairs) == sorted(["^上海", "海华", "华晨", "晨上",  # Chinese pairs
                                    "sh", "hh", "hc", "cs", "ab"])  # and letter pairs
    assert sorted(ascii_first) == ["^ab", "上海"]  # a search for "ab" asks for either form


def test_a_landline_too_short_for_its_area_code_is_refused_with_a_reason(
        api: Any, rep: Headers) -> None:
    refused = _create(api, {**rep, "Accept-Language": "zh-CN"}, "customers",
                      builders.customer(phone="0769-738"))
    assert refused.status_code == 422
    assert refused.json()["fields"]["phone"] == "区号之后的固话号码应为 7 位或 8 位"
    made = _create(api, rep, "customers", builders.customer(phone="0769 2212 3456 转 8"),
                   confirm=True)
    assert made.status_code == 201 and made.json()["phone"] == "0769-22123456-8"
