"""Gates that hold a test job between its steps until the test lets it go on, and waits for
a job's end (shared by the server's and the client's job tests)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

import builders

API = "/api/v1"
Headers = dict[str, str]
GATES: dict[str, threading.Event] = {}


@pytest.fixture
def gate() -> Iterator[str]:
    """A gate's name (a job's parameter); opened when the test ends, whatever happened."""
    name = f"任务测试{builders.unique()}"
    GATES[name] = threading.Event()
    yield name
    GATES.pop(name).set()


def wait_for(check: Callable[[], Any], what: str, seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def finished(api: Any, headers: Headers, job_id: int) -> dict[str, Any]:
    def ended() -> dict[str, Any] | None:
        job: dict[str, Any] = api.get(f"{API}/jobs/{job_id}", headers=headers).json()
        return job if job["state"] in ("succeeded", "failed", "cancelled") else None
    found: dict[str, Any] = wait_for(ended, f"job {job_id} to end")
    return found
