"""The product catalogue: what its declaration promises holds on the wire — unit prices keep
four places, rates are percentages, codes are unique among live products, the cost is hidden
from sales reps and service engineers, and the search finds code, name, specification and
the name's pinyin initials. Nothing here is product code: it is the kit, read from the
declaration."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import builders

Headers = dict[str, str]
API = "/api/v1/products"


def _product(api: Any, headers: Headers, **values: Any) -> dict[str, Any]:
    tag = builders.unique()
    payload = {"code": f"EQ-{tag}", "name": f"数控机床{tag}", **values}
    response = api.post(API, json=payload, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


def test_prices_keep_four_places_and_rates_are_percentages(api: Any, admin: Headers) -> None:
    made = _product(api, admin, list_price="1200.5678", cost=800.1)
    assert (made["list_price"], made["cost"]) == ("1200.5678", "800.1")
    assert made["tax_rate"] == "13" and made["type"] == "equipment" and made["is_active"]
    for bad in ({"list_price": "1.23456"}, {"list_price": "-1"}, {"tax_rate": "100.5"},
                {"tax_rate": "abc"}, {"list_price": "1e400"}, {"warranty_months": -1}):
        response = api.post(API, json={"code": f"X{builders.unique()}", "name": "砂轮",
                                       **bad}, headers=admin)
        assert response.status_code == 422, (bad, response.text)
        assert set(response.json()["fields"]) == set(bad)


def test_a_code_is_unique_among_live_products(api: Any, admin: Headers) -> None:
    first = _product(api, admin)
    clash = api.post(API, json={"code": first["code"], "name": "另一台"}, headers=admin)
    assert clash.status_code == 409 and set(clash.json()["fields"]) == {"code"}
    other = _product(api, admin)
    renamed = api.patch(f"{API}/{other['id']}", json={"version": other["version"],
                                                       "code": first["code"]}, headers=admin)
    assert renamed.status_code == 409
    gone = api.delete(f"{API}/{first['id']}", params={"version": first["version"]},
                      headers=admin)
    assert gone.status_code == 204
    again = _product(api, admin, code=first["code"])  # a deleted product's code is free
    restored = api.post(f"{API}/{first['id']}/restore", headers=admin)
    assert restored.status_code == 409, "two live products would share a code"
    assert api.get(f"{API}/{again['id']}", headers=admin).json()["code"] == first["code"]


def test_the_cost_is_hidden_from_sales_reps_and_engineers(
        api: Any, admin: Headers, person: Callable[..., tuple[int, Headers]]) -> None:
    made = _product(api, admin, cost="512.3456")
    for role, sees in (("sales_rep", False), ("service_engineer", False),
                       ("finance", True), ("sales_manager", True)):
        _, headers = person(role)
        one = api.get(f"{API}/{made['id']}", headers=headers).json()
        listed = api.get(API, params={"q": made["code"]}, headers=headers).json()["items"]
        assert [row["id"] for row in listed] == [made["id"]], role
        for row in (one, listed[0]):
            assert (row["cost"] == "512.3456") is sees, (role, row)
        assert ("512.3456" in str(listed)) is sees
        if not sees:  # a catalogue the rep reads, not one they keep
            change = api.patch(f"{API}/{made['id']}", headers=headers,
                               json={"version": one["version"], "name": "改名"})
            assert change.status_code == 403, role


def test_search_finds_code_name_specification_and_pinyin_initials(
        api: Any, admin: Headers) -> None:
    tag = builders.unique()
    made = _product(api, admin, code=f"ZK-{tag}", name=f"真空泵{tag}",
                    specification=f"VP-{tag}X")
    for q in (f"ZK-{tag}", f"真空泵{tag}", f"vp-{tag}x", "zkb"):
        found = api.get(API, params={"q": q, "limit": 500}, headers=admin).json()["items"]
        assert made["id"] in [row["id"] for row in found], q
