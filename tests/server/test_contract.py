"""The generic contract every registered entity keeps: create, read, list with keyset
paging and sorting, partial update with optimistic version, soft delete, restore, history,
404 and 409 — run over the registry, so a new entity is covered without new tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import builders
from crm_common.entities import REGISTRY, EntitySpec

Headers = dict[str, str]
API = "/api/v1"


CREATABLE = [spec for spec in REGISTRY.values() if spec.create is not None]


@pytest.fixture(params=CREATABLE, ids=lambda spec: spec.key)
def spec(request: pytest.FixtureRequest) -> EntitySpec:
    return request.param  # type: ignore[no-any-return]


def test_create_get_update_delete_restore(api: Any, admin: Headers, spec: EntitySpec) -> None:
    made = builders.make(spec, api, admin)
    change = builders.change(spec)
    assert made["version"] == 1
    url = f"{API}/{spec.path}/{made['id']}"
    assert api.get(url, headers=admin).json()["id"] == made["id"]

    changed = api.patch(url, json={"version": 1, **change}, headers=admin)
    assert changed.status_code == 200, changed.text
    assert changed.json()["version"] == 2
    for name, value in change.items():
        assert changed.json()[name] == value

    stale = api.patch(url, json={"version": 1, **change}, headers=admin)
    assert stale.status_code == 409
    assert stale.json()["error"] == "stale_version"
    assert stale.json()["data"]["current"]["version"] == 2

    assert api.delete(url, params={"version": 1}, headers=admin).status_code == 409
    assert api.delete(url, params={"version": 2}, headers=admin).status_code == 204
    assert api.get(url, headers=admin).status_code == 404
    assert api.get(url, params={"deleted": True}, headers=admin).status_code == 200
    bin_ids = [r["id"] for r in api.get(f"{API}/{spec.path}", params={"deleted": True,
                                        "limit": 500, "sort": "-id"}, headers=admin)
               .json()["items"]]
    assert made["id"] in bin_ids

    restored = api.post(f"{url}/restore", headers=admin)
    assert restored.status_code == 200 and restored.json()["deleted_at"] is None

    actions = [e["action"] for e in api.get(f"{url}/history", headers=admin).json()]
    assert actions[:3] == ["restore", "delete", "update"] and actions[-1] == "create"
    assert set(actions[3:-1]) <= {"permission"}  # roles given with the record (a user's)


def test_the_declared_required_fields_are_enough(api: Any, admin: Headers,
                                                 spec: EntitySpec) -> None:
    """A payload of only the fields the declaration marks required is valid: the
    declaration and the create schema agree on what must be given."""
    body = builders.payload(spec, api, admin, minimal=True)
    made = api.post(f"{API}/{spec.path}", json=body, headers=admin, params={"confirm": True})
    assert made.status_code == 201, made.text


def test_unknown_record_is_404_with_error_body(api: Any, admin: Headers,
                                                spec: EntitySpec) -> None:
    response = api.get(f"{API}/{spec.path}/987654321", headers=admin)
    assert response.status_code == 404
    assert response.json()["error"] == "not_found"


def test_unknown_field_is_refused(api: Any, admin: Headers, spec: EntitySpec) -> None:
    create = builders.payload(spec, api, admin)
    response = api.post(f"{API}/{spec.path}", json={**create, "no_such_field": 1},
                        headers=admin)
    assert response.status_code == 422
    assert "no_such_field" in response.json()["fields"]


@pytest.mark.parametrize("spec", list(REGISTRY.values()), ids=lambda s: s.key)
def test_every_sort_field_pages_without_gaps_or_repeats(api: Any, admin: Headers,
                                                        spec: EntitySpec) -> None:
    total = api.get(f"{API}/{spec.path}", params={"exact_total": True},
                    headers=admin).json()["total"]
    size = 7 if total < 700 else min(500, total // 100 + 1)  # small pages, ~100 of them
    for field in sorted(spec.sort_fields):
        for token in (field, f"-{field}"):
            seen: list[int] = []
            after = None
            for _ in range(total // size + 2):
                params: dict[str, Any] = {"sort": token, "limit": size}
                if after:
                    params["after"] = after
                page = api.get(f"{API}/{spec.path}", params=params, headers=admin)
                assert page.status_code == 200, page.text
                seen += [row["id"] for row in page.json()["items"]]
                after = page.json()["next"]
                if not after:
                    break
            everything = api.get(f"{API}/{spec.path}", params={"sort": token, "limit": 500},
                                 headers=admin).json()
            assert len(seen) == len(set(seen)), f"{spec.key} {token} repeated rows"
            at_once = [row["id"] for row in everything["items"]]
            assert seen[:len(at_once)] == at_once
            assert len(seen) == everything["total"]


def test_sorting_by_a_field_that_is_not_sortable_is_refused(api: Any, admin: Headers) -> None:
    response = api.get(f"{API}/customers", params={"sort": "notes"}, headers=admin)
    assert response.status_code == 400
    assert response.json()["fields"] == {"sort": "notes"}


def test_cursor_from_another_sort_is_refused(api: Any, admin: Headers) -> None:
    page = api.get(f"{API}/customers", params={"sort": "name", "limit": 2}, headers=admin).json()
    response = api.get(f"{API}/customers", params={"sort": "-name", "after": page["next"]},
                       headers=admin)
    assert response.status_code == 400


def test_unknown_filter_is_refused_not_ignored(api: Any, admin: Headers) -> None:
    response = api.get(f"{API}/customers", params={"provnce": "江苏省"}, headers=admin)
    assert response.status_code == 400
    assert "provnce" in response.json()["fields"]


def test_filters_narrow_the_list(api: Any, admin: Headers) -> None:
    made = builders.make(REGISTRY["customer"], api, admin, level="key", province="西藏自治区")
    rows = api.get(f"{API}/customers", params={"province": "西藏自治区", "level": "key"},
                   headers=admin).json()["items"]
    assert made["id"] in [r["id"] for r in rows]
    assert all(r["province"] == "西藏自治区" and r["level"] == "key" for r in rows)


def test_admin_only_entities_refuse_other_writers(api: Any, rep: Headers,
                                                  sign_in: Callable[[str], Headers]) -> None:
    response = api.post(f"{API}/departments", json={"name": "越权部门"}, headers=rep)
    assert response.status_code == 403
    assert response.json()["error"] == "forbidden"
