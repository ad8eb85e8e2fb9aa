"""A process-local cache of values derived from the database, each kept with the version of
the data it was derived from and used only while the database still reports that version.

Bounded in size (the least recently used entry goes first) and in age (an entry older than
``max_age`` seconds is made again even if the version still matches), and safe to use from
the request threads of one process.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

V = TypeVar("V")


class VersionedCache(Generic[V]):
    def __init__(self, size: int, max_age: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.size, self.max_age, self._clock = size, max_age, clock
        self._entries: OrderedDict[Hashable, tuple[int, float, V]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, version: int | None) -> V | None:
        """The value kept for ``key`` if it was made at ``version`` and is young enough."""
        if version is None:
            return None
        with self._lock:
            found = self._entries.get(key)
            if found is None:
                return None
            made_version, made_at, value = found
            if made_version != version or self._clock() - made_at >= self.max_age:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, version: int | None, value: V) -> None:
        """Keep ``value`` for ``key`` as made at ``version`` (nothing without a version)."""
        if version is None:
            return
        with self._lock:
            self._entries[key] = (version, self._clock(), value)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
