"""``crm-server demo``: build a seeded demo data directory, serve it, open the client.

Server and client run as separate processes, exactly as on a customer's network, so the demo
also proves the real TLS set-up (private CA, pinned by the client). Without a display the same
flow runs offscreen and the client saves a screenshot: that is the smoke test of a fresh clone.
"""

from __future__ import annotations

import os
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from crm_server.cli import CliError, load, prepare_data_dir, upgrade_database
from crm_server.security import tls
from crm_server.settings import CONFIG_NAME, ENV_PREFIX, Settings

DEMO_USER = "sales"
DEMO_PASSWORD = "demo1234"
SERVER_START_TIMEOUT = 60.0
SMOKE_TIMEOUT = 300.0
STOP_TIMEOUT = 15.0


def run_demo(data_dir: Path, *, port: int, smoke: bool) -> int:
    """Serve the demo on 127.0.0.1 and run the client against it; the client's exit status is
    the result. The server is stopped whatever happens (client closed, failure, Ctrl+C)."""
    if not (data_dir / CONFIG_NAME).exists():
        _build(data_dir)
    settings = _demo_settings(data_dir)
    upgrade_database(settings)  # a demo built by an older checkout follows the code
    url = f"https://127.0.0.1:{port or _free_port()}"
    ca_file = settings.path(settings.tls_ca_cert)
    smoke = smoke or os.environ.get("CRM_DEMO_SMOKE") == "1" or _no_display()
    with _process(_server_command(data_dir), _server_environment(url)) as server:
        _wait_until_healthy(url, ca_file, server)
        return _run_client(url, ca_file, data_dir.parent / "demo-smoke.png" if smoke else None)


def _build(data_dir: Path) -> None:
    """Build next to the target and rename at the end, so an interrupted build never leaves
    a half-seeded directory that later runs would take for a finished one."""
    from crm_server import demo

    staging = data_dir.with_name(data_dir.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    prepare_data_dir(staging, host="127.0.0.1")
    settings = _demo_settings(staging)
    upgrade_database(settings)
    tls.ensure_tls(settings)
    print("Seeding demo data …", flush=True)
    demo.seed(settings)
    staging.rename(data_dir)
    print(f"Demo data directory ready: {data_dir}")


def _demo_settings(data_dir: Path) -> Settings:
    # Always the embedded SQLite file: an exported CRM_DATABASE_URL must never receive demo data.
    return load(data_dir, database_url="", host="127.0.0.1")


def _server_command(data_dir: Path) -> list[str]:
    return [sys.executable, "-m", "crm_server.cli", "run", "--data-dir", str(data_dir)]


def _server_environment(url: str) -> dict[str, str]:
    """The caller's environment without CRM_* settings (see ``_demo_settings``)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith(ENV_PREFIX)}
    environment[f"{ENV_PREFIX}HOST"] = "127.0.0.1"
    environment[f"{ENV_PREFIX}PORT"] = url.rsplit(":", 1)[1]
    return environment


def _run_client(url: str, ca_file: Path, screenshot: Path | None) -> int:
    command = [sys.executable, "-m", "crm_client.app", "--server", url, "--ca-file", str(ca_file)]
    command += ["--user", DEMO_USER, "--password", DEMO_PASSWORD]
    environment = dict(os.environ)
    if screenshot is None:
        print(f"Demo at {url}: signed in as {DEMO_USER}; close the window to stop.", flush=True)
        with _process(command, environment) as client:
            return client.wait()
    screenshot.parent.mkdir(parents=True, exist_ok=True)
    screenshot.unlink(missing_ok=True)
    command += ["--smoke", str(screenshot)]
    environment["QT_QPA_PLATFORM"] = "offscreen"
    with _process(command, environment) as client:
        try:
            status = client.wait(timeout=SMOKE_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise CliError(
                f"the client smoke run did not finish in {SMOKE_TIMEOUT:.0f} s"
            ) from None
    if status == 0 and not screenshot.exists():
        raise CliError(f"the client reported success but wrote no {screenshot}")
    print(f"Smoke run {'passed' if status == 0 else 'FAILED'}: {screenshot}")
    return status


def _wait_until_healthy(url: str, ca_file: Path, server: subprocess.Popen[bytes]) -> None:
    """Poll the health endpoint over verified TLS, which also proves certificate and CA."""
    context = ssl.create_default_context(cafile=str(ca_file))
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise CliError(f"the demo server exited with status {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/api/v1/health", context=context, timeout=2):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    raise CliError(f"the demo server did not answer on {url} within {SERVER_START_TIMEOUT:.0f} s")


@contextmanager
def _process(command: list[str], environment: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """A child process that is stopped (politely, then firmly) when the block is left."""
    process = subprocess.Popen(command, env=environment)
    try:
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _no_display() -> bool:
    return sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
