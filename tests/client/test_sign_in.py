"""The sign-in dialog against the real server: trust on first use, pinning, inline errors."""

from __future__ import annotations

import socket
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from client_tls_server import Pair
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QFrame

from crm_client.api.client import ApiClient
from crm_client.core.settings import ClientSettings, Deployment, normalise_fingerprint
from crm_client.views import sign_in
from crm_client.views.sign_in import SignInDialog
from crm_common.entities import entity
from crm_common.tlsinfo import fingerprint

PASSWORD = "demo1234"  # every demo user's password (crm_server.demo)


def make_dialog(
    qtbot: Any, settings: ClientSettings, server: str, user: str = "sales", password: str = PASSWORD
) -> SignInDialog:
    dialog = SignInDialog(settings, server=server, username=user)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.password_edit.setText(password)
    return dialog


def sign_in_and_wait_for_failure(qtbot: Any, dialog: SignInDialog) -> str:
    with qtbot.waitSignal(dialog.sig_failed, timeout=15_000) as failed:
        dialog.sign_in()
    return str(failed.args[0])


def test_first_contact_asks_to_trust_then_pins_and_signs_in(
    qtbot: Any, live_server: Any, client_settings: ClientSettings, tmp_path: Path
) -> None:
    dialog = make_dialog(qtbot, client_settings, live_server.base_url)

    dialog.sign_in()
    qtbot.waitUntil(lambda: dialog.trust_dialog is not None and dialog.trust_dialog.isVisible())
    assert dialog.trust_dialog is not None
    shown = dialog.trust_dialog.fingerprint_label.text().split()
    with qtbot.waitSignal(dialog.sig_signed_in, timeout=15_000) as signed_in:
        dialog.trust_dialog.trust_button.click()

    api, me = signed_in.args
    assert shown == fingerprint(live_server.ca_pem).split(":")
    assert client_settings.trusted_ca(live_server.base_url) == live_server.ca_pem
    assert me.user.username == "sales" and api.token
    assert client_settings.last_server == live_server.base_url
    assert client_settings.last_user == "sales"
    assert dialog.result() == SignInDialog.DialogCode.Accepted
    client_settings.sync()
    assert PASSWORD not in (tmp_path / "client.ini").read_text("utf-8")


def test_not_trusting_sends_nothing_and_pins_nothing(
    qtbot: Any, live_server: Any, client_settings: ClientSettings
) -> None:
    dialog = make_dialog(qtbot, client_settings, live_server.base_url)

    dialog.sign_in()
    qtbot.waitUntil(lambda: dialog.trust_dialog is not None and dialog.trust_dialog.isVisible())
    assert dialog.trust_dialog is not None
    with qtbot.waitSignal(dialog.sig_failed) as failed:
        dialog.trust_dialog.reject()

    assert "did not trust" in failed.args[0]
    assert client_settings.trusted_ca(live_server.base_url) is None
    assert dialog.sign_in_button.isEnabled()


def test_pinned_server_signs_in_without_asking_and_shows_busy_meanwhile(
    qtbot: Any, live_server: Any, client_settings: ClientSettings
) -> None:
    client_settings.trust(live_server.base_url, live_server.ca_pem)
    dialog = make_dialog(qtbot, client_settings, live_server.base_url)

    with qtbot.waitSignal(dialog.sig_signed_in, timeout=15_000):
        dialog.sign_in()
        assert not dialog.sign_in_button.isEnabled()
        assert dialog.sign_in_button.text() == "Signing in…"

    assert dialog.trust_dialog is None
    assert dialog.password_edit.text() == ""


def test_wrong_password_is_explained_inline(
    qtbot: Any, live_server: Any, client_settings: ClientSettings
) -> None:
    client_settings.trust(live_server.base_url, live_server.ca_pem)
    dialog = make_dialog(qtbot, client_settings, live_server.base_url, "manager", "nope-nope")

    text = sign_in_and_wait_for_failure(qtbot, dialog)

    assert "Wrong username or password" in text
    assert dialog.isVisible() and dialog.error_banner.isVisible()
    assert dialog.sign_in_button.isEnabled() and dialog.password_edit.isEnabled()


def test_locked_account_says_when_to_try_again(
    qtbot: Any, live_server: Any, client_settings: ClientSettings, admin_api: ApiClient
) -> None:
    username = f"lock{uuid.uuid4().hex[:6]}"
    admin_api.create(
        entity("user"), {"username": username, "name": "锁定测试", "password": "right-password-1"}
    )
    client_settings.trust(live_server.base_url, live_server.ca_pem)
    probe = ApiClient(live_server.base_url, live_server.ca_pem, language="en")
    for _attempt in range(4):
        with pytest.raises(Exception, match="Wrong username or password"):
            probe.login(username, "wrong-password")
    dialog = make_dialog(qtbot, client_settings, live_server.base_url, username, "wrong")

    text = sign_in_and_wait_for_failure(qtbot, dialog)

    assert "locked" in text and "15 minutes" in text


def test_changed_certificate_authority_is_refused(
    qtbot: Any, live_server: Any, client_settings: ClientSettings, pki: dict[str, Pair]
) -> None:
    other_ca = pki["ca_b"].cert_pem
    client_settings.trust(live_server.base_url, other_ca)
    dialog = make_dialog(qtbot, client_settings, live_server.base_url)

    text = sign_in_and_wait_for_failure(qtbot, dialog)

    assert "certificate authority has changed" in text
    assert " ".join(fingerprint(other_ca).split(":")[:8]) in text
    assert " ".join(fingerprint(live_server.ca_pem).split(":")[:8]) in text
    assert client_settings.trusted_ca(live_server.base_url) == other_ca  # never replaced


def test_unreachable_server_is_explained(qtbot: Any, client_settings: ClientSettings) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        address = f"https://127.0.0.1:{sock.getsockname()[1]}"
        dialog = make_dialog(qtbot, client_settings, address)

        text = sign_in_and_wait_for_failure(qtbot, dialog)

    assert text.startswith("Cannot reach the server 127.0.0.1:")


@pytest.mark.parametrize(
    ("server", "user", "password", "expected"),
    [
        ("ftp://nowhere", "sales", "x", "Enter the server address"),
        ("https://crm.company.local:8443", "", "x", "Please enter your user name and password."),
        (
            "https://crm.company.local:8443",
            "sales",
            "",
            "Please enter your user name and password.",
        ),
    ],
)
def test_incomplete_input_is_caught_before_any_network_call(
    qtbot: Any,
    client_settings: ClientSettings,
    server: str,
    user: str,
    password: str,
    expected: str,
) -> None:
    dialog = make_dialog(qtbot, client_settings, server, user, password)

    with qtbot.waitSignal(dialog.sig_failed) as failed:
        dialog.sign_in()

    assert failed.args[0].startswith(expected)
    assert dialog.sign_in_button.isEnabled()


def test_remembered_server_and_user_are_prefilled(
    qtbot: Any, client_settings: ClientSettings
) -> None:
    client_settings.last_server = "https://crm.example.cn:8443"
    client_settings.last_user = "wang"

    dialog = SignInDialog(client_settings)
    qtbot.addWidget(dialog)

    assert dialog.server_combo.currentText() == "https://crm.example.cn:8443"
    assert dialog.user_edit.text() == "wang" and dialog.password_edit.text() == ""


def test_signing_in_again_keeps_the_same_connection(
    qtbot: Any, live_server: Any, client_settings: ClientSettings
) -> None:
    api = ApiClient(live_server.base_url, live_server.ca_pem, language="en")
    dialog = SignInDialog(client_settings, reauth_api=api, username="sales")
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.password_edit.setText(PASSWORD)

    with qtbot.waitSignal(dialog.sig_signed_in, timeout=15_000) as signed_in:
        dialog.sign_in()

    assert signed_in.args[0] is api and api.token
    assert not dialog.server_combo.isEnabled() and dialog.user_edit.isReadOnly()


@pytest.mark.parametrize(
    ("key", "modifier"),
    [(Qt.Key.Key_Return, Qt.KeyboardModifier.NoModifier),
     (Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)],
)
def test_enter_in_the_password_field_signs_in_also_after_an_error(
    qtbot: Any, client_settings: ClientSettings, key: Qt.Key, modifier: Qt.KeyboardModifier
) -> None:
    dialog = make_dialog(qtbot, client_settings, "https://crm.company.local:8443", password="")
    dialog.password_edit.setFocus()

    for _attempt in range(2):  # the second time, an error banner is showing
        with qtbot.waitSignal(dialog.sig_failed, timeout=1_000) as failed:
            qtbot.keyClick(dialog.password_edit, key, modifier)
        assert failed.args[0] == "Please enter your user name and password."

    assert dialog.error_banner.isVisible()


def test_the_header_keeps_its_height_when_an_error_shows(
    qtbot: Any, client_settings: ClientSettings
) -> None:
    with socket.socket() as sock:  # a closed port: an error long enough to wrap
        sock.bind(("127.0.0.1", 0))
        address = f"https://127.0.0.1:{sock.getsockname()[1]}"
        dialog = make_dialog(qtbot, client_settings, address)
        header = dialog.findChild(QFrame, "signInHeader")
        before = header.height()

        sign_in_and_wait_for_failure(qtbot, dialog)

    qtbot.waitUntil(lambda: dialog.error_banner.label.height() > 20)
    assert dialog.error_banner.label.height() > dialog.error_banner.label.fontMetrics().height()
    assert header.height() == before


@pytest.mark.parametrize(
    ("headers", "data", "minutes"),
    [({"Retry-After": "241"}, None, 5),  # the header, the body saying nothing of it
     ({"Retry-After": "60"}, {"retry_after_seconds": 900}, 1),  # the header first
     ({}, {"retry_after_seconds": 600}, 10)],  # the body's figure without a header
)
def test_too_many_attempts_say_how_long_to_wait(
    qtbot: Any, client_settings: ClientSettings, monkeypatch: pytest.MonkeyPatch,
    headers: dict[str, str], data: dict[str, int] | None, minutes: int,
) -> None:
    body = {"error": "too_many_requests", "detail": "Too many failed sign-ins", "data": data}

    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers=headers, json=body)

    class RateLimitedClient(ApiClient):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._http = httpx.Client(base_url=self._http.base_url,
                                      transport=httpx.MockTransport(answer))

    monkeypatch.setattr(sign_in, "ApiClient", RateLimitedClient)
    dialog = make_dialog(qtbot, client_settings, "http://crm.company.local:8080")

    text = sign_in_and_wait_for_failure(qtbot, dialog)

    wait = "a minute" if minutes == 1 else f"{minutes} minutes"
    assert text == f"Too many failed sign-ins from this computer. Try again in {wait}."
    assert dialog.sign_in_button.isEnabled()


def preset_settings(tmp_path: Path, **deployment: str) -> ClientSettings:
    """Settings as on a computer IT rolled the client out to (``/SERVER=``, ``/CAFINGERPRINT=``
    written machine-wide), read the way the client reads the machine's store."""
    machine = QSettings(str(tmp_path / "machine.ini"), QSettings.Format.IniFormat)
    for name, value in deployment.items():
        machine.setValue(f"deployment/{name}", value)
    machine.sync()
    user_store = QSettings(str(tmp_path / "client.ini"), QSettings.Format.IniFormat)
    return ClientSettings(user_store, Deployment.load(machine))


def test_a_fingerprint_pre_set_by_it_is_trusted_without_asking(
    qtbot: Any, live_server: Any, tmp_path: Path
) -> None:
    # As IT would paste it from `crm-server fingerprint`, lower case and without colons.
    typed = fingerprint(live_server.ca_pem).replace(":", "").lower()
    settings = preset_settings(tmp_path, server=live_server.base_url, ca_fingerprint=typed)
    dialog = SignInDialog(settings, username="sales")  # the pre-set server is offered
    qtbot.addWidget(dialog)
    dialog.password_edit.setText(PASSWORD)

    with qtbot.waitSignal(dialog.sig_signed_in, timeout=15_000):
        dialog.sign_in()

    assert dialog.server_combo.currentText() == live_server.base_url
    assert dialog.trust_dialog is None  # nobody was asked to judge a fingerprint
    assert settings.trusted_ca(live_server.base_url) == live_server.ca_pem


def test_a_server_whose_ca_differs_from_the_pre_set_fingerprint_is_refused(
    qtbot: Any, live_server: Any, tmp_path: Path, pki: dict[str, Pair]
) -> None:
    other = fingerprint(pki["ca_b"].cert_pem)
    settings = preset_settings(tmp_path, server=live_server.base_url, ca_fingerprint=other)
    dialog = make_dialog(qtbot, settings, live_server.base_url)

    text = sign_in_and_wait_for_failure(qtbot, dialog)

    assert "not the server your IT department set up" in text
    assert dialog.trust_dialog is None
    assert settings.trusted_ca(live_server.base_url) is None
    assert dialog.sign_in_button.isEnabled()


def test_a_malformed_pre_set_fingerprint_is_reported_not_guessed(
    qtbot: Any, live_server: Any, tmp_path: Path
) -> None:
    settings = preset_settings(tmp_path, ca_fingerprint="AB:CD:not-a-fingerprint")
    dialog = make_dialog(qtbot, settings, live_server.base_url)

    text = sign_in_and_wait_for_failure(qtbot, dialog)

    assert "is not valid (AB:CD:not-a-fingerprint)" in text
    assert dialog.trust_dialog is None
    assert settings.trusted_ca(live_server.base_url) is None


def test_the_server_remembered_wins_over_the_pre_set_one(tmp_path: Path) -> None:
    settings = preset_settings(tmp_path, server="https://crm.corp.local:8443")
    assert settings.initial_server() == "https://crm.corp.local:8443"
    settings.last_server = "https://other.corp.local:8443"
    assert settings.initial_server() == "https://other.corp.local:8443"
    assert ClientSettings(QSettings(str(tmp_path / "x.ini"), QSettings.Format.IniFormat))\
        .initial_server() == "https://crm.company.local:8443"


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("ab" * 32, ":".join(["AB"] * 32)),
        (" AB:cd" + ":EF" * 29 + ":01 ", "AB:CD:" + ":".join(["EF"] * 29) + ":01"),
        ("ab-" * 31 + "ab", ":".join(["AB"] * 32)),
    ],
)
def test_fingerprints_are_read_the_way_people_copy_them(typed: str, expected: str) -> None:
    assert normalise_fingerprint(typed) == expected


@pytest.mark.parametrize("typed", ["", "ab" * 31, "ab" * 33, "zz" * 32, "ab" * 31 + "a"])
def test_what_is_not_a_sha256_fingerprint_is_rejected(typed: str) -> None:
    with pytest.raises(ValueError):
        normalise_fingerprint(typed)
