"""API test helpers: sign in as the demo users and call the in-process app."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

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
