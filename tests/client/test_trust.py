"""Trust on first use and pinning, against a small TLS server with certificates made here."""

from __future__ import annotations

import socket
from typing import Any

import pytest

from crm_client.api.client import ApiClient
from crm_client.api.errors import (
    CertificateChanged,
    CertificateRejected,
    RejectReason,
    ServerUnreachable,
)
from crm_client.api.trust import fetch_server_ca, grouped_fingerprint, pinned_context
from crm_common.tlsinfo import fingerprint


def test_first_contact_returns_the_ca_that_issued_the_server_certificate(
    pki: dict[str, Any], tls_server: Any
) -> None:
    server = tls_server(pki["server_a"], pki["ca_a"].cert_pem)

    pem = fetch_server_ca(server.url())

    assert fingerprint(pem) == fingerprint(pki["ca_a"].cert_pem)


def test_first_contact_refuses_a_ca_that_did_not_issue_the_server_certificate(
    pki: dict[str, Any], tls_server: Any
) -> None:
    # An interceptor may publish any CA it likes; its certificate must chain to it.
    server = tls_server(pki["server_b"], pki["ca_a"].cert_pem)

    with pytest.raises(CertificateRejected) as caught:
        fetch_server_ca(server.url())

    assert caught.value.reason is RejectReason.DOES_NOT_VERIFY


def test_first_contact_refuses_a_certificate_for_other_names(
    pki: dict[str, Any], tls_server: Any
) -> None:
    server = tls_server(pki["server_a_elsewhere"], pki["ca_a"].cert_pem)

    with pytest.raises(CertificateRejected) as caught:
        fetch_server_ca(server.url())

    assert caught.value.reason is RejectReason.HOSTNAME_MISMATCH


def test_first_contact_with_something_that_publishes_no_ca(
    pki: dict[str, Any], tls_server: Any
) -> None:
    server = tls_server(
        pki["server_a"], "", routes={"/api/v1/tls/ca.pem": (404, "text/plain", b"nope")}
    )

    with pytest.raises(CertificateRejected) as caught:
        fetch_server_ca(server.url())

    assert caught.value.reason is RejectReason.NOT_PUBLISHED


def test_pinned_client_talks_to_its_server(pki: dict[str, Any], tls_server: Any) -> None:
    server = tls_server(pki["server_a"], pki["ca_a"].cert_pem)
    api = ApiClient(server.url(), pki["ca_a"].cert_pem)

    assert api.health().status == "ok"


def test_changed_ca_is_refused_with_both_fingerprints(pki: dict[str, Any], tls_server: Any) -> None:
    server = tls_server(pki["server_b"], pki["ca_b"].cert_pem)
    api = ApiClient(server.url(), pki["ca_a"].cert_pem)

    with pytest.raises(CertificateChanged) as caught:
        api.health()

    assert caught.value.pinned_fingerprint == fingerprint(pki["ca_a"].cert_pem)
    assert caught.value.presented_fingerprint == fingerprint(pki["ca_b"].cert_pem)


def test_same_ca_but_wrong_address_is_not_called_a_changed_ca(
    pki: dict[str, Any], tls_server: Any
) -> None:
    server = tls_server(pki["server_a_elsewhere"], pki["ca_a"].cert_pem)
    api = ApiClient(server.url(), pki["ca_a"].cert_pem)

    with pytest.raises(CertificateRejected) as caught:
        api.health()

    assert caught.value.reason is RejectReason.HOSTNAME_MISMATCH


def test_pinned_context_trusts_only_the_pinned_ca(pki: dict[str, Any]) -> None:
    context = pinned_context(pki["ca_a"].cert_pem)

    assert len(context.get_ca_certs()) == 1
    assert context.check_hostname


def test_nothing_listening_is_unreachable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound, not listening: connections are refused

        with pytest.raises(ServerUnreachable) as caught:
            fetch_server_ca(f"https://127.0.0.1:{port}", timeout=2)
        with pytest.raises(ServerUnreachable):
            ApiClient(f"https://127.0.0.1:{port}", None, timeout=2, retry_budget=0).health()

    assert caught.value.host == f"127.0.0.1:{port}"


def test_fingerprint_is_grouped_for_reading(pki: dict[str, Any]) -> None:
    value = fingerprint(pki["ca_a"].cert_pem)

    lines = grouped_fingerprint(value).splitlines()

    assert len(lines) == 4
    assert lines[0] == " ".join(value.split(":")[:8])
