"""The real app served by uvicorn in a thread of the test process, over TLS unless the
settings ask for plain HTTP on the loopback."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import uvicorn

from crm_server.serve import build_config
from crm_server.settings import Settings


@contextmanager
def serving(settings: Settings, app: Any) -> Iterator[str]:
    """Serve ``app`` on ``settings.port`` for the block and yield its base URL."""
    server = uvicorn.Server(build_config(settings, app))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    started = threading.Event()
    for _ in range(200):
        if server.started or not thread.is_alive():
            break
        started.wait(0.05)
    assert server.started, "the test server did not start"
    scheme = "http" if settings.dev_plain_http else "https"
    try:
        yield f"{scheme}://127.0.0.1:{settings.port}"
    finally:
        server.should_exit = True
        thread.join(10)


def crm_server_cli(*args: str, env: dict[str, str] | None = None
                   ) -> subprocess.CompletedProcess[str]:
    """``crm-server ARGS`` as IT runs it, in a process of its own; output captured."""
    return subprocess.run([sys.executable, "-m", "crm_server.cli", *args], text=True,
                          capture_output=True, timeout=300, env=env, check=False,
                          stdin=subprocess.DEVNULL)
