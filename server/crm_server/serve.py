"""Run the API under uvicorn: HTTPS with TLS 1.2 as the floor, plain HTTP only for a developer
on the loopback interface.

uvicorn is driven programmatically (not through its CLI) so that the TLS floor is set on the
very context it serves with, and so that the refusal of plain HTTP cannot be bypassed by a
command-line flag.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any

import uvicorn

from crm_server import memory
from crm_server.security import tls
from crm_server.settings import Settings

# Requests still running after SIGTERM get this long; below systemd's TimeoutStopSec (30 s).
GRACEFUL_SHUTDOWN_SECONDS = 20


class ServeError(Exception):
    """The server must not start with this configuration; the message says why."""


def run(settings: Settings) -> None:
    """Serve until interrupted (SIGINT/SIGTERM end it gracefully)."""
    from crm_server.app import create_app

    memory.tune_allocator()
    if not settings.dev_plain_http:
        tls.ensure_tls(settings)
    config = build_config(settings, create_app(settings))
    print(startup_line(settings), flush=True)
    uvicorn.Server(config).run()


def build_config(settings: Settings, app: Callable[..., Any]) -> uvicorn.Config:
    """A loaded uvicorn configuration for ``app``; refuses plain HTTP off the loopback."""
    certfile = keyfile = None
    if settings.dev_plain_http:
        _require_loopback(settings.host)
    else:
        certfile, keyfile = settings.path(settings.tls_cert), settings.path(settings.tls_key)
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        ssl_certfile=certfile,
        ssl_keyfile=keyfile,
        log_level=settings.log_level,
        proxy_headers=False,  # no proxy is trusted to tell us the client's address
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
    )
    config.load()
    if config.ssl is not None:
        # Our context instead of uvicorn's: the TLS 1.2 floor, and OpenSSL's default ciphers
        # whatever uvicorn release is installed (older ones forced the weak "TLSv1" list).
        config.ssl = tls.server_ssl_context(settings)
    return config


def startup_line(settings: Settings) -> str:
    """What IT sees on start: where clients connect and which CA fingerprint they confirm."""
    if settings.dev_plain_http:
        return f"CRM server on {public_url(settings)} (plain HTTP, development only)"
    try:
        pin = f"CA fingerprint (SHA-256) {tls.ca_fingerprint(settings)}"
    except tls.TlsError:
        pin = "company certificate, no CA file configured (tls_ca_cert)"
    return f"CRM server on {public_url(settings)}  {pin}"


def public_url(settings: Settings) -> str:
    """The address clients use; for a wildcard bind, the first name in the certificate."""
    host = settings.host
    if host in {"0.0.0.0", "::", ""}:
        host = _certificate_name(settings)
    if ":" in host:
        host = f"[{host}]"
    scheme = "http" if settings.dev_plain_http else "https"
    return f"{scheme}://{host}:{settings.port}"


def _certificate_name(settings: Settings) -> str:
    try:
        names = tls.certificate_hosts(settings.path(settings.tls_cert))
    except (OSError, ValueError):  # no certificate yet, or not PEM
        names = []
    return next((name for name in names if not is_loopback(name)), socket.gethostname())


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _require_loopback(host: str) -> None:
    if not is_loopback(host):
        raise ServeError(
            f"plain HTTP (dev_plain_http) is only allowed on 127.0.0.1, not on {host!r}: "
            "passwords and customer data would cross the network unencrypted. "
            "Remove dev_plain_http to serve HTTPS."
        )
