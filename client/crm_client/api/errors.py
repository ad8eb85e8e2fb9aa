"""Failures that happen on the client's side of the wire and so have no ``ErrorBody``.

Everything the server says arrives as a ``crm_common.errors.ApiError`` subclass. These are
the other cases: the server cannot be reached at all, or it can be reached but its TLS
certificate is not the one we trust. They are deliberately *not* ``ApiError``s: code that
handles "the server refused" must not mistake "there was no server" for it.
"""

from __future__ import annotations

from enum import StrEnum
from urllib.parse import urlsplit


def host_of(base_url: str) -> str:
    """``host:port`` of a server address, for messages."""
    parts = urlsplit(base_url)
    return parts.netloc or base_url


class ClientError(Exception):
    """Base of the errors the client raises itself."""


class ServerUnreachable(ClientError):
    """No HTTP answer: connection refused, timeout, DNS failure, network down."""

    def __init__(self, base_url: str, reason: str) -> None:
        super().__init__(f"cannot reach {base_url}: {reason}")
        self.base_url = base_url
        self.reason = reason

    @property
    def host(self) -> str:
        return host_of(self.base_url)


class DownloadCancelled(ClientError):
    """The person stopped a download."""


class CertificateError(ClientError):
    """The server answered TLS with a certificate we do not accept."""


class CertificateChanged(CertificateError):
    """The server no longer presents a certificate from the CA pinned for it.

    ``presented_fingerprint`` is the CA the server publishes now (fetched without
    verification only to show it), or None when it could not be fetched at all.
    """

    def __init__(self, pinned_fingerprint: str, presented_fingerprint: str | None) -> None:
        super().__init__(
            f"the server's certificate authority has changed: pinned {pinned_fingerprint}, "
            f"presented {presented_fingerprint or 'unknown'}"
        )
        self.pinned_fingerprint = pinned_fingerprint
        self.presented_fingerprint = presented_fingerprint


class RejectReason(StrEnum):
    """Why a certificate was rejected although its CA is the expected one."""

    NOT_PUBLISHED = "not_published"  # no CA at /api/v1/tls/ca.pem: probably not a CRM server
    INVALID_CA = "invalid_ca"  # what it published is not a certificate
    HOSTNAME_MISMATCH = "hostname_mismatch"  # certificate issued for other names
    EXPIRED = "expired"
    DOES_NOT_VERIFY = "does_not_verify"  # anything else OpenSSL refuses


class CertificateRejected(CertificateError):
    """The certificate does not verify for another reason than a changed CA."""

    def __init__(self, base_url: str, reason: RejectReason, detail: str = "") -> None:
        super().__init__(f"certificate of {base_url} rejected: {reason} {detail}".strip())
        self.base_url = base_url
        self.reason = reason
        self.detail = detail

    @property
    def host(self) -> str:
        return host_of(self.base_url)
