"""Open follow-ups: per customer only the next date its latest follow-up set, soonest first,
only the asking person's own, through the activity rights."""

from __future__ import annotations

from typing import Any

import builders

API = "/api/v1"
Headers = dict[str, str]


def _customer(api: Any, headers: Headers) -> int:
    response = api.post(f"{API}/customers", json=builders.customer(), headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _follow_up(api: Any, headers: Headers, customer_id: int, at: str, due: str | None) -> int:
    payload = builders.activity(customer_id, occurred_at=f"2026-01-{at}T09:00:00+08:00",
                                next_follow_up_on=due)
    response = api.post(f"{API}/activities", json=payload, headers=headers)
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def _open(api: Any, headers: Headers, **params: Any) -> Any:
    return api.get(f"{API}/follow-ups/open", params={"limit": 100, **params}, headers=headers)


def test_only_the_latest_follow_up_of_a_customer_is_open(
    api: Any, rep: Headers, admin: Headers
) -> None:
    superseded_customer, other, done = (_customer(api, rep) for _n in range(3))
    superseded = _follow_up(api, rep, superseded_customer, "05", "1999-03-01")
    latest = _follow_up(api, rep, superseded_customer, "06", "1999-04-01")
    sooner = _follow_up(api, rep, other, "05", "1999-02-01")
    fulfilled = _follow_up(api, rep, done, "05", "1999-01-01")
    _follow_up(api, rep, done, "07", None)  # logged the visit, set no new date
    colleague = _follow_up(api, admin, other, "04", "1999-01-02")  # older, and not mine

    response = _open(api, rep)

    assert response.status_code == 200
    ids = [item["id"] for item in response.json()]
    assert {latest, sooner} <= set(ids)
    assert not {superseded, fulfilled, colleague} & set(ids)
    assert ids.index(sooner) < ids.index(latest)  # soonest first
    assert response.json()[ids.index(latest)]["next_follow_up_on"] == "1999-04-01"


def test_a_deleted_customer_has_no_open_follow_up(api: Any, rep: Headers) -> None:
    customer_id = _customer(api, rep)
    follow_up = _follow_up(api, rep, customer_id, "05", "1999-05-01")
    version = api.get(f"{API}/customers/{customer_id}", headers=rep).json()["version"]
    deleted = api.delete(f"{API}/customers/{customer_id}", params={"version": version},
                         headers=rep)
    assert deleted.status_code == 204, deleted.text

    assert follow_up not in [item["id"] for item in _open(api, rep).json()]


def test_the_limit_is_bounded(api: Any, rep: Headers) -> None:
    for limit in (0, 101, "x"):
        response = _open(api, rep, limit=limit)
        assert response.status_code in (400, 422)
        assert "error" in response.json()
