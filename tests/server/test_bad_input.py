"""Bad input gets a 4xx with the shared error body — never a 500, never a half write."""

from __future__ import annotations

import json
from datetime import UTC, datetime
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


BIG = str(2**63)  # one past the largest BIGINT


@pytest.mark.parametrize("limit", ["0", "501", "1000000000", "²", "١٢", "-1", BIG])
def test_page_size_outside_1_to_500_is_refused_not_clamped(api: Any, admin: dict[str, str],
                                                          limit: str) -> None:
    body = _error(api.get(f"{API}/customers", params={"limit": limit}, headers=admin), 400)
    assert body.fields == {"limit": limit}


def test_the_page_size_bounds_are_served(api: Any, admin: dict[str, str]) -> None:
    for limit in ("1", "500"):
        assert api.get(f"{API}/customers", params={"limit": limit}, headers=admin
                       ).status_code == 200


@pytest.mark.parametrize("preview", ["²", BIG, "0", "1 1"])
def test_a_preview_header_that_is_no_role_id_is_a_bad_request(
        api: Any, admin: dict[str, str], preview: str) -> None:
    headers = {**admin, "X-Preview-Role": preview.encode("latin-1")}
    body = _error(api.get(f"{API}/customers", headers=headers), 400)
    assert body.fields is not None and set(body.fields) == {"X-Preview-Role"}


@pytest.mark.parametrize(("field", "value"), [
    ("owner_id", 2**63), ("parent_id", 2**64), ("owner_id", -(2**63) - 1), ("owner_id", True),
])
def test_integers_past_64_bits_are_field_errors(api: Any, admin: dict[str, str], field: str,
                                                value: Any) -> None:
    body = _error(api.post(f"{API}/customers", json=builders.customer(**{field: value}),
                           headers=admin), 422)
    assert body.fields is not None and field in body.fields


def test_a_sort_order_past_32_bits_is_a_field_error(api: Any, admin: dict[str, str]) -> None:
    body = _error(api.post(f"{API}/departments", json={"name": "研发部", "sort_order": 2**31},
                           headers=admin), 422)
    assert body.fields == {"sort_order": "Too large"}


@pytest.mark.parametrize("path", [f"/customers/{BIG}", f"/customers/{BIG}/history",
                                  f"/attachments/{BIG}/content", f"/sessions/{BIG}/revoke"])
def test_ids_past_64_bits_in_paths_are_refused(api: Any, admin: dict[str, str],
                                               path: str) -> None:
    method = "POST" if path.endswith("revoke") else "GET"
    assert _error(api.request(method, f"{API}{path}", headers=admin), 422).error == \
        "validation_error"


@pytest.mark.parametrize("moment", ["2026-01-15T08:00:00", "2026-01-15", 1_768_464_000,
                                    "1768464000"])
def test_a_time_needs_its_zone(api: Any, admin: dict[str, str], moment: Any) -> None:
    customer = api.post(f"{API}/customers", json=builders.customer(), headers=admin).json()
    body = _error(api.post(f"{API}/activities", headers={**admin, "Accept-Language": "zh-CN"},
                           json=builders.activity(customer["id"], occurred_at=moment)), 422)
    naive = isinstance(moment, str) and "-" in moment
    assert body.fields == {"occurred_at": "需要带时区的时间" if naive else "不是有效的日期时间"}


def test_a_zoned_time_is_kept(api: Any, admin: dict[str, str]) -> None:
    customer = api.post(f"{API}/customers", json=builders.customer(), headers=admin).json()
    created = api.post(f"{API}/activities", headers=admin, json=builders.activity(
        customer["id"], occurred_at="2026-01-15T08:00:00+08:00"))
    assert created.status_code == 201, created.text
    stored = api.get(f"{API}/activities/{created.json()['id']}", headers=admin).json()
    assert datetime.fromisoformat(stored["occurred_at"]) == datetime(2026, 1, 15, tzinfo=UTC)


@pytest.mark.parametrize("text", ["a\x00b", "\ud800", "a\x1bb", "a\x7fb", "a\x85b", "上海\uffff"])
def test_control_characters_and_lone_surrogates_are_refused(api: Any, admin: dict[str, str],
                                                            text: str) -> None:
    payload = json.dumps(builders.customer(notes=text, tags=[text]), ensure_ascii=True)
    body = _error(api.post(f"{API}/customers", content=payload,
                           headers={**admin, "Content-Type": "application/json"}), 422)
    assert body.fields is not None and {"notes", "tags.0"} <= set(body.fields)
    assert "control characters" in body.fields["notes"]


def test_tab_and_new_line_are_text(api: Any, admin: dict[str, str]) -> None:
    created = api.post(f"{API}/customers", json=builders.customer(notes="第一行\n\t第二行"),
                       headers=admin)
    assert created.status_code == 201, created.text


@pytest.mark.parametrize("path", ["/customers", "/contacts", "/search"])
def test_a_search_term_with_a_nul_is_refused(api: Any, admin: dict[str, str],
                                             path: str) -> None:
    response = api.get(f"{API}{path}", params={"q": "\x00"}, headers=admin)
    assert response.status_code in (400, 422)
    ErrorBody.model_validate(response.json())


def test_the_duplicate_check_takes_only_its_own_fields(api: Any, admin: dict[str, str]) -> None:
    assert _error(api.post(f"{API}/customers/duplicates", json={"name": "华晨", "x": 1},
                           headers=admin), 422).fields == {"x": "Unknown field"}
    payload = json.dumps({"name": "\ud800"}, ensure_ascii=True)
    assert _error(api.post(f"{API}/customers/duplicates", content=payload,
                           headers={**admin, "Content-Type": "application/json"}), 422
                  ).fields is not None


def test_every_answer_carries_the_security_headers(api: Any, admin: dict[str, str]) -> None:
    answers = [
        api.get(f"{API}/customers", headers=admin),
        api.get(f"{API}/customers"),  # 401
        api.post(f"{API}/customers", headers=admin, content=b"x" * (2 << 20)),  # 413
        api.get(f"{API}/health"),
    ]
    for answer in answers:
        assert answer.headers["strict-transport-security"] == "max-age=31536000"
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert answer.headers["cache-control"] == "no-store"
    assert [a.status_code for a in answers] == [200, 401, 413, 200]
