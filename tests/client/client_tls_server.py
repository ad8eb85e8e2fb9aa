"""A tiny HTTPS server for the client's TLS tests (trust on first use, changed CA, host names).

Only TLS behaviour is tested against it; everything else runs against the real server
(``live_server``). Certificate authorities and server certificates are made by the server's
own code (``crm_server.security.tls``), as ``crm-server init`` makes them.
"""

from __future__ import annotations

import json
import ssl
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

from crm_server.security import tls
from crm_server.settings import Settings, load_settings

HEALTH = {
    "status": "ok",
    "database": "ok",
    "migration": "0001",
    "expected_migration": "0001",
    "version": "test",
}


@dataclass(frozen=True)
class Pair:
    """A certificate (PEM, with its chain) and the file holding its key."""

    cert_file: Path
    key_file: Path

    @property
    def cert_pem(self) -> str:
        return self.cert_file.read_text("ascii")


def make_ca(directory: Path) -> Settings:
    """A private CA made by the server's own code, in ``directory``."""
    settings = load_settings(directory)
    tls.ensure_ca(settings)
    return settings


def ca_pair(ca: Settings) -> Pair:
    return Pair(ca.path(ca.tls_ca_cert), ca.path(ca.tls_ca_key))


def issue(ca: Settings, names: tuple[str, ...], name: str) -> Pair:
    """A server certificate from ``ca`` for DNS names / IP addresses ``names``."""
    target = ca.model_copy(update={"tls_cert": Path(f"{name}.crt"),
                                   "tls_key": Path(f"{name}.key")})
    tls.issue_server_certificate(target, list(names))
    return Pair(target.path(target.tls_cert), target.path(target.tls_key))


@dataclass
class TlsTestServer:
    """Serves ``published_ca`` at /api/v1/tls/ca.pem and a health document, over TLS with
    ``server`` as its certificate. ``routes`` adds canned answers: path → (status, type,
    body)."""

    server: Pair
    published_ca: str
    directory: Path
    routes: dict[str, tuple[int, str, bytes]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.server.cert_file, self.server.key_file)
        self.routes.setdefault(
            "/api/v1/tls/ca.pem", (200, "application/x-pem-file", self.published_ca.encode())
        )
        self.routes.setdefault(
            "/api/v1/health", (200, "application/json", json.dumps(HEALTH).encode())
        )
        handler = type("Handler", (_Handler,), {"routes": self.routes})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def url(self, host: str = "127.0.0.1") -> str:
        return f"https://{host}:{self.port}"

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(5)


class _Handler(BaseHTTPRequestHandler):
    routes: ClassVar[dict[str, tuple[int, str, bytes]]] = {}

    def do_GET(self) -> None:
        status, content_type, body = self.routes.get(
            self.path.split("?")[0], (404, "text/plain", b"not found")
        )
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: test output is for failures."""
