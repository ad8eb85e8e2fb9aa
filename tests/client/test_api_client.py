"""``ApiClient`` against the real server over TLS: typed results, typed errors, paging,
attachments; plus how bodies that are not ours (a proxy answering) are reported."""

from __future__ import annotations

import re
import uuid
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

import pytest
from client_tls_server import Pair

import crm_client
from crm_client.api.client import (
    ApiClient,
    filename_from_disposition,
    normalise_base_url,
    query_params,
    unique_path,
    user_agent,
)
from crm_client.api.errors import ServerUnreachable
from crm_common.entities import entity
from crm_common.errors import (
    DuplicateWarning,
    InternalError,
    NotFound,
    StaleVersion,
    Unauthenticated,
    Unavailable,
    ValidationFailed,
)
from crm_common.schemas.customer import CustomerRead

CUSTOMER = entity("customer")
CONTACT = entity("contact")

PASSWORD = "demo1234"  # every demo user's password (crm_server.demo)


def unique_name(prefix: str = "测试") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}科技有限公司"


# --- pure helpers ---------------------------------------------------------------------------


class _Level(StrEnum):
    A = "A"


def test_query_params_drop_none_repeat_lists_and_spell_values() -> None:
    params = {
        "q": None,
        "level": ["A", "B"],
        "is_primary": True,
        "day": date(2025, 3, 1),
        "kind": _Level.A,
        "limit": 50,
    }

    assert query_params(params) == [
        ("level", "A"),
        ("level", "B"),
        ("is_primary", "true"),
        ("day", "2025-03-01"),
        ("kind", "A"),
        ("limit", "50"),
    ]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("crm.company.local:8443", "https://crm.company.local:8443"),
        ("HTTPS://CRM.Company.Local:8443/ ", "https://crm.company.local:8443"),
        ("https://10.0.0.5", "https://10.0.0.5"),
    ],
)
def test_server_addresses_are_normalised(typed: str, expected: str) -> None:
    assert normalise_base_url(typed) == expected


@pytest.mark.parametrize("typed", ["", "ftp://crm", "https://"])
def test_what_is_not_a_server_address_is_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        normalise_base_url(typed)


def test_download_names_come_from_the_header_and_are_made_safe(tmp_path: Path) -> None:
    header = "attachment; filename=\"x.pdf\"; filename*=UTF-8''%E6%8A%A5%E4%BB%B7%E5%8D%95.pdf"
    assert filename_from_disposition(header) == "报价单.pdf"
    assert filename_from_disposition('attachment; filename="..\\..\\evil.exe"') == "evil.exe"
    (tmp_path / "a.txt").write_text("taken")
    assert unique_path(tmp_path, "a.txt").name == "a (2).txt"


# --- against the real server -------------------------------------------------------------------


def test_sign_in_me_and_sign_out(live_server: Any) -> None:
    api = ApiClient(live_server.base_url, live_server.ca_pem, language="en")

    login = api.login("sales", PASSWORD)
    me = api.me()
    api.logout()

    assert login.user.username == "sales" and me.user.id == login.user.id
    assert api.token is None
    with pytest.raises(Unauthenticated):
        api.me()


def test_wrong_password_is_unauthenticated_with_a_translated_message(live_server: Any) -> None:
    api = ApiClient(live_server.base_url, live_server.ca_pem, language="zh_CN")

    with pytest.raises(Unauthenticated) as caught:
        api.login("sales", "not-the-password")

    assert any("\u4e00" <= char <= "\u9fff" for char in caught.value.detail)


def test_health_needs_no_token(live_server: Any) -> None:
    api = ApiClient(live_server.base_url, live_server.ca_pem)
    assert api.health().status == "ok"


def test_list_pages_by_cursor(sales_api: ApiClient) -> None:
    first = sales_api.list(CUSTOMER, {"sort": "name", "limit": 5})
    second = sales_api.list(CUSTOMER, {"sort": "name", "limit": 5, "after": first.next})

    assert len(first.items) == 5 and first.next is not None and first.total >= 10
    assert all(isinstance(item, CustomerRead) for item in first.items)
    assert not {c.id for c in first.items} & {c.id for c in second.items}


def test_filters_are_sent_as_query_parameters(sales_api: ApiClient) -> None:
    me = sales_api.me().user.id

    page = sales_api.list(CUSTOMER, {"owner_id": me, "level": ["A", "key"], "limit": 50})

    assert page.items
    assert all(c.owner_id == me and c.level in ("A", "key") for c in page.items)


def test_create_update_stale_delete_restore_history(sales_api: ApiClient) -> None:
    created = sales_api.create(CUSTOMER, {"name": unique_name(), "level": "B"})
    updated = sales_api.update(CUSTOMER, created.id, created.version, {"city": "苏州市"})

    with pytest.raises(StaleVersion) as stale:
        sales_api.update(CUSTOMER, created.id, created.version, {"city": "无锡市"})
    sales_api.delete(CUSTOMER, created.id, updated.version)
    with pytest.raises(NotFound):
        sales_api.get(CUSTOMER, created.id)
    restored = sales_api.restore(CUSTOMER, created.id)
    history = sales_api.history(CUSTOMER, created.id)

    assert updated.city == "苏州市" and stale.value.data is not None
    assert restored.deleted_at is None
    assert {entry.action for entry in history} >= {"create", "update"}


def test_validation_errors_name_the_fields(sales_api: ApiClient) -> None:
    with pytest.raises(ValidationFailed) as caught:
        sales_api.create(CUSTOMER, {"name": unique_name(), "uscc": "123"})

    assert caught.value.fields and "uscc" in caught.value.fields


def test_duplicate_warning_then_confirm(sales_api: ApiClient) -> None:
    name = unique_name("重复")
    first = sales_api.create(CUSTOMER, {"name": name})

    with pytest.raises(DuplicateWarning) as caught:
        sales_api.create(CUSTOMER, {"name": name})
    second = sales_api.create(CUSTOMER, {"name": name}, confirm=True)
    matches = sales_api.find_duplicates(name, None)

    assert caught.value.data and caught.value.data.get("matches")
    assert second.id != first.id
    assert {m.id for m in matches} >= {first.id, second.id}


def test_search_finds_by_pinyin_initials(sales_api: ApiClient) -> None:
    created = sales_api.create(CUSTOMER, {"name": "华为技术测试" + uuid.uuid4().hex[:4]})

    hits = sales_api.search("hwjscs", limit=50)

    assert any(hit.entity == "customer" and hit.id == created.id for hit in hits)


def test_upload_and_download_keep_name_and_bytes(sales_api: ApiClient, tmp_path: Path) -> None:
    customer = sales_api.create(CUSTOMER, {"name": unique_name()})
    source = tmp_path / "报价单 v2.txt"
    source.write_bytes("设备报价\n".encode() * 100)
    downloads = tmp_path / "downloads"
    downloads.mkdir()

    attachment = sales_api.upload("customer", customer.id, source)
    saved = sales_api.download(attachment.id, downloads)
    again = sales_api.download(attachment.id, downloads)

    assert attachment.filename == "报价单 v2.txt" and attachment.size == source.stat().st_size
    assert saved.name == "报价单 v2.txt" and saved.read_bytes() == source.read_bytes()
    assert again.name == "报价单 v2 (2).txt"
    assert sorted(p.name for p in downloads.iterdir()) == [again.name, saved.name]


def test_get_of_a_missing_record_is_not_found(sales_api: ApiClient) -> None:
    with pytest.raises(NotFound):
        sales_api.get(CONTACT, 987_654_321)


# --- bodies that are not ours ----------------------------------------------------------------


def test_a_proxy_error_page_becomes_unavailable(pki: dict[str, Pair], tls_server: Any) -> None:
    routes = {"/api/v1/me": (502, "text/html", b"<html>Bad Gateway</html>")}
    server = tls_server(pki["server_a"], pki["ca_a"].cert_pem, routes)
    api = ApiClient(server.url(), pki["ca_a"].cert_pem, language="en", retry_budget=0)

    with pytest.raises(Unavailable) as caught:
        api.me()

    assert "502" in caught.value.detail


def test_a_non_json_server_error_becomes_internal_error(
    pki: dict[str, Pair], tls_server: Any
) -> None:
    routes = {"/api/v1/me": (500, "text/plain", b"Traceback ...")}
    server = tls_server(pki["server_a"], pki["ca_a"].cert_pem, routes)
    api = ApiClient(server.url(), pki["ca_a"].cert_pem, language="zh_CN")

    with pytest.raises(InternalError) as caught:
        api.me()

    assert "500" in caught.value.detail and "HTTP" in caught.value.detail


def test_a_stopped_server_is_unreachable(pki: dict[str, Pair], tls_server: Any) -> None:
    server = tls_server(pki["server_a"], pki["ca_a"].cert_pem)
    api = ApiClient(server.url(), pki["ca_a"].cert_pem, timeout=2, retry_budget=0)
    assert api.health().status == "ok"

    server.stop()

    with pytest.raises(ServerUnreachable):
        api.health()


def test_sessions_show_the_client_name_and_version(live_server: Any) -> None:
    """Not "python-httpx/0.29.0": the session list says which client signed in."""
    api = ApiClient(live_server.base_url, live_server.ca_pem, language="en")
    api.login("admin", PASSWORD)
    try:
        mine = next(s for s in api.sessions() if s.current)
        assert mine.user_agent == user_agent()
        assert re.fullmatch(rf"CRM-Client/{re.escape(crm_client.__version__)} \(.+\)",
                            mine.user_agent)
    finally:
        api.close()
