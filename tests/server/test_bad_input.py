"""Bad input gets a 4xx with the shared error body — never a 500, never a half write."""

from __future__ import annotations

from typing import Any

import pytest

import builders
from crm_common.errors import ErrorBody

API = "/api/v1"


def _error(response: Any, status: int) -> ErrorBody:
    assert response.status_code == status, response.text
    return ErrorBody.model_validate(response.json())


def test_malformed_json(api: Any, admin: dict[str, str]) -> None:
    response = api.post(f"{API}/customers", content=b'{"name": "broken',
                        headers={**admin, "Content-Type": "application/json"})
    assert _error(response, 400).error == "bad_request"


def test_oversized_body(api: Any, admin: dict[str, str]) -> None:
    huge = builders.customer(notes="很" * 600_000)
    assert _error(api.post(f"{API}/customers", json=huge, headers=admin), 413).error == \
        "payload_too_large"


@pytest.mark.parametrize(("field", "value"), [
    ("uscc", "91310000MA1FL0000X"),  # wrong check character
    ("uscc", "1234"),
    ("phone", "not a phone"),
    ("level", "Z"),
    ("owner_id", "three"),
    ("tags", "not-a-list"),
    ("name", ""),
    ("name", 12345),
])
def test_field_errors_name_the_field(api: Any, admin: dict[str, str], field: str,
                                     value: Any) -> None:
    before = api.get(f"{API}/customers", params={"exact_total": True}, headers=admin)
    body = _error(api.post(f"{API}/customers", json=builders.customer(**{field: value}),
                           headers=admin), 422)
    assert body.fields and field in body.fields and body.fields[field]
    after = api.get(f"{API}/customers", params={"exact_total": True}, headers=admin)
    assert after.json()["total"] == before.json()["total"]


def test_invalid_mobile_and_email_on_contact(api: Any, admin: dict[str, str]) -> None:
    customer = api.post(f"{API}/customers", json=builders.customer(), headers=admin).json()
    body = _error(api.post(f"{API}/contacts", headers=admin, json=builders.contact(
        customer["id"], mobile="12345678901", email="a@b")), 422)
    assert body.fields is not None and {"mobile", "email"} <= set(body.fields)


def test_messages_follow_the_language(api: Any, admin: dict[str, str]) -> None:
    payload = builders.customer(uscc="91310000MA1FL0000X")
    zh = api.post(f"{API}/customers", json=payload, headers={**admin, "Accept-Language": "zh-CN"})
    en = api.post(f"{API}/customers", json=payload, headers=admin)
    assert zh.json()["fields"]["uscc"] != en.json()["fields"]["uscc"]
    assert "统一社会信用代码" in zh.json()["fields"]["uscc"]


def test_reference_to_missing_record_is_a_field_error(api: Any, admin: dict[str, str]) -> None:
    body = _error(api.post(f"{API}/contacts", headers=admin,
                           json=builders.contact(987654321)), 422)
    assert body.fields is not None and "customer_id" in body.fields


def test_wrong_types_in_query(api: Any, admin: dict[str, str]) -> None:
    assert _error(api.get(f"{API}/customers", params={"limit": "lots"}, headers=admin),
                  400).fields == {"limit": "lots"}
    assert api.get(f"{API}/customers/abc", headers=admin).status_code == 422
    assert api.get(f"{API}/customers", params={"owner_id": "x"}, headers=admin
                   ).status_code == 400
    assert api.get(f"{API}/customers", params={"after": "garbage!"}, headers=admin
                   ).status_code == 400


def test_unknown_route_and_method(api: Any, admin: dict[str, str]) -> None:
    assert _error(api.get(f"{API}/nothing-here", headers=admin), 404).error == "not_found"
    assert api.put(f"{API}/customers", headers=admin).status_code == 405
