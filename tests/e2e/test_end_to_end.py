"""End to end: the real ``crm-server`` process over TLS, driven by the real client code.

IT's path (``crm-server init``, ``crm-server run``) and a user's path (trust the CA on
first contact, sign in, create and edit a customer, lose a race to a colleague, search by
pinyin initials) — and the refusal of a server whose CA changed. The server process is the
shared ``server`` fixture of ``conftest.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import builders
from crm_client.api.client import ApiClient
from crm_client.api.errors import CertificateChanged
from crm_client.api.trust import fetch_server_ca
from crm_common.entities import entity
from crm_common.errors import StaleVersion, Unauthenticated
from crm_common.tlsinfo import fingerprint

CUSTOMER = entity("customer")


def test_first_contact_shows_the_ca_that_signed_the_server(server: tuple[str, Path]) -> None:
    url, data = server
    ca = fetch_server_ca(url)
    assert fingerprint(ca) == fingerprint((data / "tls" / "ca.crt").read_text("ascii"))


def test_sales_rep_day(server: tuple[str, Path]) -> None:
    url, _ = server
    ca = fetch_server_ca(url)
    admin = ApiClient(url, ca)
    admin.login("admin", builders.ADMIN_PASSWORD)
    admin.create(entity("user"), {"username": "e2e_rep", "name": "周销售",
                                  "password": builders.PASSWORD,
                                  "role_ids": [builders.role_id(admin, "sales_rep")]})

    rep, colleague = ApiClient(url, ca), ApiClient(url, ca)
    rep.login("e2e_rep", builders.PASSWORD)
    colleague.login("admin", builders.ADMIN_PASSWORD)
    made = rep.create(CUSTOMER, builders.customer(name="恒瑞精密机械有限公司"))
    edited = rep.update(CUSTOMER, made.id, made.version, {"level": "A"})  # type: ignore[attr-defined]
    assert edited.level == "A" and edited.version == 2  # type: ignore[attr-defined]

    colleague.update(CUSTOMER, made.id, 2, {"city": "南通市"})  # type: ignore[attr-defined]
    with pytest.raises(StaleVersion) as stale:
        rep.update(CUSTOMER, made.id, 2, {"city": "无锡市"})  # type: ignore[attr-defined]
    assert stale.value.data and stale.value.data["current"]["city"] == "南通市"

    found = rep.list(CUSTOMER, {"q": "hrjm"})
    assert made.id in [row.id for row in found.items]  # type: ignore[attr-defined]
    rep.logout()
    with pytest.raises(Unauthenticated):
        rep.me()


def test_a_changed_ca_is_refused(server: tuple[str, Path], tmp_path: Path) -> None:
    from crm_server.security.tls import ensure_ca
    from crm_server.settings import load_settings

    other = load_settings(tmp_path)
    ensure_ca(other)
    stranger = other.path(other.tls_ca_cert).read_text("ascii")
    url, _ = server
    with pytest.raises(CertificateChanged) as refused:
        ApiClient(url, stranger).health()
    assert refused.value.pinned_fingerprint == fingerprint(stranger)
    assert refused.value.presented_fingerprint == fingerprint(fetch_server_ca(url))
