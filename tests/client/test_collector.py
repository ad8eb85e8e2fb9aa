"""The GUI-thread garbage collector follows CPython's own trigger: the oldest generation past
its threshold, the whole heap only once it has grown by a quarter."""

from __future__ import annotations

import gc
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QObject

from crm_client.core.collector import GuiThreadCollector, collect_on_gui_thread


def test_automatic_collection_is_off_once_installed(qapp: Any) -> None:
    collect_on_gui_thread()
    collect_on_gui_thread()

    assert not gc.isenabled()
    assert len(qapp.findChildren(GuiThreadCollector)) == 1


@pytest.mark.parametrize(
    ("counts", "oldest_sizes", "expected"),
    [
        ((10, 0, 0), [], []),  # nothing due
        ((701, 0, 0), [], [0]),
        ((701, 11, 0), [], [1]),
        ((701, 11, 11), [1000, 1000], [2]),  # first full collection: the oldest grew from nothing
        ((701, 11, 11), [1000, 1000, 1200], [2, 1]),  # grown by a fifth only: the middle one
        ((701, 11, 11), [1000, 1000, 1300, 1300], [2, 2]),  # grown by more than a quarter
    ],
)
def test_what_is_collected(
    qapp: Any,
    monkeypatch: pytest.MonkeyPatch,
    counts: tuple[int, int, int],
    oldest_sizes: list[int],
    expected: list[int],
) -> None:
    collect_on_gui_thread()  # the application's own, which stays when this one goes
    owner = QObject()
    collector = GuiThreadCollector(owner)
    collected: list[int] = []
    sizes = iter(oldest_sizes)
    with monkeypatch.context() as patch:
        patch.setattr(gc, "get_threshold", lambda: (700, 10, 10))
        patch.setattr(gc, "get_count", lambda: counts)
        patch.setattr(gc, "collect", collected.append)
        patch.setattr(gc, "get_objects", lambda generation: [None] * next(sizes))
        collector.collect_due()
        if len(expected) > 1:
            collector.collect_due()
    shiboken6.delete(owner)

    assert collected == expected
