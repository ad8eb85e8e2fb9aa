"""The server process's allocator, tuned for a threaded server on glibc (Linux).

Measured under load (``bench/load.py``, bench/README.md "Load findings"): with glibc's
defaults a server's RSS jumped from ~100 MiB to ~550 MiB within seconds of fifty sign-ins and
never came back, although Python itself held ~70 MiB. Two defaults of glibc's malloc cause it:

* the mmap threshold is dynamic: once a large block (Argon2's 19 MiB of a password check) has
  been freed, the threshold rises to that size, so the next such blocks come from the heap
  arenas instead of ``mmap`` and stay there after ``free``;
* every thread that allocates concurrently may get an arena of its own (up to 8 per core), and
  each keeps its high-water mark.

``tune_allocator`` fixes the threshold (large blocks are mapped and unmapped, so freed ones go
back to the system at once; fixing it also stops the trim threshold from rising) and caps the
arenas at ``ARENA_MAX``. Call it once per server process, before its threads start. It does
nothing where glibc's ``mallopt`` is absent (musl, macOS, Windows); ``MALLOC_ARENA_MAX`` or
``MALLOC_MMAP_THRESHOLD_`` in the environment still win, since glibc reads them first and
this leaves a setting the environment gave alone.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import os
import sys

M_MMAP_THRESHOLD = -3  # glibc's <malloc.h>
M_ARENA_MAX = -8
MMAP_THRESHOLD = 128 * 1024  # glibc's initial value, kept fixed
ARENA_MAX = 2
_ENVIRONMENT = {M_MMAP_THRESHOLD: "MALLOC_MMAP_THRESHOLD_", M_ARENA_MAX: "MALLOC_ARENA_MAX"}


def tune_allocator() -> list[str]:
    """Apply the settings glibc accepts; the names of those applied (for the log)."""
    if not sys.platform.startswith("linux"):
        return []
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return []
    mallopt.argtypes, mallopt.restype = [ctypes.c_int, ctypes.c_int], ctypes.c_int
    applied = []
    for option, value in ((M_MMAP_THRESHOLD, MMAP_THRESHOLD), (M_ARENA_MAX, ARENA_MAX)):
        name = _ENVIRONMENT[option]
        if name not in os.environ and mallopt(option, value) == 1:
            applied.append(f"{name.rstrip('_')}={value}")
    return applied


# Allocations between two collections of the youngest generation (CPython's default: 700).
# A list page allocates tens of thousands of short-lived objects; at 700 most of a request's
# collections find them still alive and promote them, and the older generations are then
# scanned again and again.
YOUNG_THRESHOLD = 10_000


def settle_collector() -> None:
    """Call once the application is built, before serving: everything made so far (modules,
    mappers, schemas: most of a process's objects) moves to the permanent generation, which
    collections never scan, and the youngest generation is collected less often."""
    gc.collect()
    gc.freeze()
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
