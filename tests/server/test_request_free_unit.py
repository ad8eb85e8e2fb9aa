"""A service runs the same through an HTTP route and through the request-free unit of work
(``kit.unit``): the same answer, the same refusals, the same audit rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

import builders
from crm_common.entities import REGISTRY
from crm_common.errors import Forbidden, NotFound
from crm_server.kit.binding import binding
from crm_server.kit.unit import acting_as, principal_for, unit_of_work
from crm_server.models import AuditEntry, Customer

API = "/api/v1"
Headers = dict[str, str]
VOLATILE = {"id", "name", "short_name", "created_at", "updated_at", "uscc"}

CUSTOMER = REGISTRY["customer"]


def _unit(app: Any, user_id: int) -> Any:
    return acting_as(app.state.session_factory, app.state.settings, user_id)


def _audit(app: Any, record_id: int) -> list[tuple[Any, ...]]:
    with app.state.session_factory() as session:
        return [(e.user_id, e.action, sorted(c["field"] for c in e.changes)) for e in
                session.scalars(select(AuditEntry).where(
                    AuditEntry.entity == "customer", AuditEntry.record_id == record_id)
                    .order_by(AuditEntry.id))]


def test_a_create_gives_the_same_record_and_audit_through_http_and_a_unit(
        api: Any, app: Any, person: Callable[..., tuple[int, Headers]]) -> None:
    user_id, headers = person("sales_rep")
    by_http = api.post(f"{API}/customers", headers=headers, json=builders.customer())
    assert by_http.status_code == 201, by_http.text
    with _unit(app, user_id) as (session, user):
        made = binding("customer").service.create(
            session, user, CUSTOMER.create.model_validate(builders.customer()))
    by_unit = made.model_dump(mode="json")
    shown = {k: v for k, v in by_http.json().items() if k not in VOLATILE}
    assert shown == {k: v for k, v in by_unit.items() if k not in VOLATILE}
    assert by_unit["owner_id"] == user_id
    assert _audit(app, by_unit["id"]) == [
        (user_id, action, fields)
        for _, action, fields in _audit(app, by_http.json()["id"])]
    assert _audit(app, by_unit["id"])[0][0] == user_id


def test_scope_and_field_refusals_are_the_same_through_http_and_a_unit(
        api: Any, app: Any, person: Callable[..., tuple[int, Headers]]) -> None:
    owner_id, owner = person("sales_rep")
    other_id, other = person("sales_rep")
    theirs = api.post(f"{API}/customers", headers=owner, json=builders.customer()).json()
    mine = api.post(f"{API}/customers", headers=other, json=builders.customer()).json()
    service = binding("customer").service
    assert api.get(f"{API}/customers/{theirs['id']}", headers=other).status_code == 404
    with pytest.raises(NotFound), _unit(app, other_id) as (session, user):
        service.get(session, user, theirs["id"])
    change = {"owner_id": owner_id, "version": mine["version"]}
    refused = api.patch(f"{API}/customers/{mine['id']}", headers=other, json=change)
    assert refused.status_code == 403
    with pytest.raises(Forbidden) as raised, _unit(app, other_id) as (session, user):
        service.update(session, user, mine["id"], CUSTOMER.update.model_validate(change))
    assert raised.value.fields == refused.json()["fields"] == {
        "owner_id": "You may not change this field"}


def test_a_failed_unit_is_rolled_back_and_a_good_one_committed(app: Any) -> None:
    factory, settings = app.state.session_factory, app.state.settings
    name = f"回滚测试{builders.unique()}"
    with pytest.raises(RuntimeError), unit_of_work(factory, settings) as session:
        session.add(Customer(name=name, tags=[]))
        session.flush()
        raise RuntimeError("boom")
    with unit_of_work(factory, settings) as session:
        assert session.scalar(select(Customer.id).where(Customer.name == name)) is None


def test_no_one_acts_as_a_disabled_account(api: Any, app: Any, admin: Headers,
                                           person: Callable[..., tuple[int, Headers]]) -> None:
    user_id, _ = person("sales_rep")
    user = api.get(f"{API}/users/{user_id}", headers=admin).json()
    api.patch(f"{API}/users/{user_id}", headers=admin,
              json={"is_active": False, "version": user["version"]})
    with pytest.raises(Forbidden), unit_of_work(app.state.session_factory,
                                                app.state.settings) as session:
        principal_for(session, user_id)
