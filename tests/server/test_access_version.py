"""Cached principals never outlive a change: each change to users, roles, grants,
departments or the security policy applies to the very next request, on this server process
and on another one serving the same database (a second application instance with a cache
of its own), and revocation stays immediate."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select, update

import builders
from crm_server.app import create_app
from crm_server.db.types import utcnow
from crm_server.models import AccessVersion, User
from crm_server.settings import Settings

API = "/api/v1"
Headers = dict[str, str]
Person = Callable[..., tuple[int, Headers]]


@pytest.fixture(scope="module")
def other_process(settings: Settings) -> Iterator[TestClient]:
    """A second server on the same database, with its own principal cache."""
    with TestClient(create_app(settings), base_url="https://testserver") as client:
        yield client


@pytest.fixture(params=["this process", "another process"])
def observer(request: pytest.FixtureRequest, api: TestClient) -> TestClient:
    """Where the change is observed; it is always made through ``api``."""
    return api if request.param == "this process" else request.getfixturevalue("other_process")


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _patch(api: TestClient, admin: Headers, path: str, **values: Any) -> Any:
    version = _ok(api.get(f"{API}/{path}", headers=admin))["version"]
    return _ok(api.patch(f"{API}/{path}", headers=admin, json={"version": version, **values}))


def _customer(api: TestClient, admin: Headers, owner_id: int) -> int:
    made = api.post(f"{API}/customers", headers=admin, params={"confirm": True},
                    json=builders.customer(owner_id=owner_id))
    return int(_ok(made, 201)["id"])


def test_a_disabled_user_is_refused_at_once(api: TestClient, observer: TestClient,
                                            admin: Headers, person: Person) -> None:
    user_id, rep = person("sales_rep")
    _ok(observer.get(f"{API}/customers", headers=rep))
    _patch(api, admin, f"users/{user_id}", is_active=False)
    assert observer.get(f"{API}/customers", headers=rep).status_code == 401


def test_a_revoked_session_is_refused_at_once(api: TestClient, observer: TestClient,
                                              admin: Headers, person: Person) -> None:
    user_id, rep = person("sales_rep")
    _ok(observer.get(f"{API}/customers", headers=rep))
    live = _ok(api.get(f"{API}/sessions", headers=admin, params={"user_id": user_id}))
    assert api.post(f"{API}/sessions/{live[0]['id']}/revoke", headers=admin).status_code == 204
    assert observer.get(f"{API}/customers", headers=rep).status_code == 401


def test_a_removed_role_applies_at_once(api: TestClient, observer: TestClient,
                                        admin: Headers, person: Person) -> None:
    user_id, rep = person("sales_rep")
    _ok(observer.get(f"{API}/customers", headers=rep))
    _patch(api, admin, f"users/{user_id}", role_ids=[])
    assert observer.get(f"{API}/customers", headers=rep).status_code == 403


def test_a_changed_field_right_applies_at_once(api: TestClient, observer: TestClient,
                                               admin: Headers, person: Person) -> None:
    role = builders.custom_role(api, admin, {"customer": {"actions": {"read": "all"}}})
    _, viewer = person(role["id"])
    customer_id = _customer(api, admin, owner_id=1)
    assert _ok(observer.get(f"{API}/customers/{customer_id}", headers=viewer))["phone"]
    hidden = {"customer": {"actions": {"read": "all"}, "fields": {"phone": "hidden"}}}
    _patch(api, admin, f"roles/{role['id']}", permissions={"entities": hidden})
    assert _ok(observer.get(f"{API}/customers/{customer_id}", headers=viewer))["phone"] is None


def test_a_moved_department_applies_at_once(api: TestClient, observer: TestClient,
                                            admin: Headers, person: Person) -> None:
    top, elsewhere = builders.department(api, admin), builders.department(api, admin)
    below = builders.department(api, admin, top)
    rep_id, _ = person("sales_rep", department_id=below)
    tree = builders.custom_role(api, admin, {"customer": {"actions": {"read": "subtree"}}})
    _, manager = person(tree["id"], department_id=top)
    customer_id = _customer(api, admin, owner_id=rep_id)
    _ok(observer.get(f"{API}/customers/{customer_id}", headers=manager))
    _patch(api, admin, f"departments/{below}", parent_id=elsewhere)
    assert observer.get(f"{API}/customers/{customer_id}", headers=manager).status_code == 404


def test_a_moved_user_applies_at_once(api: TestClient, observer: TestClient,
                                      admin: Headers, person: Person) -> None:
    team, elsewhere = builders.department(api, admin), builders.department(api, admin)
    rep_id, _ = person("sales_rep", department_id=team)
    dept = builders.custom_role(api, admin, {"customer": {"actions": {"read": "department"}}})
    _, lead = person(dept["id"], department_id=team)
    customer_id = _customer(api, admin, owner_id=rep_id)
    _ok(observer.get(f"{API}/customers/{customer_id}", headers=lead))
    _patch(api, admin, f"users/{rep_id}", department_id=elsewhere)
    assert observer.get(f"{API}/customers/{customer_id}", headers=lead).status_code == 404


def test_a_previewed_role_and_the_right_to_preview_apply_at_once(
        api: TestClient, observer: TestClient, admin: Headers, person: Person) -> None:
    role = builders.custom_role(api, admin, {"customer": {"actions": {"read": "all"}}})
    admin_id, other_admin = person("administrator")
    preview = {**other_admin, "X-Preview-Role": str(role["id"])}
    _ok(observer.get(f"{API}/customers", headers=preview))
    _patch(api, admin, f"roles/{role['id']}", permissions={"entities": {}})
    assert observer.get(f"{API}/customers", headers=preview).status_code == 403
    _patch(api, admin, f"roles/{role['id']}",
           permissions={"entities": {"customer": {"actions": {"read": "all"}}}})
    _ok(observer.get(f"{API}/customers", headers=preview))
    _patch(api, admin, f"users/{admin_id}", role_ids=[role["id"]])
    refused = observer.get(f"{API}/customers", headers=preview)
    assert refused.status_code == 403 and "administrators" in refused.json()["detail"]


def test_a_password_expiry_applies_at_once(api: TestClient, observer: TestClient, app: Any,
                                           admin: Headers, person: Person) -> None:
    user_id, rep = person("sales_rep")
    with app.state.session_factory.begin() as session:
        session.get_one(User, user_id).password_changed_at = utcnow() - timedelta(days=400)
    _ok(observer.get(f"{API}/customers", headers=rep))
    try:
        _patch(api, admin, "security/policy", password_expiry_days=90)
        refused = observer.get(f"{API}/customers", headers=rep)
        assert refused.status_code == 403
        assert refused.json()["error"] == "password_change_required"
        assert _ok(observer.get(f"{API}/me", headers=rep))["must_change_password"]
    finally:
        _patch(api, admin, "security/policy", password_expiry_days=0)
    _ok(observer.get(f"{API}/customers", headers=rep))


def _access_version(app: Any) -> int:
    with app.state.session_factory() as session:
        return int(session.scalar(select(AccessVersion.value)))


def test_signing_in_keeps_every_cached_principal(api: TestClient, app: Any, admin: Headers,
                                                 person: Person) -> None:
    """A sign-in writes the user's sign-in bookkeeping, which no principal is made of."""
    user_id, _ = person("sales_rep")
    username = _ok(api.get(f"{API}/users/{user_id}", headers=admin))["username"]
    before = _access_version(app)
    failed = api.post(f"{API}/auth/login", json={"username": username, "password": "wrong"})
    assert failed.status_code == 401
    _ok(api.post(f"{API}/auth/login", json={"username": username,
                                           "password": builders.PASSWORD}))
    assert _access_version(app) == before


@pytest.mark.parametrize(("values", "bumps"), [
    ({"last_login_at": utcnow(), "failed_logins": 0}, False),
    ({"is_active": True}, True), ({"name": "改名", "failed_logins": 0}, True)])
def test_a_bulk_update_bumps_unless_it_sets_only_sign_in_bookkeeping(
        app: Any, person: Person, values: dict[str, Any], bumps: bool) -> None:
    user_id, _ = person("sales_rep")
    before = _access_version(app)
    with app.state.session_factory() as session:
        session.execute(update(User).where(User.id == user_id).values(**values))
        session.commit()
    assert (_access_version(app) > before) is bumps


def test_a_cached_principal_costs_one_statement(api: TestClient, app: Any,
                                                rep: Headers) -> None:
    """The session, its liveness and the access version in one statement; the route's own
    read of the policy is the other."""
    _ok(api.get(f"{API}/security/policy", headers=rep))
    statements: list[str] = []

    def seen(*args: Any) -> None:
        statements.append(args[2])

    event.listen(app.state.engine, "before_cursor_execute", seen)
    try:
        _ok(api.get(f"{API}/security/policy", headers=rep))
    finally:
        event.remove(app.state.engine, "before_cursor_execute", seen)
    assert len(statements) == 2, statements
