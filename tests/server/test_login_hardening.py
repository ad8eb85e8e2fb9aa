"""Login hardening: rate limits per address and per account, lockout from the policy, the
password policy, changing one's password, expiry, the must-change gate, and sessions that
end at once on every server process.

Tests that fail sign-ins on purpose do so from their own client address, so the shared
``testclient`` address used by the rest of the suite never nears the per-address limit.
Tests that change the security policy put it back.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

import builders
from crm_server.app import create_app
from crm_server.db.types import utcnow
from crm_server.domains.people import create_user
from crm_server.models import AuditEntry, User, UserSession
from crm_server.security import ratelimit
from crm_server.security.sessions import token_hash
from crm_server.settings import Settings

API = "/api/v1"
STRONG = "Str0ng-enough-pass"


def _address() -> str:
    n = builders.unique()
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


def _client(app: Any, address: str | None = None) -> TestClient:
    """A client from its own address (no ``with``: the shared app's lifespan would end)."""
    return TestClient(app, base_url="https://testserver",
                      client=(address or _address(), 50000))


def _user(app: Any, password: str = builders.PASSWORD, **extra: Any) -> tuple[int, str]:
    username = f"hard{builders.unique()}"
    with app.state.session_factory.begin() as session:
        user = create_user(session, username, "加固测试", password, **extra)
        return user.id, username


def _login(client: Any, username: str, password: str = builders.PASSWORD) -> Any:
    return client.post(f"{API}/auth/login", json={"username": username, "password": password})


def _bearer(response: Any) -> dict[str, str]:
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}", "Accept-Language": "en"}


# --- rate limits -------------------------------------------------------------------------

def test_too_many_failures_from_one_address_are_refused(app: Any) -> None:
    client = _client(app)
    _, username = _user(app)
    for _ in range(ratelimit.ADDRESS_MAX_FAILURES):  # different (unknown) accounts each time
        assert _login(client, f"nobody{builders.unique()}", "wrong").status_code == 401
    refused = _login(client, username)  # even the right password: nothing is checked
    assert refused.status_code == 429
    body = refused.json()
    assert body["error"] == "too_many_requests"
    wait = body["data"]["retry_after_seconds"]
    assert 0 < wait <= ratelimit.ADDRESS_WINDOW.total_seconds()
    # Another address is not affected, nor is the account itself.
    assert _login(_client(app), username).status_code == 200


def test_successful_sign_ins_do_not_count(app: Any) -> None:
    client = _client(app)
    _, username = _user(app)
    for _ in range(ratelimit.ADDRESS_MAX_FAILURES + 5):
        assert _login(client, username).status_code == 200


def test_the_address_window_passes(app: Any) -> None:
    address = _address()
    client = _client(app, address)
    _, username = _user(app)
    for _ in range(ratelimit.ADDRESS_MAX_FAILURES):
        _login(client, f"nobody{builders.unique()}", "wrong")
    assert _login(client, username).status_code == 429
    from crm_server.models import LoginAttempt

    with app.state.session_factory.begin() as session:
        session.execute(update(LoginAttempt).where(LoginAttempt.client_address == address)
                        .values(at=utcnow() - ratelimit.ADDRESS_WINDOW - timedelta(seconds=1)))
    assert _login(client, username).status_code == 200


def test_too_many_failures_for_one_account_are_refused(api: Any, app: Any,
                                                      admin: dict[str, str]) -> None:
    """From a new address each time: the per-account limit holds across addresses, and an
    unknown username is limited like a real one."""
    username = f"ghost{builders.unique()}"
    with builders.policy(api, admin, lockout_threshold=50):  # the per-account limit comes first
        for attempt in range(ratelimit.ACCOUNT_MAX_FAILURES):
            # Case and blanks do not make a new account to guess against.
            typed = username.upper() if attempt % 2 else f" {username}"
            assert _login(_client(app), typed, "wrong").status_code == 401
        refused = _login(_client(app), username, "wrong")
    assert refused.status_code == 429
    assert 0 < refused.json()["data"]["retry_after_seconds"] <= 60
    # Another account from the same kind of address is fine.
    _, other = _user(app)
    assert _login(_client(app), other).status_code == 200


def test_known_and_unknown_accounts_get_the_same_answers(api: Any, app: Any,
                                                         admin: dict[str, str]) -> None:
    _, known = _user(app)
    unknown = f"ghost{builders.unique()}"
    with builders.policy(api, admin, lockout_threshold=50):  # the per-account limit comes first
        answers = {}
        for username in (known, unknown):
            codes = [_login(_client(app), username, "wrong")
                     for _ in range(ratelimit.ACCOUNT_MAX_FAILURES + 1)]
            answers[username] = [(r.status_code, r.json()["error"], r.json()["detail"])
                                 for r in codes]
        assert answers[known] == answers[unknown]
        assert answers[known][-1][0] == 429
        assert {a[0] for a in answers[known][:-1]} == {401}
        # The limit holds for the right password too, while it lasts.
        assert _login(_client(app), known).status_code == 429


def test_lockout_follows_the_policy_threshold(api: Any, app: Any,
                                              admin: dict[str, str]) -> None:
    _, username = _user(app)
    client = _client(app)
    with builders.policy(api, admin, lockout_threshold=3, lockout_minutes=7):
        codes = [_login(client, username, "wrong").status_code for _ in range(3)]
        assert codes == [401, 401, 423]
        locked = _login(client, username)
        assert locked.status_code == 423
        assert 1 <= locked.json()["data"]["minutes"] <= 7


def test_a_disabled_user_gets_the_wrong_password_answer(app: Any) -> None:
    _, disabled = _user(app, is_active=False)
    client = _client(app)
    right_but_disabled = _login(client, disabled)
    wrong = _login(client, f"nobody{builders.unique()}", "wrong")
    assert right_but_disabled.status_code == wrong.status_code == 401
    assert right_but_disabled.json() == wrong.json()


# --- the password policy -----------------------------------------------------------------

def test_the_policy_applies_to_create_reset_and_change(api: Any, app: Any,
                                                       admin: dict[str, str]) -> None:
    user_id, username = _user(app)
    own = _bearer(_login(_client(app), username))
    with builders.policy(api, admin, password_min_length=10, password_classes=3):
        short, weak = "Ab1-x", "abcdefghij12"  # too short; long enough but 2 classes
        for password, problem in ((short, "too short"), (weak, "more kinds")):
            created = api.post(f"{API}/users", headers=admin, json={
                "username": f"pol{builders.unique()}", "name": "策略", "password": password})
            assert created.status_code == 422, created.text
            assert problem in created.json()["fields"]["password"]
            assert created.json()["data"]["min_length"] == 10

            reset = api.post(f"{API}/users/{user_id}/reset-password", headers=admin,
                             json={"password": password})
            assert reset.status_code == 422, reset.text
            assert problem in reset.json()["fields"]["password"]

            changed = api.post(f"{API}/auth/password", headers=own, json={
                "current_password": builders.PASSWORD, "new_password": password})
            assert changed.status_code == 422, changed.text
            assert problem in changed.json()["fields"]["new_password"]

        created = api.post(f"{API}/users", headers=admin, json={
            "username": f"pol{builders.unique()}", "name": "策略", "password": STRONG})
        assert created.status_code == 201, created.text
    # Nothing was changed by the refused attempts.
    assert _login(_client(app), username).status_code == 200


def test_the_policy_messages_are_translated(api: Any, app: Any) -> None:
    _, username = _user(app)
    own = _bearer(_login(_client(app), username))
    own["Accept-Language"] = "zh-CN"
    response = api.post(f"{API}/auth/password", headers=own, json={
        "current_password": builders.PASSWORD, "new_password": "x"})
    assert response.status_code == 422
    assert response.json()["fields"]["new_password"] == "密码太短"


# --- changing one's password -------------------------------------------------------------

def test_change_password(api: Any, app: Any) -> None:
    user_id, username = _user(app)
    this = _bearer(_login(_client(app), username))
    other = _bearer(_login(_client(app), username))

    wrong = _client(app).post(f"{API}/auth/password", headers=this, json={
        "current_password": "not-it", "new_password": STRONG})
    assert wrong.status_code == 403
    assert wrong.json()["error"] == "forbidden"
    assert set(wrong.json()["fields"]) == {"current_password"}

    same = api.post(f"{API}/auth/password", headers=this, json={
        "current_password": builders.PASSWORD, "new_password": builders.PASSWORD})
    assert same.status_code == 422
    assert set(same.json()["fields"]) == {"new_password"}

    before = utcnow()
    done = api.post(f"{API}/auth/password", headers=this, json={
        "current_password": builders.PASSWORD, "new_password": STRONG})
    assert done.status_code == 204, done.text

    assert api.get(f"{API}/me", headers=this).status_code == 200  # this session goes on
    assert api.get(f"{API}/me", headers=other).status_code == 401  # the others end
    assert _login(_client(app), username).status_code == 401
    assert _login(_client(app), username, STRONG).status_code == 200
    with app.state.session_factory() as session:
        record = session.get_one(User, user_id)
        assert record.password_changed_at is not None and record.password_changed_at >= before
        assert not record.must_change_password
        changes = [change for entry in session.scalars(
            select(AuditEntry).where(AuditEntry.entity == "user", AuditEntry.record_id == user_id,
                                     AuditEntry.action == "update"))
            for change in entry.changes if change["field"] == "password_hash"]
        entry_user = session.scalar(
            select(AuditEntry.user_id).where(AuditEntry.entity == "user",
                                             AuditEntry.record_id == user_id,
                                             AuditEntry.action == "update"))
    assert changes == [{"field": "password_hash", "old": "***", "new": "***"}]
    assert entry_user == user_id


def test_wrong_current_passwords_are_rate_limited(api: Any, app: Any) -> None:
    _, username = _user(app)
    client = _client(app)
    headers = _bearer(_login(client, username))
    codes = [client.post(f"{API}/auth/password", headers=headers, json={
        "current_password": "guess", "new_password": STRONG}).status_code
        for _ in range(ratelimit.ACCOUNT_MAX_FAILURES + 1)]
    assert codes == [403] * ratelimit.ACCOUNT_MAX_FAILURES + [429]
    # Signing in with the account is limited too, from anywhere, while it lasts.
    assert _login(_client(app), username).status_code == 429


# --- expiry and the must-change gate -----------------------------------------------------

def test_must_change_gate(api: Any, app: Any, admin: dict[str, str]) -> None:
    user_id, username = _user(app)
    reset = api.post(f"{API}/users/{user_id}/reset-password", headers=admin,
                     json={"password": "Temp-pass-123"})
    assert reset.status_code == 204, reset.text
    headers = _bearer(_login(_client(app), username, "Temp-pass-123"))

    me = api.get(f"{API}/me", headers=headers)
    assert me.status_code == 200 and me.json()["must_change_password"] is True
    blocked = api.get(f"{API}/customers", headers=headers)
    assert blocked.status_code == 403
    assert blocked.json()["error"] == "password_change_required"
    assert api.post(f"{API}/customers", headers=headers,
                    json=builders.customer()).status_code == 403
    assert api.get(f"{API}/security/policy", headers=headers).status_code == 200

    changed = api.post(f"{API}/auth/password", headers=headers, json={
        "current_password": "Temp-pass-123", "new_password": STRONG})
    assert changed.status_code == 204, changed.text
    assert api.get(f"{API}/me", headers=headers).json()["must_change_password"] is False
    assert api.get(f"{API}/customers", headers=headers).status_code == 200


def test_sign_out_is_allowed_while_a_change_is_due(api: Any, app: Any) -> None:
    _, username = _user(app, must_change_password=True)
    headers = _bearer(_login(_client(app), username))
    assert api.get(f"{API}/customers", headers=headers).status_code == 403
    assert api.post(f"{API}/auth/logout", headers=headers).status_code == 204
    assert api.get(f"{API}/me", headers=headers).status_code == 401


def test_an_expired_password_must_be_changed(api: Any, app: Any,
                                            admin: dict[str, str]) -> None:
    user_id, username = _user(app)
    with app.state.session_factory.begin() as session:
        session.execute(update(User).where(User.id == user_id).values(
            password_changed_at=utcnow() - timedelta(days=40)))
    headers = _bearer(_login(_client(app), username))
    # No expiry in the policy: a 40-day-old password is fine.
    assert api.get(f"{API}/me", headers=headers).json()["must_change_password"] is False
    assert api.get(f"{API}/customers", headers=headers).status_code == 200
    with builders.policy(api, admin, password_expiry_days=30):
        assert api.get(f"{API}/me", headers=headers).json()["must_change_password"] is True
        blocked = api.get(f"{API}/customers", headers=headers)
        assert blocked.json()["error"] == "password_change_required"
        # Everyone else (passwords changed recently) goes on working.
        assert api.get(f"{API}/customers", headers=admin).status_code == 200
        changed = api.post(f"{API}/auth/password", headers=headers, json={
            "current_password": builders.PASSWORD, "new_password": STRONG})
        assert changed.status_code == 204, changed.text
        assert api.get(f"{API}/me", headers=headers).json()["must_change_password"] is False
        assert api.get(f"{API}/customers", headers=headers).status_code == 200


# --- sessions ----------------------------------------------------------------------------

@pytest.mark.parametrize("column", ["last_seen_at", "expires_at", "created_at"])
def test_expired_sessions_are_refused(api: Any, app: Any, column: str) -> None:
    """Idle too long, past its end, or older than the policy's lifetime now allows."""
    _, username = _user(app)
    token = _login(_client(app), username).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert api.get(f"{API}/me", headers=headers).status_code == 200
    with app.state.session_factory.begin() as session:
        session.execute(update(UserSession).where(UserSession.token_hash == token_hash(token))
                        .values({column: utcnow() - timedelta(days=2)}))
    refused = api.get(f"{API}/me", headers=headers)
    assert refused.status_code == 401
    assert refused.json()["error"] == "unauthenticated"


@pytest.fixture
def second_app(settings: Settings) -> Iterator[Any]:
    """Another server process on the same database."""
    other = create_app(settings)
    yield other
    other.state.engine.dispose()


def test_a_revoked_session_is_refused_at_once_by_every_process(
        api: Any, app: Any, second_app: Any, admin: dict[str, str]) -> None:
    other = _client(second_app)
    _, username = _user(app)
    token = _login(_client(app), username).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert other.get(f"{API}/me", headers=headers).status_code == 200
    with app.state.session_factory() as session:
        session_id = session.scalar(select(UserSession.id)
                                    .where(UserSession.token_hash == token_hash(token)))
    revoked = api.post(f"{API}/sessions/{session_id}/revoke", headers=admin)
    assert revoked.status_code == 204
    assert other.get(f"{API}/me", headers=headers).status_code == 401


def test_sign_out_and_password_change_reach_every_process(api: Any, app: Any,
                                                          second_app: Any) -> None:
    other = _client(second_app)
    _, username = _user(app)
    first = _bearer(_login(_client(app), username))
    second = _bearer(_login(other, username))
    third = _bearer(_login(other, username))
    assert api.post(f"{API}/auth/logout", headers=first).status_code == 204
    assert other.get(f"{API}/me", headers=first).status_code == 401

    changed = other.post(f"{API}/auth/password", headers=second, json={
        "current_password": builders.PASSWORD, "new_password": STRONG})
    assert changed.status_code == 204
    assert api.get(f"{API}/me", headers=third).status_code == 401
    assert api.get(f"{API}/me", headers=second).status_code == 200


# --- lockout and the address limit reveal nothing and hold no one else ----------------------

def test_the_lockout_answers_real_and_unknown_accounts_alike(api: Any, app: Any,
                                                           admin: dict[str, str]) -> None:
    """The threshold-th wrong password and every try while locked get the same answer,
    whether the account exists or not."""
    _, known = _user(app)
    unknown = f"ghost{builders.unique()}"
    with builders.policy(api, admin, lockout_threshold=3, lockout_minutes=7):
        answers = {}
        for username in (known, unknown):
            client = _client(app)
            tries = [_login(client, username, "wrong") for _ in range(4)]
            tries.append(_login(client, username))  # the right password (or any) while locked
            answers[username] = [(r.status_code, r.json()) for r in tries]
        assert answers[known] == answers[unknown]
        assert [status for status, _ in answers[known]] == [401, 401, 423, 423, 423]
        assert answers[known][2][1]["data"] == {"minutes": 7}


def test_a_sign_in_forgets_the_wrong_passwords_before_it(api: Any, app: Any,
                                                        admin: dict[str, str]) -> None:
    _, username = _user(app)
    client = _client(app)
    with builders.policy(api, admin, lockout_threshold=3):
        assert [_login(client, username, "wrong").status_code for _ in range(2)] == [401, 401]
        assert _login(client, username).status_code == 200
        assert [_login(client, username, "wrong").status_code for _ in range(3)] == \
            [401, 401, 423]


def test_a_failure_storm_does_not_lock_out_accounts_known_at_the_address(app: Any) -> None:
    """One office behind one NAT address: someone's typo storm (or an attacker there) fills
    the address limit; colleagues who signed in from there before still get in with their
    password, a stranger account does not, and the wait is in the header and the body."""
    client = _client(app)
    _, colleague = _user(app)
    _, stranger = _user(app)
    _bearer(_login(client, colleague))
    for _ in range(ratelimit.ADDRESS_MAX_FAILURES):
        assert _login(client, f"nobody{builders.unique()}", "wrong").status_code == 401
    assert _login(client, colleague).status_code == 200
    assert _login(client, colleague, "wrong").status_code == 401  # counted, not waved through
    refused = _login(client, stranger)
    assert refused.status_code == 429
    wait = refused.json()["data"]["retry_after_seconds"]
    assert refused.headers["Retry-After"] == str(wait)
    assert 0 < wait <= ratelimit.ADDRESS_WINDOW.total_seconds()


def test_a_password_reset_unlocks_and_forgets(api: Any, app: Any,
                                              admin: dict[str, str]) -> None:
    user_id, username = _user(app)
    client = _client(app)
    with builders.policy(api, admin, lockout_threshold=3):
        assert [_login(client, username, "wrong").status_code for _ in range(3)] == \
            [401, 401, 423]
        reset = api.post(f"{API}/users/{user_id}/reset-password", headers=admin,
                         json={"password": STRONG})
        assert reset.status_code == 204, reset.text
        assert [_login(client, username, "wrong").status_code for _ in range(3)] == \
            [401, 401, 423]
