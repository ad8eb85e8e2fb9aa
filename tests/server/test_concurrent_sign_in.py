"""Sign-ins to one account at the same moment, through the real server over TLS: a person on
two desktops, or a script and a person, all get in; wrong passwords at once lock the account
exactly as the policy says, neither later nor twice."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
from sqlalchemy import func, select

import builders
from crm_server.domains.people import create_user
from crm_server.models import LoginAttempt, User
from crm_server.security import ratelimit

T = TypeVar("T")
AT_ONCE = 12


def _at_once(count: int, call: Callable[[httpx.Client], T], live_server: Any) -> list[T]:
    """``call`` from ``count`` threads, each with its own connection, released together."""
    context = ssl.create_default_context(cadata=live_server.ca_pem)
    barrier = threading.Barrier(count)

    def one(_n: int) -> T:
        with httpx.Client(base_url=f"{live_server.base_url}/api/v1", verify=context,
                          timeout=60, headers={"Accept-Language": "en"}) as client:
            client.get("/health")  # connected before the barrier, so the calls line up
            barrier.wait(30)
            return call(client)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


def _user(app: Any) -> str:
    username = f"race{builders.unique()}"
    with app.state.session_factory.begin() as session:
        create_user(session, username, "并发登录", builders.PASSWORD)
    return username


def _sign_in(username: str, password: str) -> Callable[[httpx.Client], httpx.Response]:
    return lambda client: client.post("/auth/login",
                                      json={"username": username, "password": password})


def test_simultaneous_sign_ins_to_one_account_all_succeed(app: Any, live_server: Any) -> None:
    username = _user(app)

    answers = _at_once(AT_ONCE, _sign_in(username, builders.PASSWORD), live_server)

    assert [a.status_code for a in answers] == [200] * AT_ONCE, [a.text for a in answers]
    tokens = {a.json()["token"] for a in answers}
    assert len(tokens) == AT_ONCE
    context = ssl.create_default_context(cadata=live_server.ca_pem)
    with httpx.Client(base_url=f"{live_server.base_url}/api/v1", verify=context) as client:
        for token in tokens:
            me = client.get("/me", headers={"Authorization": f"Bearer {token}"})
            assert me.status_code == 200 and me.json()["user"]["username"] == username
    with app.state.session_factory() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        assert user.last_login_at is not None and user.version == 1  # no edit of the account


def test_simultaneous_wrong_passwords_lock_exactly_at_the_threshold(
        api: Any, app: Any, admin: dict[str, str], live_server: Any) -> None:
    threshold = api.get("/api/v1/security/policy", headers=admin).json()["lockout_threshold"]
    username = _user(app)
    # Signed in here once, so the failures of other tests from 127.0.0.1 cannot hold it.
    assert _at_once(1, _sign_in(username, builders.PASSWORD), live_server)[0].status_code == 200

    answers = _at_once(AT_ONCE, _sign_in(username, "wrong-password"), live_server)

    statuses = sorted(a.status_code for a in answers)
    # threshold - 1 wrong passwords; the threshold-th locks; the rest find it locked.
    assert statuses == [401] * (threshold - 1) + [423] * (AT_ONCE - threshold + 1), statuses
    with app.state.session_factory() as session:
        counted = session.scalar(select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.username == ratelimit.account_key(username)))
        user = session.scalars(select(User).where(User.username == username)).one()
    assert counted == threshold
    assert user.locked_until is not None and user.failed_logins == 0
    right = _at_once(1, _sign_in(username, builders.PASSWORD), live_server)[0]
    assert right.status_code == 423 and right.json()["error"] == "account_locked"
