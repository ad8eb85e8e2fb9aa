"""The server's allocator settings (crm_server.memory) and the bound on concurrent Argon2
checks (crm_server.security.passwords): both keep a sign-in burst from growing the process."""

from __future__ import annotations

import gc
import sys
import threading
import time
from typing import Any

import pytest

from crm_server import memory
from crm_server.security import passwords

glibc = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")


@glibc
def test_tune_allocator_fixes_the_mmap_threshold_and_caps_arenas(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MALLOC_ARENA_MAX", raising=False)
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    assert memory.tune_allocator() == ["MALLOC_MMAP_THRESHOLD=131072", "MALLOC_ARENA_MAX=2"]


@glibc
def test_tune_allocator_leaves_what_the_environment_set(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    monkeypatch.delenv("MALLOC_MMAP_THRESHOLD_", raising=False)
    assert memory.tune_allocator() == ["MALLOC_MMAP_THRESHOLD=131072"]


class CountingHasher:
    """Stands in for Argon2: notes how many checks run at the same moment."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.running = self.most = 0

    def verify(self, _hash: str, _password: str) -> bool:
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(0.05)  # long enough for the other threads to arrive
        with self.lock:
            self.running -= 1
        return True

    def hash(self, password: str) -> str:
        self.verify("", password)
        return "hashed"


def test_no_more_password_checks_at_once_than_slots(monkeypatch: pytest.MonkeyPatch) -> None:
    hasher = CountingHasher()
    monkeypatch.setattr(passwords, "_HASHER", hasher)
    monkeypatch.setattr(passwords, "_SLOTS", threading.BoundedSemaphore(2))
    calls: list[Any] = [lambda: passwords.verify_password("h", "p"),
                        lambda: passwords.hash_password("p")] * 6
    threads = [threading.Thread(target=call) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert hasher.most == 2


def test_the_collector_is_settled_once_the_app_is_built() -> None:
    """What exists when serving starts is never scanned again; young objects are collected
    less often."""
    threshold = gc.get_threshold()
    try:
        memory.settle_collector()
        assert gc.get_freeze_count() > 1000
        assert gc.get_threshold() == (memory.YOUNG_THRESHOLD, *threshold[1:])
    finally:
        gc.unfreeze()
        gc.set_threshold(*threshold)
