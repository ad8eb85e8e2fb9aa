"""The private CA, the server certificate and the HTTPS listener, with real certificates and
real TLS handshakes on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import os
import socket
import ssl
import stat
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

import pytest
import uvicorn
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from crm_common.tlsinfo import fingerprint
from crm_server.security import tls
from crm_server.serve import ServeError, build_config, public_url
from crm_server.settings import Settings

LOOPBACK = ["localhost", "127.0.0.1"]
OLD_PROTOCOLS = pytest.mark.filterwarnings("ignore:ssl.TLSVersion.TLSv1:DeprecationWarning")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """A data directory with a CA and a server certificate for the loopback names."""
    configured = Settings(data_dir=tmp_path, port=_free_port())
    tls.ensure_tls(configured, LOOPBACK)
    return configured


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _file(settings: Settings, name: str) -> Path:
    return settings.path(getattr(settings, name))


def _load(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _client_context(settings: Settings) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.load_verify_locations(cadata=_file(settings, "tls_ca_cert").read_text("ascii"))
    return context


def _tls_1_1_client(settings: Settings) -> ssl.SSLContext:
    """A client that offers only TLS 1.0/1.1 (security level 0 lets OpenSSL 3 do that)."""
    context = _client_context(settings)
    context.minimum_version = ssl.TLSVersion.TLSv1
    context.maximum_version = ssl.TLSVersion.TLSv1_1
    context.set_ciphers("DEFAULT:@SECLEVEL=0")
    return context


@contextmanager
def _tls_listener(context: ssl.SSLContext) -> Iterator[tuple[int, list[Exception]]]:
    """A one-connection TLS server in a thread; yields its port and the errors it saw."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)
    errors: list[Exception] = []

    def serve() -> None:
        connection, _ = listener.accept()
        try:
            with context.wrap_socket(connection, server_side=True) as secured:
                secured.sendall(b"hello")
        except (ssl.SSLError, OSError) as error:
            errors.append(error)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], errors
    finally:
        thread.join(10)
        listener.close()


def _handshake(port: int, context: ssl.SSLContext, name: str = "127.0.0.1") -> str:
    """Connect, verify, read the greeting; returns the negotiated protocol version."""
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname=name) as secured,
    ):
        assert secured.recv(5) == b"hello"
        return str(secured.version())


def test_a_client_trusting_only_the_ca_completes_a_verified_handshake(settings: Settings) -> None:
    with _tls_listener(tls.server_ssl_context(settings)) as (port, errors):
        version = _handshake(port, _client_context(settings))
    assert version in {"TLSv1.2", "TLSv1.3"}
    assert errors == []


def test_a_client_trusting_another_ca_is_refused(settings: Settings, tmp_path: Path) -> None:
    other = Settings(data_dir=tmp_path / "other")
    tls.ensure_ca(other)
    with (
        _tls_listener(tls.server_ssl_context(settings)) as (port, _),
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        _handshake(port, _client_context(other))


def test_a_name_outside_the_certificate_fails_hostname_checks(settings: Settings) -> None:
    with (
        _tls_listener(tls.server_ssl_context(settings)) as (port, _),
        pytest.raises(ssl.SSLCertVerificationError, match="Hostname mismatch"),
    ):
        _handshake(port, _client_context(settings), name="crm.example.com")


@OLD_PROTOCOLS
def test_tls_1_1_is_refused_by_the_server(settings: Settings) -> None:
    with (
        _tls_listener(tls.server_ssl_context(settings)) as (port, errors),
        pytest.raises(ssl.SSLError, match="PROTOCOL_VERSION"),
    ):
        _handshake(port, _tls_1_1_client(settings))
    assert errors, "the server must have rejected the handshake"


@OLD_PROTOCOLS
def test_the_tls_1_1_client_does_work_against_a_permissive_server(settings: Settings) -> None:
    """Control for the test above: the refusal is the server's floor, not the client."""
    permissive = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    permissive.minimum_version = ssl.TLSVersion.TLSv1
    permissive.set_ciphers("DEFAULT:@SECLEVEL=0")
    permissive.load_cert_chain(_file(settings, "tls_cert"), _file(settings, "tls_key"))
    with _tls_listener(permissive) as (port, _):
        assert _handshake(port, _tls_1_1_client(settings)) == "TLSv1.1"


def test_server_context_has_a_tls_1_2_floor(settings: Settings) -> None:
    assert tls.server_ssl_context(settings).minimum_version == ssl.TLSVersion.TLSv1_2


def test_the_ca_is_a_ten_year_pathlen_0_signing_ca(settings: Settings) -> None:
    ca = _load(_file(settings, "tls_ca_cert"))
    constraints = ca.extensions.get_extension_for_class(x509.BasicConstraints)
    usage = ca.extensions.get_extension_for_class(x509.KeyUsage).value
    assert constraints.critical and constraints.value.ca and constraints.value.path_length == 0
    assert usage.key_cert_sign and usage.crl_sign and not usage.digital_signature
    common_name = ca.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
    assert common_name == f"CRM Private CA {socket.gethostname()}"
    assert _lifetime(ca) > dt.timedelta(days=3649)


def test_the_server_certificate_is_a_two_year_server_auth_leaf(settings: Settings) -> None:
    leaf = _load(_file(settings, "tls_cert"))
    usage = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(usage) == [ExtendedKeyUsageOID.SERVER_AUTH]
    assert not leaf.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert dt.timedelta(days=729) < _lifetime(leaf) <= dt.timedelta(days=731)
    assert tls.certificate_hosts(_file(settings, "tls_cert")) == LOOPBACK


def _lifetime(cert: x509.Certificate) -> dt.timedelta:
    return cert.not_valid_after_utc - cert.not_valid_before_utc


def test_the_certificate_file_is_a_chain_ending_with_the_ca(settings: Settings) -> None:
    chain = x509.load_pem_x509_certificates(_file(settings, "tls_cert").read_bytes())
    assert len(chain) == 2
    assert chain[1] == _load(_file(settings, "tls_ca_cert"))
    chain[0].verify_directly_issued_by(chain[1])


def test_default_names_cover_this_machine_and_loopback(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    tls.ensure_tls(settings)
    names = tls.certificate_hosts(_file(settings, "tls_cert"))
    for expected in (socket.gethostname(), "localhost", "127.0.0.1", "::1"):
        assert expected in names
    assert not any(name.startswith("127.0.1.") for name in names)


def test_names_are_found_even_where_interfaces_cannot_be_listed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Under the systemd unit (no AF_NETLINK) interface listing fails; names still come."""

    def refused() -> list[tuple[int, str]]:
        raise OSError("address family not supported")

    monkeypatch.setattr(socket, "if_nameindex", refused)
    assert {socket.gethostname(), "localhost", "127.0.0.1", "::1"} <= set(tls.default_hosts())


def test_ip_and_dns_names_get_the_right_san_types(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)
    tls.ensure_ca(settings)
    path = tls.issue_server_certificate(settings, ["crm.example.cn", "10.1.2.3", "::1"])
    san = _load(path).extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert san.get_values_for_type(x509.DNSName) == ["crm.example.cn"]
    assert [str(ip) for ip in san.get_values_for_type(x509.IPAddress)] == ["10.1.2.3", "::1"]


def test_private_keys_are_readable_by_the_owner_only(settings: Settings) -> None:
    for name in ("tls_key", "tls_ca_key"):
        assert stat.S_IMODE(_file(settings, name).stat().st_mode) == 0o600


def test_re_running_keeps_the_ca_and_its_key(settings: Settings) -> None:
    ca_path, key_path = _file(settings, "tls_ca_cert"), _file(settings, "tls_ca_key")
    before = (ca_path.read_bytes(), key_path.read_bytes())
    tls.ensure_ca(settings)
    tls.ensure_tls(settings)
    tls.issue_server_certificate(settings, LOOPBACK)
    assert (ca_path.read_bytes(), key_path.read_bytes()) == before


def test_a_lost_ca_certificate_is_rebuilt_from_the_kept_key(settings: Settings) -> None:
    ca_path, key_path = _file(settings, "tls_ca_cert"), _file(settings, "tls_ca_key")
    key = key_path.read_bytes()
    ca_path.unlink()
    tls.ensure_ca(settings)
    assert key_path.read_bytes() == key
    _load(_file(settings, "tls_cert")).verify_directly_issued_by(_load(ca_path))


def test_the_fingerprint_is_the_shared_one_of_the_ca(settings: Settings) -> None:
    pem = _file(settings, "tls_ca_cert").read_text("ascii")
    assert tls.ca_fingerprint(settings) == fingerprint(pem)
    assert len(tls.ca_fingerprint(settings).split(":")) == 32


def test_a_company_certificate_is_used_as_is(tmp_path: Path) -> None:
    company = Settings(data_dir=tmp_path / "company")
    tls.ensure_tls(company, ["crm.corp.example"])
    cert, key = _file(company, "tls_cert"), _file(company, "tls_key")
    settings = Settings(data_dir=tmp_path / "data", tls_cert=cert, tls_key=key)
    before = cert.read_bytes()
    tls.ensure_tls(settings)
    assert cert.read_bytes() == before
    assert not _file(settings, "tls_ca_cert").exists()
    assert not tls.is_issued_by_our_ca(settings)


def test_a_certificate_without_its_key_is_an_error(settings: Settings) -> None:
    _file(settings, "tls_key").unlink()
    with pytest.raises(tls.TlsError, match=r"server\.key does not"):
        tls.ensure_tls(settings)


def test_without_the_ca_key_no_certificate_is_issued(settings: Settings) -> None:
    _file(settings, "tls_ca_key").unlink()
    _file(settings, "tls_cert").unlink()
    _file(settings, "tls_key").unlink()
    with pytest.raises(tls.TlsError, match="company certificate"):
        tls.ensure_tls(settings)


def test_our_certificate_is_renewed_shortly_before_it_expires(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = Settings(data_dir=tmp_path)
    monkeypatch.setattr(tls, "SERVER_LIFETIME", dt.timedelta(days=10))
    tls.ensure_tls(settings, ["crm.example.cn", "10.1.2.3"])
    expiring = _load(_file(settings, "tls_cert"))
    monkeypatch.undo()
    tls.ensure_tls(settings)
    renewed = _load(_file(settings, "tls_cert"))
    assert renewed.serial_number != expiring.serial_number
    assert renewed.not_valid_after_utc > expiring.not_valid_after_utc + dt.timedelta(days=700)
    assert tls.certificate_hosts(_file(settings, "tls_cert")) == ["crm.example.cn", "10.1.2.3"]


def test_a_valid_certificate_is_not_renewed(settings: Settings) -> None:
    before = _file(settings, "tls_cert").read_bytes()
    tls.ensure_tls(settings)
    assert _file(settings, "tls_cert").read_bytes() == before


async def _hello_app(scope: dict[str, Any], receive: Callable[..., Any], send: Any) -> None:
    """The smallest ASGI app: the listener, not the API, is under test here."""
    if scope["type"] != "http":
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"hello"})


@contextmanager
def _uvicorn(settings: Settings) -> Iterator[int]:
    """One server process: uvicorn with ``build_config``, in a thread."""
    quiet = settings.model_copy(update={"log_level": "warning"})
    server = uvicorn.Server(build_config(quiet, _hello_app))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        for _ in range(200):
            if server.started:
                break
            threading.Event().wait(0.05)
        assert server.started
        yield settings.port
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def _two_workers(settings: Settings) -> Iterator[int]:
    """``serve.run`` with two worker processes sharing the port, in a child process."""
    script = "import sys; from crm_server import serve, settings; " \
             "serve.run(settings.load_settings(sys.argv[1]))"
    environment = {**os.environ, "CRM_PORT": str(settings.port), "CRM_WORKERS": "2",
                   "CRM_LOG_LEVEL": "warning"}
    server = subprocess.Popen([sys.executable, "-c", script, str(settings.data_dir)],
                              env=environment, stdout=subprocess.DEVNULL)
    try:
        for _ in range(200):
            try:
                _get(settings.port, _client_context(settings))
                break
            except OSError:  # not listening yet, or no worker serving yet
                threading.Event().wait(0.1)
        yield settings.port
    finally:
        server.terminate()
        assert server.wait(30) == 0


def _get(port: int, context: ssl.SSLContext) -> bytes:
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
        context.wrap_socket(raw, server_hostname="127.0.0.1") as secured,
    ):
        request = b"GET /api/v1/tls/ca.pem HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
        secured.sendall(request)
        return secured.recv(4096)


@OLD_PROTOCOLS
@pytest.mark.parametrize("listener", [_uvicorn, _two_workers], ids=["one", "two workers"])
def test_the_real_listener_serves_tls_1_2_and_up_only(
    settings: Settings, listener: Callable[[Settings], AbstractContextManager[int]]
) -> None:
    """Several connections each, so that with two workers both are almost surely asked."""
    with listener(settings) as port:
        for _ in range(6):
            assert _get(port, _client_context(settings)).startswith(b"HTTP/1.1 200")
            # The handshake itself fails, so no request is ever sent. How it surfaces depends
            # on the Python and OpenSSL build (a protocol alert, an EOF, a reset); any will do.
            with (
                socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
                pytest.raises((ssl.SSLError, ConnectionError)),
            ):
                _tls_1_1_client(settings).wrap_socket(raw, server_hostname="127.0.0.1")


def test_plain_http_is_refused_off_the_loopback(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, dev_plain_http=True, host="0.0.0.0")
    with pytest.raises(ServeError, match=r"only allowed on 127\.0\.0\.1"):
        build_config(settings, _hello_app)


def test_plain_http_is_allowed_for_development_on_the_loopback(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, dev_plain_http=True, host="127.0.0.1")
    assert build_config(settings, _hello_app).ssl is None


def test_the_client_drops_an_idle_connection_before_the_server_closes_it(
        tmp_path: Path) -> None:
    """Else a request sent as the server closes its idle connection gets no answer."""
    from crm_client.api.client import KEEPALIVE_SECONDS, ApiClient

    settings = Settings(data_dir=tmp_path, dev_plain_http=True, host="127.0.0.1")
    server_keeps = build_config(settings, _hello_app).timeout_keep_alive
    client = ApiClient("http://127.0.0.1:1", None)
    try:
        pool = client._http._transport._pool  # type: ignore[attr-defined]
        assert pool._keepalive_expiry == KEEPALIVE_SECONDS
    finally:
        client.close()
    assert server_keeps >= KEEPALIVE_SECONDS + 5


@pytest.mark.parametrize(
    ("host", "names", "expected"),
    [
        ("0.0.0.0", ["localhost", "crm.example.cn", "10.1.2.3"], "https://crm.example.cn:8443"),
        ("0.0.0.0", ["::1", "fd00::5"], "https://[fd00::5]:8443"),
        ("::1", ["localhost"], "https://[::1]:8443"),
        ("10.1.2.3", ["crm.example.cn"], "https://10.1.2.3:8443"),
    ],
)
def test_the_advertised_url_is_one_clients_can_verify(
    host: str, names: list[str], expected: str, tmp_path: Path
) -> None:
    settings = Settings(data_dir=tmp_path, host=host)
    tls.ensure_tls(settings, names)
    assert public_url(settings) == expected


def test_a_wildcard_bind_without_a_certificate_advertises_the_host_name(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, host="0.0.0.0", port=9443)
    assert public_url(settings) == f"https://{socket.gethostname()}:9443"
