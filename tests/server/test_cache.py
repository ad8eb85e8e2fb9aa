"""The process-local versioned cache: used only at the version it was made at, bounded in
size (least recently used out first) and in age."""

from __future__ import annotations

from crm_server.kit.cache import VersionedCache


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_an_entry_serves_only_its_own_version() -> None:
    cache: VersionedCache[str] = VersionedCache(size=4, max_age=60, clock=Clock())
    cache.put("a", 7, "made at 7")
    assert cache.get("a", 7) == "made at 7"
    assert cache.get("a", 8) is None
    assert cache.get("a", 7) is None  # a stale entry is dropped, not kept for later


def test_nothing_is_kept_without_a_version() -> None:
    cache: VersionedCache[str] = VersionedCache(size=4, max_age=60, clock=Clock())
    cache.put("a", None, "value")
    assert cache.get("a", None) is None and len(cache) == 0


def test_the_least_recently_used_entry_goes_first() -> None:
    cache: VersionedCache[int] = VersionedCache(size=2, max_age=60, clock=Clock())
    cache.put("a", 1, 1)
    cache.put("b", 1, 2)
    assert cache.get("a", 1) == 1  # "b" is now the least recently used
    cache.put("c", 1, 3)
    assert (cache.get("a", 1), cache.get("b", 1), cache.get("c", 1)) == (1, None, 3)
    assert len(cache) == 2


def test_an_old_entry_is_made_again_even_at_the_same_version() -> None:
    clock = Clock()
    cache: VersionedCache[str] = VersionedCache(size=4, max_age=60, clock=clock)
    cache.put("a", 1, "value")
    clock.now = 59.9
    assert cache.get("a", 1) == "value"
    clock.now = 60.0
    assert cache.get("a", 1) is None
