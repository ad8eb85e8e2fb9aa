"""One unit of work per authenticated request: the principal is resolved in the route's own
session, so a request checks out one connection, runs one transaction and takes one worker
thread; the session's "last seen" is refreshed with the request's work, and lost with it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import anyio.to_thread
import pytest
from sqlalchemy import event, select, update

import builders
from crm_server.db.types import utcnow
from crm_server.models import UserSession
from crm_server.security.sessions import token_hash

API = "/api/v1"
Headers = dict[str, str]


class Tally:
    """Connections checked out, transactions begun and ended, worker threads taken."""

    def __init__(self) -> None:
        self.counts = {"checkout": 0, "begin": 0, "commit": 0, "rollback": 0, "thread": 0}
        self.listeners = {name: self._counter(name) for name in self.counts}

    def _counter(self, name: str) -> Callable[..., None]:
        def seen(*_args: Any) -> None:
            self.counts[name] += 1
        return seen


@pytest.fixture
def tally(app: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Tally]:
    found = Tally()
    engine = app.state.engine
    listeners = [(engine.pool, "checkout"), (engine, "begin"), (engine, "commit"),
                 (engine, "rollback")]
    for target, name in listeners:
        event.listen(target, name, found.listeners[name])
    run_sync = anyio.to_thread.run_sync

    async def counted(*args: Any, **options: Any) -> Any:
        found.counts["thread"] += 1
        return await run_sync(*args, **options)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counted)
    try:
        yield found
    finally:
        for target, name in listeners:
            event.remove(target, name, found.listeners[name])


@contextmanager
def counted(tally: Tally) -> Iterator[dict[str, int]]:
    """The counts of the block alone."""
    seen: dict[str, int] = {}
    before = dict(tally.counts)
    yield seen
    seen.update({name: tally.counts[name] - before[name] for name in before})


ONE_UNIT = {"checkout": 1, "begin": 1, "commit": 1, "rollback": 0, "thread": 1}


def test_an_authenticated_read_and_write_are_one_unit_of_work(
        api: Any, rep: Headers, tally: Tally) -> None:
    made = api.post(f"{API}/customers", headers=rep, json=builders.customer())
    assert made.status_code == 201, made.text
    customer = made.json()
    calls: list[Callable[[], Any]] = [
        lambda: api.get(f"{API}/customers", headers=rep, params={"sort": "name"}),
        lambda: api.get(f"{API}/customers/{customer['id']}", headers=rep),
        lambda: api.patch(f"{API}/customers/{customer['id']}", headers=rep,
                          json={"level": "A", "version": customer["version"]}),
        lambda: api.get(f"{API}/me", headers=rep),
        lambda: api.get(f"{API}/search", headers=rep, params={"q": customer["name"]}),
    ]
    for call in calls:
        with counted(tally) as seen:
            response = call()
        assert response.status_code == 200, response.text
        assert seen == ONE_UNIT, response.url


def test_a_refused_request_rolls_its_one_unit_back(api: Any, rep: Headers,
                                                    tally: Tally) -> None:
    with counted(tally) as seen:
        missing = api.get(f"{API}/customers/999999999", headers=rep)
    assert missing.status_code == 404
    assert seen == {**ONE_UNIT, "commit": 0, "rollback": 1}


def test_a_forged_token_is_refused_in_the_same_single_unit(api: Any, tally: Tally) -> None:
    with counted(tally) as seen:
        refused = api.get(f"{API}/customers", headers={"Authorization": "Bearer forged"})
    assert refused.status_code == 401
    assert seen == {**ONE_UNIT, "commit": 0, "rollback": 1}


def _token(headers: Headers) -> str:
    return headers["Authorization"].removeprefix("Bearer ")


def _last_seen(app: Any, token: str, set_to: Any = None) -> Any:
    with app.state.session_factory.begin() as session:
        if set_to is not None:
            session.execute(update(UserSession).where(
                UserSession.token_hash == token_hash(token)).values(last_seen_at=set_to))
        return session.scalar(select(UserSession.last_seen_at).where(
            UserSession.token_hash == token_hash(token)))


def test_last_seen_is_refreshed_by_a_request_that_succeeds_and_not_by_one_that_fails(
        api: Any, app: Any, person: Callable[..., tuple[int, Headers]]) -> None:
    _, headers = person("sales_rep")
    token = _token(headers)
    long_ago = utcnow() - timedelta(minutes=5)
    _last_seen(app, token, set_to=long_ago)
    assert api.get(f"{API}/customers/999999999", headers=headers).status_code == 404
    assert _last_seen(app, token) == long_ago  # rolled back with the request
    assert api.get(f"{API}/me", headers=headers).status_code == 200
    assert _last_seen(app, token) > long_ago + timedelta(minutes=4)


def test_last_seen_never_waits_for_a_session_row_another_transaction_holds(
        api: Any, app: Any, person: Callable[..., tuple[int, Headers]]) -> None:
    """A sign-out or password change holding the row may wait for a lock the request holds
    (the audit chain's): the request skips its refresh instead of deadlocking."""
    if app.state.engine.dialect.name != "postgresql":
        pytest.skip("SQLite admits one writer at a time: its refresh waits like any write")
    _, headers = person("sales_rep")
    token = _token(headers)
    long_ago = utcnow() - timedelta(minutes=5)
    _last_seen(app, token, set_to=long_ago)
    with app.state.engine.connect() as other, other.begin():
        other.execute(select(UserSession.id).where(
            UserSession.token_hash == token_hash(token)).with_for_update())
        assert api.get(f"{API}/me", headers=headers).status_code == 200
    assert _last_seen(app, token) == long_ago


def test_the_openapi_declares_bearer_auth_on_authenticated_routes(app: Any) -> None:
    schema = app.openapi()
    assert schema["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
    paths = schema["paths"]
    assert paths[f"{API}/customers"]["get"]["security"] == [{"HTTPBearer": []}]
    assert paths[f"{API}/me"]["get"]["security"] == [{"HTTPBearer": []}]
    assert "security" not in paths[f"{API}/auth/login"]["post"]
