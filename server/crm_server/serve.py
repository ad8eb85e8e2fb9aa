"""Run the API under uvicorn: HTTPS with TLS 1.2 as the floor, plain HTTP only for a developer
on the loopback interface, in one process or in ``settings.worker_count`` worker processes.

uvicorn is driven programmatically (not through its CLI) so that the TLS floor is set on the
very context it serves with, and so that the refusal of plain HTTP cannot be bypassed by a
command-line flag. With several workers, ``crm_server.supervisor`` binds the port once and
forks the workers; each builds its configuration with ``build_config`` like the single
process does, so every listener has the same TLS context. (uvicorn's own supervisor spawns
fresh interpreters and pickles the configuration to them: each would rebuild uvicorn's TLS
context instead of ours, and the application would have to be named by an import string.)
"""

from __future__ import annotations

import copy
import ipaddress
import logging.config
import os
import signal
import socket
from collections.abc import Callable
from functools import partial
from typing import Any

import uvicorn
from uvicorn.config import LOGGING_CONFIG

from crm_server import memory, supervisor
from crm_server.domains.backups import service as backups
from crm_server.security import tls
from crm_server.settings import MIN_CONNECTIONS_PER_WORKER, Settings

# Requests still running after SIGTERM get this long; below systemd's TimeoutStopSec (30 s).
GRACEFUL_SHUTDOWN_SECONDS = 20
# An idle connection is kept this long. Longer than any client keeps one (the desktop
# client: 15 s), so the client always closes first: a request sent just as the server closed
# its connection would get no answer (seen under load with both at uvicorn's and httpx's
# 5 s: 21 of 4,500 requests at 200 users).
KEEP_ALIVE_SECONDS = 30
# A worker gets a little longer to finish its shutdown before the supervisor kills it.
WORKER_STOP_SECONDS = GRACEFUL_SHUTDOWN_SECONDS + 5
BACKLOG = 2048  # uvicorn's default


class ServeError(Exception):
    """The server must not start with this configuration; the message says why."""


def run(settings: Settings) -> None:
    """Serve until interrupted (SIGINT/SIGTERM end it gracefully). The certificate check
    (and renewal) happens here, once, before any worker starts; the caller has checked the
    schema (``run`` never migrates); each worker only checks the database's locale.
    A restore an administrator asked for (``domains.backups``) stops the server: it is
    applied here, with nobody connected, and serving starts again."""
    import crm_server.app  # noqa: F401 (imported before forking: the workers share it)

    memory.tune_allocator()  # before forking: the workers inherit it
    if settings.dev_plain_http:
        _require_loopback(settings.host)
    else:
        tls.ensure_tls(settings)
    _require_connections(settings)
    os.environ[backups.SERVE_PID] = str(os.getpid())  # the process a restore from the client stops
    while True:
        backups.apply_requested(settings, lambda line: print(line, flush=True))
        print(startup_line(settings), flush=True)
        _serve_once(settings)
        if not backups.request_path(settings).exists():
            return


def _serve_once(settings: Settings) -> None:
    """Serve until stopped: SIGTERM or SIGINT, or ``backups.RESTART_SIGNAL`` (to restart)."""
    if settings.worker_count == 1:
        server = _server(settings)
        previous = signal.signal(backups.RESTART_SIGNAL,
                                 lambda *_: setattr(server, "should_exit", True))
        try:
            server.run()
        finally:
            signal.signal(backups.RESTART_SIGNAL, previous)
        return
    logging.config.dictConfig(log_config(settings.log_level))
    try:
        supervisor.serve(settings.worker_count, listen(settings),
                         partial(serve_worker, settings), WORKER_STOP_SECONDS)
    except supervisor.WorkerFailedError as error:
        raise ServeError(f"{error}; the server stopped (see the messages above)") from None


def serve_worker(settings: Settings, listener: socket.socket) -> bool:
    """One worker process: its own app and engine on the shared listening socket."""
    server = _server(settings)
    server.run(sockets=[listener])
    return server.started


def _server(settings: Settings) -> uvicorn.Server:
    """A server of its own app and engine, the collector settled once they are built."""
    from crm_server.app import create_app

    server = uvicorn.Server(build_config(settings, create_app(settings)))
    memory.settle_collector()
    return server


def listen(settings: Settings) -> socket.socket:
    """The listening socket all workers share, bound once. It names its protocol (TCP), as
    uvicorn's own does: asyncio turns Nagle's algorithm off only on connections accepted from
    such a socket, and with it on every response waits some 40 ms for the client's ACK."""
    family = socket.AF_INET6 if ":" in settings.host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((settings.host, settings.port))
        listener.listen(BACKLOG)
    except OSError as error:
        listener.close()
        raise ServeError(
            f"cannot listen on {settings.host} port {settings.port}: {error.strerror}"
        ) from None
    return listener


def log_config(level: str) -> dict[str, Any]:
    """uvicorn's logging, each line starting with the process id: with several workers that
    says which one wrote it (the journal attributes all of them to the main process); our own
    messages (the supervisor's) at ``level`` like uvicorn's."""
    config = copy.deepcopy(LOGGING_CONFIG)
    for formatter in config["formatters"].values():
        formatter["fmt"] = "[%(process)d] " + formatter["fmt"]
    config["loggers"]["crm_server"] = {"handlers": ["default"], "level": level.upper(),
                                       "propagate": False}
    return config


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
        timeout_keep_alive=KEEP_ALIVE_SECONDS,
        log_config=log_config(settings.log_level),
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


def _require_connections(settings: Settings) -> None:
    if settings.connections_per_worker < MIN_CONNECTIONS_PER_WORKER:
        raise ServeError(
            f"database_connections = {settings.database_connections} leaves fewer than "
            f"{MIN_CONNECTIONS_PER_WORKER} connections to each of {settings.worker_count} "
            "workers: raise database_connections or lower workers"
        )


def _require_loopback(host: str) -> None:
    if not is_loopback(host):
        raise ServeError(
            f"plain HTTP (dev_plain_http) is only allowed on 127.0.0.1, not on {host!r}: "
            "passwords and customer data would cross the network unencrypted. "
            "Remove dev_plain_http to serve HTTPS."
        )
