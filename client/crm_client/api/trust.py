"""Trust on first use of the server's private certificate authority.

The server runs with a certificate issued by its own CA, which no operating system trusts.
On first contact the client downloads that CA *without* verification, proves that the server
really presents a certificate issued by it, and shows its fingerprint so a person can compare
it with the one IT printed (``crm-server cert``). From then on that CA — and only that CA —
is pinned for the server; a different one is refused (``CertificateChanged``).
"""

from __future__ import annotations

import ssl

import httpx

from crm_client.api.errors import (
    CertificateRejected,
    RejectReason,
    ServerUnreachable,
)
from crm_common import API_PREFIX
from crm_common.tlsinfo import fingerprint

CA_PATH = f"{API_PREFIX}/tls/ca.pem"
HEALTH_PATH = f"{API_PREFIX}/health"
# OpenSSL verify codes worth a specific explanation.
_X509_V_ERR_CERT_HAS_EXPIRED = 10
_X509_V_ERR_HOSTNAME_MISMATCH = 62
_X509_V_ERR_IP_ADDRESS_MISMATCH = 64


def pinned_context(ca_pem: str) -> ssl.SSLContext:
    """Verify against ``ca_pem`` only (no system roots), host names checked, TLS 1.2+."""
    context = ssl.create_default_context(cadata=ca_pem)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def system_context() -> ssl.SSLContext:
    """Verify against the operating system's roots (a company certificate from a public or
    domain CA that IT already distributed)."""
    context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def unverified_context() -> ssl.SSLContext:
    """For the one download whose result is verified afterwards (and shown to a person)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def verification_error(exc: BaseException) -> ssl.SSLCertVerificationError | None:
    """The certificate verification failure behind a transport error, if that is what it is."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLCertVerificationError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def reject_reason(error: ssl.SSLCertVerificationError) -> RejectReason:
    if error.verify_code in (_X509_V_ERR_HOSTNAME_MISMATCH, _X509_V_ERR_IP_ADDRESS_MISMATCH):
        return RejectReason.HOSTNAME_MISMATCH
    if error.verify_code == _X509_V_ERR_CERT_HAS_EXPIRED:
        return RejectReason.EXPIRED
    return RejectReason.DOES_NOT_VERIFY


def download_ca(base_url: str, timeout: float = 10.0) -> str:
    """The CA the server publishes, fetched without verification. Raises ``ServerUnreachable``
    or ``CertificateRejected`` (nothing published / not a certificate)."""
    url = base_url.rstrip("/") + CA_PATH
    try:
        response = httpx.get(url, verify=unverified_context(), timeout=timeout)
    except httpx.TransportError as exc:
        raise ServerUnreachable(base_url, str(exc) or type(exc).__name__) from exc
    if response.status_code != 200:
        raise CertificateRejected(
            base_url, RejectReason.NOT_PUBLISHED, f"HTTP {response.status_code}"
        )
    pem = response.text
    try:
        fingerprint(pem)
        pinned_context(pem)
    except (ValueError, ssl.SSLError) as exc:
        raise CertificateRejected(base_url, RejectReason.INVALID_CA, str(exc)) from exc
    return pem


def check_server_verifies(base_url: str, ca_pem: str, timeout: float = 10.0) -> None:
    """Open a verified connection with ``ca_pem`` as the only root; any HTTP answer proves
    that the server's certificate chains to it and matches the address."""
    url = base_url.rstrip("/") + HEALTH_PATH
    try:
        httpx.get(url, verify=pinned_context(ca_pem), timeout=timeout)
    except httpx.TransportError as exc:
        failure = verification_error(exc)
        if failure is None:
            raise ServerUnreachable(base_url, str(exc) or type(exc).__name__) from exc
        raise CertificateRejected(
            base_url, reject_reason(failure), failure.verify_message or str(failure)
        ) from exc


def fetch_server_ca(base_url: str, timeout: float = 10.0) -> str:
    """First contact: the server's CA (PEM), once it is proven to issue the server's
    certificate for this address. The caller shows its fingerprint before pinning it."""
    pem = download_ca(base_url, timeout)
    check_server_verifies(base_url, pem, timeout)
    return pem


def presented_ca_fingerprint(base_url: str, timeout: float = 10.0) -> str | None:
    """Fingerprint of the CA the server publishes now, only to explain a refusal."""
    try:
        return fingerprint(download_ca(base_url, timeout))
    except (ServerUnreachable, CertificateRejected):
        return None


def grouped_fingerprint(value: str, per_line: int = 8) -> str:
    """``AB:CD:…`` laid out in lines of ``per_line`` bytes, easy to compare by eye."""
    octets = value.split(":")
    lines = [" ".join(octets[i : i + per_line]) for i in range(0, len(octets), per_line)]
    return "\n".join(lines)
