"""Shared client fixtures: isolated settings, signed-in API clients and contexts against the
real ``live_server``, and a small TLS server for the trust tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import shiboken6
from client_tls_server import Pair, TlsTestServer, ca_pair, issue, make_ca
from PySide6.QtCore import QSettings

from crm_client.api.client import ApiClient
from crm_client.core.changes import ChangeBus
from crm_client.core.context import AppContext
from crm_client.core.i18n import set_language
from crm_client.core.settings import ClientSettings
from crm_client.core.tasks import TaskRunner
from crm_client.views.entity_form import EntityFormDialog
from crm_client.views.entity_list import EntityListView
from crm_client.views.main_window import MainWindow
from crm_common.entities import EntitySpec, entity

PASSWORD = "demo1234"


@pytest.fixture(autouse=True)
def _english_then_chinese(qapp: Any) -> Iterator[None]:
    """Tests assert English source strings; the product default is restored afterwards."""
    set_language("en")
    yield
    set_language("zh_CN")


@pytest.fixture
def client_settings(tmp_path: Path) -> ClientSettings:
    """Settings in a temporary INI file — never the developer's own."""
    return ClientSettings(QSettings(str(tmp_path / "client.ini"), QSettings.Format.IniFormat))


def signed_in(live_server: Any, username: str = "sales") -> ApiClient:
    api = ApiClient(live_server.base_url, live_server.ca_pem, language="en")
    api.login(username, PASSWORD)
    return api


@pytest.fixture
def sales_api(live_server: Any) -> Iterator[ApiClient]:
    api = signed_in(live_server, "sales")
    yield api
    api.close()


@pytest.fixture
def admin_api(live_server: Any) -> Iterator[ApiClient]:
    api = signed_in(live_server, "admin")
    yield api
    api.close()


@pytest.fixture
def make_context(
    client_settings: ClientSettings,
) -> Iterator[Callable[[ApiClient], AppContext]]:
    """``make_context(api)``: an ``AppContext`` around a signed-in client."""
    runners: list[TaskRunner] = []

    def make(api: ApiClient) -> AppContext:
        changes = ChangeBus()
        runner = TaskRunner(api, changes)
        runners.append(runner)
        return AppContext(api, client_settings, api.me(), changes, runner)

    yield make
    for runner in runners:
        runner.wait_for_done()


@pytest.fixture
def window_for(
    qtbot: Any, make_context: Callable[[ApiClient], AppContext],
) -> Callable[[ApiClient], MainWindow]:
    """``window_for(api)``: a shown main window around a signed-in client."""

    def make(api: ApiClient) -> MainWindow:
        window = MainWindow(make_context(api))
        qtbot.addWidget(window)
        window.show()
        return window

    return make


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Pair]:
    """Two unrelated CAs, and server certificates for 127.0.0.1 from each."""
    ca_a = make_ca(tmp_path_factory.mktemp("ca_a"))
    ca_b = make_ca(tmp_path_factory.mktemp("ca_b"))
    return {
        "ca_a": ca_pair(ca_a),
        "ca_b": ca_pair(ca_b),
        "server_a": issue(ca_a, ("localhost", "127.0.0.1"), "server_a"),
        "server_b": issue(ca_b, ("localhost", "127.0.0.1"), "server_b"),
        "server_a_elsewhere": issue(ca_a, ("crm.elsewhere.example",), "elsewhere"),
    }


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[Callable[..., TlsTestServer]]:
    """``tls_server(server_pair, published_ca_pem, routes=None)`` starts one; all stop after."""
    started: list[TlsTestServer] = []

    def start(server: Pair, published_ca: str, routes: dict[str, Any] | None = None) -> Any:
        directory = tmp_path / f"tls{len(started)}"
        directory.mkdir()
        instance = TlsTestServer(server, published_ca, directory, dict(routes or {}))
        started.append(instance)
        return instance

    yield start
    for instance in started:
        instance.stop()


@pytest.fixture
def show_list(qtbot: Any) -> Callable[..., EntityListView]:
    """``show_list(ctx, spec, **kwargs)``: a shown list of ``spec`` whose first page has
    arrived."""

    def show(ctx: AppContext, spec: EntitySpec, **kwargs: Any) -> EntityListView:
        view = EntityListView(ctx, spec, **kwargs)
        qtbot.addWidget(view)
        view.resize(1100, 600)
        view.show()
        with qtbot.waitSignal(view.sig_loaded):
            pass
        return view

    return show


@pytest.fixture
def sales_ctx(sales_api: ApiClient, make_context: Callable[[ApiClient], AppContext]
              ) -> AppContext:
    return make_context(sales_api)


@pytest.fixture
def open_form(qtbot: Any, sales_ctx: AppContext) -> Iterator[Callable[..., EntityFormDialog]]:
    """``open_form(record_id=None, **kwargs)``: the sales rep's customer form, shown (and
    loaded when editing); closed after the test without asking about unsaved input."""
    forms: list[EntityFormDialog] = []

    def open_(record_id: int | None = None, **kwargs: Any) -> EntityFormDialog:
        form = EntityFormDialog(sales_ctx, entity("customer"), record_id, **kwargs)
        forms.append(form)
        form.show()
        qtbot.waitUntil(form.save_button.isEnabled)
        return form

    yield open_
    for form in forms:
        if shiboken6.isValid(form):
            form.done(0)
