"""A server that is busy or has lost its database (503 with ``Retry-After``, 429) or a dropped
connection: reads are repeated by themselves, no sooner than the server asks and for a bounded
time, and the status bar says so meanwhile; writes are never repeated, the form keeps its
input and offers Retry.

The failing server is a stub standing for the real one during a database outage (the real
server's 503s are tested in tests/server/test_database_outage.py): it plays a script of
answers and records when each request came.
"""

from __future__ import annotations

import itertools
import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

import builders
from crm_client.api.client import RETRY_LISTENER, ApiClient
from crm_client.api.errors import ServerUnreachable
from crm_client.views.entity_form import EntityFormDialog
from crm_client.widgets.connection_status import ConnectionStatusLabel
from crm_common.entities import entity
from crm_common.errors import DatabaseUnavailable
from crm_common.schemas.auth import Health

CUSTOMER = entity("customer")
HEALTH = {"status": "ok", "database": "ok", "migration": "x", "expected_migration": "x",
          "version": "test"}
DOWN = (503, {"Retry-After": "1"},
        {"error": "database_unavailable", "detail": "The database is unavailable"})
BUSY = (429, {"Retry-After": "1"}, {"error": "too_many_requests", "detail": "Busy"})
OK = (200, {}, HEALTH)
Answer = tuple[int, dict[str, str], dict[str, Any]]


class _Script(BaseHTTPRequestHandler):
    answers: ClassVar[list[Answer]] = []
    seen: ClassVar[list[tuple[str, float]]] = []

    def _answer(self) -> None:
        self.seen.append((self.command, time.monotonic()))
        status, headers, body = self.answers.pop(0) if self.answers else DOWN
        data = json.dumps(body).encode()
        self.send_response(status)
        for name, value in {**headers, "Content-Type": "application/json",
                            "Content-Length": str(len(data))}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: test output is for failures."""


@pytest.fixture
def stub() -> Iterator[tuple[str, type[_Script]]]:
    script = type("Script", (_Script,), {"answers": [], "seen": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), script)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", script
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_a_read_is_repeated_after_retry_after_until_it_succeeds(
        stub: tuple[str, type[_Script]]) -> None:
    url, script = stub
    script.answers[:] = [DOWN, BUSY, OK]
    heard: list[bool] = []
    api = ApiClient(url, None, language="en", retry_budget=10)

    listening = RETRY_LISTENER.set(heard.append)
    try:
        assert api.health() == Health.model_validate(HEALTH)
    finally:
        RETRY_LISTENER.reset(listening)

    times = [at for _method, at in script.seen]
    assert len(times) == 3
    assert all(later - earlier >= 1 for earlier, later in itertools.pairwise(times))
    assert heard == [True, False]  # said once that it waits, once that it is done


def test_a_read_gives_up_when_the_budget_is_spent(stub: tuple[str, type[_Script]]) -> None:
    url, script = stub
    api = ApiClient(url, None, language="en", retry_budget=1.5)

    with pytest.raises(DatabaseUnavailable) as caught:
        api.health()

    assert len(script.seen) == 2  # a third pause of 1 s or more would end past 1.5 s
    assert caught.value.data == {"retry_after_seconds": 1}


def test_a_write_is_never_repeated(stub: tuple[str, type[_Script]]) -> None:
    url, script = stub
    script.answers[:] = [DOWN, OK]
    api = ApiClient(url, None, language="en", retry_budget=10)

    with pytest.raises(DatabaseUnavailable):
        api.login("sales", "secret")

    assert [method for method, _at in script.seen] == ["POST"]


def test_a_refused_connection_is_retried_then_unreachable() -> None:
    heard: list[bool] = []
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        api = ApiClient(f"http://127.0.0.1:{sock.getsockname()[1]}", None, timeout=2,
                        retry_budget=1)
        listening = RETRY_LISTENER.set(heard.append)
        try:
            with pytest.raises(ServerUnreachable):
                api.health()
        finally:
            RETRY_LISTENER.reset(listening)

    assert heard == [True, False]


def test_the_status_label_says_retrying(qtbot: Any) -> None:
    label = ConnectionStatusLabel()
    qtbot.addWidget(label)

    label.set_retrying(True)
    assert "retrying" in label.text()
    label.set_offline(True)
    assert "retrying" in label.text()  # still retrying: that is what is going on
    label.set_retrying(False)
    assert "Offline" in label.text()


def test_the_main_window_shows_the_retry_and_then_offers_retry(
        qtbot: Any, window_for: Any, sales_api: ApiClient,
        stub: tuple[str, type[_Script]]) -> None:
    """The window's own reads go to the real server; the reads under test go to the stub,
    as the runner runs them (its listener, its signals)."""
    window = window_for(sales_api)
    status, banner = window.connection_label, window.offline_banner
    url, script = stub
    failing = ApiClient(url, None, language="en", retry_budget=1.5)
    script.answers[:] = [DOWN, OK]
    loaded: list[Health] = []

    window.ctx.tasks.query(window, lambda _api: failing.health()).success(loaded.append).run()
    qtbot.waitUntil(lambda: status.retrying)
    assert "Server busy or database unavailable, retrying…" in status.text()
    qtbot.waitUntil(lambda: bool(loaded), timeout=10_000)
    qtbot.waitUntil(lambda: not status.retrying)
    assert "Connected" in status.text() and not banner.isVisible()

    script.answers[:] = [DOWN, DOWN, DOWN]  # longer than the budget: the person is told
    window.ctx.tasks.query(window, lambda _api: failing.health()).success(loaded.append).run()
    qtbot.waitUntil(banner.isVisible, timeout=10_000)
    assert "busy or its database is unavailable" in banner.label.text()
    assert status.offline and not status.retrying and len(loaded) == 1
    script.answers[:] = [OK]
    banner.button.click()  # Retry
    qtbot.waitUntil(lambda: len(loaded) == 2, timeout=10_000)
    assert not banner.isVisible() and "Connected" in status.text()


def test_a_save_the_database_refuses_is_not_repeated_and_keeps_the_input(
        qtbot: Any, make_context: Any, sales_api: ApiClient,
        stub: tuple[str, type[_Script]]) -> None:
    ctx = make_context(sales_api)
    form = EntityFormDialog(ctx, CUSTOMER, None)  # closes itself once saved
    form.show()
    qtbot.waitUntil(form.save_button.isEnabled)
    name = builders.customer()["name"]
    form.editors["name"].widget.setText(name)  # type: ignore[attr-defined]
    url, script = stub
    ctx.tasks.api = ApiClient(url, None, language="en", retry_budget=10)
    try:
        form.save()
        qtbot.waitUntil(lambda: form.banner.isVisible() and form.save_button.isEnabled())
    finally:
        ctx.tasks.api.close()
        ctx.tasks.api = sales_api

    assert [method for method, _at in script.seen] == ["POST"]
    assert "busy or its database is unavailable" in form.banner.label.text()
    assert form.isVisible() and form.editors["name"].value() == name
    with qtbot.waitSignal(form.sig_saved):
        form.banner.button.click()  # Retry, now that the server serves again
