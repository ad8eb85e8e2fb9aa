"""Signing in: tokens, /me, logout, lockout, expiry."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update

import builders
from crm_server.db.types import utcnow
from crm_server.models import User, UserSession

API = "/api/v1"


def _new_user(api: Any, admin: dict[str, str]) -> str:
    username = f"lock{builders.unique()}"
    response = api.post(f"{API}/users", headers=admin, json={
        "username": username, "name": "锁定测试", "password": builders.PASSWORD})
    assert response.status_code == 201, response.text
    return username


def test_sign_in_me_and_sign_out(api: Any) -> None:
    response = api.post(f"{API}/auth/login", json={"username": "sales",
                                                   "password": builders.PASSWORD})
    assert response.status_code == 200
    body = response.json()
    assert "password_hash" not in body["user"] and "password" not in body["user"]
    headers = {"Authorization": f"Bearer {body['token']}"}
    assert api.get(f"{API}/me", headers=headers).json()["user"]["username"] == "sales"
    assert api.post(f"{API}/auth/logout", headers=headers).status_code == 204
    after = api.get(f"{API}/me", headers=headers)
    assert after.status_code == 401
    assert after.json()["error"] == "unauthenticated"


def test_requests_without_a_valid_token_are_401(api: Any) -> None:
    assert api.get(f"{API}/customers").status_code == 401
    bad = api.get(f"{API}/customers", headers={"Authorization": "Bearer forged"})
    assert bad.status_code == 401
    assert bad.headers["www-authenticate"] == "Bearer"


def test_wrong_password_and_unknown_user_look_the_same(api: Any) -> None:
    wrong = api.post(f"{API}/auth/login", json={"username": "sales", "password": "nope"})
    nobody = api.post(f"{API}/auth/login", json={"username": "nobody", "password": "nope"})
    assert wrong.status_code == nobody.status_code == 401
    assert wrong.json() == nobody.json()


def test_five_wrong_passwords_lock_the_account(api: Any, admin: dict[str, str]) -> None:
    username = _new_user(api, admin)
    codes = [api.post(f"{API}/auth/login", json={"username": username, "password": "x"})
             .status_code for _ in range(5)]
    assert codes == [401, 401, 401, 401, 423]
    right = api.post(f"{API}/auth/login", json={"username": username,
                                                "password": builders.PASSWORD})
    assert right.status_code == 423
    assert right.json()["error"] == "account_locked"
    assert 1 <= right.json()["data"]["minutes"] <= 15


def test_lock_expires(api: Any, admin: dict[str, str], app: Any) -> None:
    username = _new_user(api, admin)
    for _ in range(5):
        api.post(f"{API}/auth/login", json={"username": username, "password": "x"})
    with app.state.session_factory.begin() as session:
        session.execute(update(User).where(User.username == username)
                        .values(locked_until=utcnow() - timedelta(seconds=1)))
    right = api.post(f"{API}/auth/login", json={"username": username,
                                                "password": builders.PASSWORD})
    assert right.status_code == 200


def test_idle_and_absolute_expiry(api: Any, app: Any) -> None:
    def fresh_token() -> str:
        return str(api.post(f"{API}/auth/login", json={
            "username": "sales", "password": builders.PASSWORD}).json()["token"])

    from crm_server.security.sessions import token_hash

    for column in ("last_seen_at", "expires_at"):
        token = fresh_token()
        past = utcnow() - timedelta(days=2)
        with app.state.session_factory.begin() as session:
            session.execute(update(UserSession).where(UserSession.token_hash == token_hash(token))
                            .values({column: past}))
        response = api.get(f"{API}/me", headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 401, column


def test_disabled_user_cannot_sign_in_and_loses_sessions(api: Any, admin: dict[str, str]) -> None:
    username = _new_user(api, admin)
    login = api.post(f"{API}/auth/login", json={"username": username,
                                                "password": builders.PASSWORD}).json()
    user = login["user"]
    api.patch(f"{API}/users/{user['id']}", headers=admin,
              json={"version": user["version"], "is_active": False})
    assert api.get(f"{API}/me", headers={"Authorization": f"Bearer {login['token']}"}
                   ).status_code == 401
    assert api.post(f"{API}/auth/login", json={"username": username,
                                                "password": builders.PASSWORD}
                    ).status_code == 401
