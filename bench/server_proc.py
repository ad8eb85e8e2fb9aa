"""A real ``crm-server run`` in its own process for the benchmarks that go over the wire.

``crm-server init`` makes the data directory (``crm.toml``, the private CA and the server's
certificate) on first use; the server is then started with its defaults on a free port on
127.0.0.1, over HTTPS, and stopped (SIGTERM, graceful) when the block ends.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
STARTUP_TIMEOUT_S = 180.0  # tracemalloc slows the start several times
CLI = ("-m", "crm_server.cli")


@dataclass(frozen=True)
class RunningServer:
    base_url: str  # https://127.0.0.1:<port>
    ca_path: Path
    process: subprocess.Popen[bytes]

    @property
    def ca_pem(self) -> str:
        return self.ca_path.read_text("ascii")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(url: str, port: int, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(str(ROOT / p) for p in ("common", "server", "client"))
    env.update(CRM_DATABASE_URL=url, CRM_PORT=str(port), CRM_HOST="127.0.0.1",
               CRM_LOG_LEVEL="warning")
    env.update(extra or {})
    return env


@contextmanager
def running_server(data_dir: Path, url: str, launcher: tuple[str, ...] = CLI,
                   env: Mapping[str, str] | None = None,
                   log: Path | None = None) -> Iterator[RunningServer]:
    """``python <launcher> run --data-dir data_dir`` on the database at ``url``; ``launcher``
    is ``-m crm_server.cli`` or a bench script that wraps the same command line. The server's
    messages go to ``log`` when given (else to this process's stderr)."""
    port = free_port()
    full_env = server_env(url, port, env)
    if not (data_dir / "crm.toml").exists():
        subprocess.run([sys.executable, *CLI, "init", str(data_dir), "--database-url", url,
                        "--bind", "127.0.0.1", "--host", "127.0.0.1"],
                       env=full_env, check=True, stdout=subprocess.DEVNULL)
    with contextlib.ExitStack() as stack:
        stderr = stack.enter_context(log.open("wb")) if log is not None else None
        process = subprocess.Popen(
            [sys.executable, *launcher, "run", "--data-dir", str(data_dir)],
            env=full_env, stdout=subprocess.DEVNULL, stderr=stderr)
        running = RunningServer(f"https://127.0.0.1:{port}", data_dir / "tls" / "ca.crt",
                                process)
        try:
            _wait_healthy(running)
            yield running
        finally:
            process.terminate()
            process.wait(timeout=30)


def _wait_healthy(server: RunningServer) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise SystemExit(f"the server exited with status {server.process.returncode}")
        try:
            if server.ca_path.exists() and httpx.get(
                    f"{server.base_url}/api/v1/health", verify=str(server.ca_path),
                    timeout=2).is_success:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the server did not become healthy within {STARTUP_TIMEOUT_S:.0f} s")
