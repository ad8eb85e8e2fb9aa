"""Access fails closed: what the declaration does not know never leaves the server — not a
value a service put in a row, not the audited change of an undeclared field or table."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

import builders
from crm_common.entities import REGISTRY
from crm_server.kit.binding import binding

API = "/api/v1"
Headers = dict[str, str]


@pytest.fixture
def notes_undeclared(monkeypatch: pytest.MonkeyPatch) -> None:
    """The customer service as if ``notes`` were not declared: its read schema and its rows
    still carry it, as a field added to a schema or a row but not to the declaration would."""
    service = binding("customer").service
    spec = dataclasses.replace(service.spec, fields=tuple(
        f for f in service.spec.fields if f.name != "notes"))
    monkeypatch.setattr(service, "spec", spec)


@pytest.mark.usefixtures("notes_undeclared")
@pytest.mark.parametrize("who", ["admin", "sales_rep"])
def test_an_undeclared_value_in_a_row_never_reaches_the_wire(
        api: Any, admin: Headers, person: Callable[..., tuple[int, Headers]], who: str) -> None:
    owner_id, headers = (0, admin) if who == "admin" else person(who)
    payload = builders.customer(notes="不该出现的备注", owner_id=owner_id or None)
    made = api.post(f"{API}/customers", headers=admin, json=payload, params={"confirm": True})
    assert made.status_code == 201, made.text
    url = f"{API}/customers/{made.json()['id']}"
    listed = api.get(f"{API}/customers", headers=headers, params={"limit": 500}).text
    detail = api.get(url, headers=headers)
    assert detail.status_code == 200 and detail.json()["name"] == payload["name"]
    for body in (made.text, listed, detail.text):
        assert "不该出现的备注" not in body


def test_a_role_can_hide_the_permissions_of_roles(
        api: Any, admin: Headers, person: Callable[..., tuple[int, Headers]]) -> None:
    """A role's grants are a declared field of roles, so a role's field rights reach them."""
    role = builders.custom_role(api, admin, {
        "role": {"actions": {"read": "all"}, "fields": {"permissions": "hidden"}}})
    _, viewer = person(role["id"])
    rows = api.get(f"{API}/roles", headers=viewer, params={"limit": 100}).json()["items"]
    assert rows and all(row["permissions"] == {"admin": False, "entities": {}} for row in rows)
    assert {row["key"] for row in rows} >= {"sales_rep", "administrator"}
    mine = api.get(f"{API}/roles/{role['id']}", headers=admin).json()
    assert mine["permissions"]["entities"]["role"]["fields"] == {"permissions": "hidden"}


def _audit(api: Any, headers: Headers, entity: str) -> list[dict[str, Any]]:
    response = api.get(f"{API}/audit", headers=headers,
                       params={"entity": entity, "limit": 50})
    assert response.status_code == 200, response.text
    return list(response.json()["items"])


def test_the_audit_of_an_undeclared_table_shows_only_the_fact(
        api: Any, admin: Headers, person: Callable[..., tuple[int, Headers]]) -> None:
    assert "security_policy" not in REGISTRY
    current = api.get(f"{API}/security/policy", headers=admin).json()
    threshold = 7 if current["lockout_threshold"] != 7 else 6
    with builders.policy(api, admin, lockout_threshold=threshold):
        _, auditor = person("auditor")
        [seen] = _audit(api, auditor, "security_policy")[:1]
        assert seen["action"] == "update" and seen["user_name"] and seen["at"]
        assert seen["changes"] == [] and seen["record_title"] is None
        assert _audit(api, admin, "security_policy")[0]["changes"]  # administrators see all


def test_an_undeclared_field_of_a_declared_entity_is_left_out_of_the_audit(
        api: Any, admin: Headers, person: Callable[..., tuple[int, Headers]]) -> None:
    """Ending a session is audited as a change of the user's ``session`` (not a field)."""
    user_id, _ = person("sales_rep")
    live = api.get(f"{API}/sessions", headers=admin, params={"user_id": user_id}).json()
    revoked = api.post(f"{API}/sessions/{live[0]['id']}/revoke", headers=admin)
    assert revoked.status_code == 204
    _, auditor = person("auditor")
    entries = {e["id"]: e for e in _audit(api, auditor, "user")
               if e["action"] == "revoke" and e["record_id"] == user_id}
    assert entries and all(e["changes"] == [] for e in entries.values())
    shown = {e["id"]: e for e in _audit(api, admin, "user") if e["id"] in entries}
    assert all(e["changes"][0]["field"] == "session" for e in shown.values())
