"""Gates that hold a test job between its steps until the test lets it go on (shared by the
server's and the client's job tests)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

import builders

GATES: dict[str, threading.Event] = {}


@pytest.fixture
def gate() -> Iterator[str]:
    """A gate's name (a job's parameter); opened when the test ends, whatever happened."""
    name = f"任务测试{builders.unique()}"
    GATES[name] = threading.Event()
    yield name
    GATES.pop(name).set()
