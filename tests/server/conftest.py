"""API test helpers: sign in as the demo users and call the in-process app."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

import builders
from builders import PASSWORD

Headers = dict[str, str]


@pytest.fixture(scope="session")
def sign_in(api: Any) -> Callable[[str], Headers]:
    tokens: dict[str, str] = {}

    def headers(username: str) -> Headers:
        if username not in tokens:
            response = api.post("/api/v1/auth/login",
                                json={"username": username, "password": PASSWORD})
            assert response.status_code == 200, response.text
            tokens[username] = response.json()["token"]
        return {"Authorization": f"Bearer {tokens[username]}", "Accept-Language": "en"}

    return headers


@pytest.fixture(scope="session")
def admin(sign_in: Callable[[str], Headers]) -> Headers:
    return sign_in("admin")


@pytest.fixture(scope="session")
def rep(sign_in: Callable[[str], Headers]) -> Headers:
    return sign_in("sales")


@pytest.fixture
def person(api: Any, admin: Headers, sign_in: Callable[[str], Headers]
           ) -> Callable[..., tuple[int, Headers]]:
    """A new user with the given roles (keys of built-in roles, or role ids), signed in."""
    rows = api.get("/api/v1/roles", headers=admin, params={"limit": 100}).json()["items"]
    roles = {row["key"] or row["name"]: row["id"] for row in rows}

    def make(*role_refs: str | int, department_id: int | None = None) -> tuple[int, Headers]:
        username = f"p{uuid.uuid4().hex[:10]}"
        made = api.post("/api/v1/users", headers=admin, json={
            "username": username, "name": f"员工{username[-4:]}", "password": PASSWORD,
            "role_ids": [r if isinstance(r, int) else roles[r] for r in role_refs],
            "department_id": department_id or builders.department(api, admin)})
        assert made.status_code == 201, made.text
        return int(made.json()["id"]), sign_in(username)

    return make
