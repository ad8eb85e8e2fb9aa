"""The real app served by uvicorn in a thread of the test process, over TLS unless the
settings ask for plain HTTP on the loopback."""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
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


class ServerProcess:
    """``crm-server run`` on ``data_dir`` as a child process of its own (one worker), and an
    HTTPS client signed in as ``username``."""

    def __init__(self, data_dir: Path, username: str, password: str) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = int(probe.getsockname()[1])
        env = {**os.environ, "CRM_PORT": str(self.port), "CRM_WORKERS": "1"}
        self.log = data_dir / f"server-{self.port}.log"
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "crm_server.cli", "run", "--data-dir", str(data_dir)],
                env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.data_dir = data_dir
        self.client = self.connect()
        deadline = time.monotonic() + 60
        while "Application startup complete" not in self.log.read_text():
            assert time.monotonic() < deadline and self.process.poll() is None, \
                self.log.read_text()
            threading.Event().wait(0.1)
        token = self.client.post("/auth/login", json={"username": username,
                                                      "password": password}).json()["token"]
        self.client.headers["Authorization"] = f"Bearer {token}"

    def connect(self) -> httpx.Client:
        """A new HTTPS client (the old one's kept-alive connection would hold a graceful
        shutdown for its full timeout)."""
        return httpx.Client(base_url=f"https://127.0.0.1:{self.port}/api/v1",
                            verify=ssl.create_default_context(
                                cafile=str(self.data_dir / "tls/ca.crt")), timeout=60)

    def kill(self) -> None:
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(10)
        self.client.close()

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(30)
        self.client.close()

    def job(self, job_id: int) -> dict[str, Any]:
        return dict(self.client.get(f"/jobs/{job_id}").json())

    def wait(self, job_id: int, until: Any, seconds: float = 120) -> dict[str, Any]:
        deadline = time.monotonic() + seconds
        while True:
            job = self.job(job_id)
            if until(job):
                return job
            assert job["state"] not in ("succeeded", "failed", "cancelled"), job
            assert time.monotonic() < deadline, job
            threading.Event().wait(0.05)
