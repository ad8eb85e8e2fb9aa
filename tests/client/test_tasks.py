"""The task runner: calls on the pool, results on the GUI thread, dropped for dead parents,
default failure handling (offline banner + retry, sign in again, message box), progress."""

from __future__ import annotations

import gc
import sys
import threading
import weakref
from collections.abc import Iterator
from typing import Any

import pytest
import shiboken6
from PySide6.QtCore import QObject, QTimer
from PySide6.QtWidgets import QMessageBox, QWidget

from crm_client.api.errors import ServerUnreachable
from crm_client.core.changes import ChangeBus
from crm_client.core.tasks import MAX_THREADS, TaskRunner
from crm_common.errors import (
    DatabaseUnavailable,
    StaleVersion,
    Unauthenticated,
    ValidationFailed,
)

API = object()  # the runner hands this to each call; these tests never touch the network


@pytest.fixture
def runner(qtbot: Any) -> Any:
    instance = TaskRunner(API, ChangeBus())  # type: ignore[arg-type]
    yield instance
    instance.wait_for_done()


@pytest.fixture
def parent(qtbot: Any) -> QObject:
    return QObject()


def test_call_runs_on_the_pool_and_result_arrives_on_the_gui_thread(
    qtbot: Any, runner: TaskRunner, parent: QObject
) -> None:
    seen: dict[str, Any] = {}

    def call(api: Any) -> int:
        seen["api"] = api
        seen["worker"] = threading.current_thread() is not threading.main_thread()
        return 42

    def done(value: int) -> None:
        seen["value"] = value
        seen["gui"] = threading.current_thread() is threading.main_thread()

    runner.query(parent, call).success(done).run()
    qtbot.waitUntil(lambda: "value" in seen)

    assert seen == {"api": API, "worker": True, "value": 42, "gui": True}


def test_the_gui_thread_keeps_running_while_a_call_waits(
    qtbot: Any, runner: TaskRunner, parent: QObject
) -> None:
    # The call can only finish if the GUI thread runs a timer meanwhile.
    released = threading.Event()
    results: list[bool] = []
    QTimer.singleShot(50, released.set)

    runner.query(parent, lambda _api: released.wait(10)).success(results.append).run()
    qtbot.waitUntil(lambda: bool(results), timeout=10_000)

    assert results == [True]


def test_result_for_a_destroyed_parent_is_dropped(qtbot: Any, runner: TaskRunner) -> None:
    parent = QWidget()
    release = threading.Event()
    calls: list[str] = []

    op = runner.query(parent, lambda _api: release.wait(10))
    op.success(lambda _r: calls.append("success")).finished(lambda: calls.append("finished"))
    op.run()
    shiboken6.delete(parent)
    release.set()
    qtbot.waitUntil(lambda: not runner.is_busy())

    assert calls == []


def test_handled_failure_shows_nothing_and_finished_comes_last(
    qtbot: Any, runner: TaskRunner, parent: QObject
) -> None:
    events: list[str] = []

    def fail(_api: Any) -> None:
        raise StaleVersion("changed")

    def handle(error: BaseException) -> bool:
        events.append(type(error).__name__)
        return True

    runner.query(parent, fail).failure(handle).finished(lambda: events.append("finished")).run()
    qtbot.waitUntil(lambda: "finished" in events)

    assert events == ["StaleVersion", "finished"]
    assert runner.presenter.open_boxes() == []


def test_unhandled_failure_is_explained_in_a_message_box(qtbot: Any, runner: TaskRunner) -> None:
    window = QWidget()
    qtbot.addWidget(window)

    def fail(_api: Any) -> None:
        raise ValidationFailed("Please correct the marked fields", {"uscc": "Wrong check digit"})

    with qtbot.waitSignal(runner.sig_unhandled_failure):
        runner.mutation(window, fail, "customer").failure(lambda _e: False).run()
    boxes = runner.presenter.open_boxes()

    assert len(boxes) == 1
    assert boxes[0].text() == "Please correct the marked fields"
    assert boxes[0].informativeText() == "Unified social credit code: Wrong check digit"
    boxes[0].button(QMessageBox.StandardButton.Ok).click()
    assert runner.presenter.open_boxes() == []


def test_mutation_announces_the_change(qtbot: Any, runner: TaskRunner, parent: QObject) -> None:
    with qtbot.waitSignal(runner.changes.sig_entity_changed) as changed:
        runner.mutation(parent, lambda _api: {"id": 7}, "customer", lambda r: [r["id"]]).run()

    assert changed.args == ["customer", [7]]


def test_unreachable_server_goes_offline_and_retry_runs_the_call_again(
    qtbot: Any, runner: TaskRunner, parent: QObject
) -> None:
    attempts: list[int] = []
    results: list[str] = []

    def flaky(_api: Any) -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise ServerUnreachable("https://crm.example:8443", "connection refused")
        return "loaded"

    with qtbot.waitSignal(runner.sig_offline) as offline:
        runner.query(parent, flaky).success(results.append).run()
    assert offline.args == [True] and results == []

    with qtbot.waitSignal(runner.sig_offline) as online:
        runner.retry_offline()

    assert online.args == [False] and results == ["loaded"] and len(attempts) == 2


def test_failed_reads_rerun_by_themselves_when_the_server_answers_again(
    qtbot: Any, runner: TaskRunner, parent: QObject
) -> None:
    reachable = threading.Event()
    results: list[str] = []

    def read(_api: Any) -> str:
        if not reachable.is_set():
            raise ServerUnreachable("https://crm.example:8443", "timed out")
        return "read"

    with qtbot.waitSignal(runner.sig_offline):
        runner.query(parent, read).success(results.append).run()
    reachable.set()
    with qtbot.waitSignal(runner.sig_offline) as online:
        runner.query(parent, lambda _api: "other").run()  # any answer: the server is back

    qtbot.waitUntil(lambda: results == ["read"])
    assert online.args == [False]


def test_failed_writes_wait_for_retry_even_when_the_server_is_back(
    qtbot: Any, runner: TaskRunner, parent: QObject
) -> None:
    reachable = threading.Event()
    saved: list[str] = []
    offline: list[bool] = []
    runner.sig_offline.connect(offline.append)

    def write(_api: Any) -> str:
        if not reachable.is_set():
            raise ServerUnreachable("https://crm.example:8443", "timed out")
        return "saved"

    runner.mutation(parent, write, "customer").success(saved.append).run()
    qtbot.waitUntil(lambda: offline == [True])
    reachable.set()
    done: list[str] = []
    runner.query(parent, lambda _api: "other").finished(lambda: done.append("x")).run()
    qtbot.waitUntil(lambda: done == ["x"])
    assert saved == [] and runner.offline

    runner.retry_offline()

    qtbot.waitUntil(lambda: saved == ["saved"])
    assert offline == [True, False]


def test_expired_session_asks_to_sign_in_and_resumes(
    qtbot: Any, runner: TaskRunner, parent: QObject
) -> None:
    signed_in = threading.Event()
    results: list[str] = []

    def call(_api: Any) -> str:
        if not signed_in.is_set():
            raise Unauthenticated("Your session has expired")
        return "ok"

    with qtbot.waitSignal(runner.sig_session_expired):
        runner.query(parent, call).success(results.append).run()
    signed_in.set()
    runner.resume_after_sign_in()
    qtbot.waitUntil(lambda: results == ["ok"])


def test_progress_appears_only_for_slow_calls(
    qtbot: Any, runner: TaskRunner, parent: QObject
) -> None:
    texts: list[str] = []
    runner.sig_progress.connect(texts.append)
    finished: list[str] = []

    runner.query(parent, lambda _api: "quick").with_progress("Loading…").finished(
        lambda: finished.append("quick")
    ).run()
    qtbot.waitUntil(lambda: finished == ["quick"])
    assert texts == []

    release = threading.Event()
    runner.query(parent, lambda _api: release.wait(10)).with_progress("Loading…").finished(
        lambda: finished.append("slow")
    ).run()
    qtbot.waitUntil(lambda: texts == ["Loading…"])
    release.set()
    qtbot.waitUntil(lambda: texts == ["Loading…", ""])


def test_emitting_a_signal_does_not_leak_references(qtbot: Any, runner: TaskRunner) -> None:
    # PySide6 6.12.0 drops a reference to True on every Python-side emit(); on Python 3.11
    # (True is not immortal) a long session then crashes ("bool_dealloc"). The runner emits
    # once per call, so this is its problem too: pin PySide6 to a release without the bug.
    before = sys.getrefcount(True)
    for _n in range(100):
        runner.sig_progress.emit("")

    assert sys.getrefcount(True) - before > -50, "this PySide6 leaks a reference per emit()"


def test_at_most_four_calls_run_at_once(qtbot: Any, runner: TaskRunner, parent: QObject) -> None:
    lock = threading.Lock()
    running = {"now": 0, "most": 0}
    release = threading.Event()
    done: list[int] = []

    def call(_api: Any) -> None:
        with lock:
            running["now"] += 1
            running["most"] = max(running["most"], running["now"])
        release.wait(10)
        with lock:
            running["now"] -= 1

    for number in range(MAX_THREADS + 3):
        runner.query(parent, call).finished(lambda n=number: done.append(n)).run()
    qtbot.waitUntil(lambda: running["now"] == MAX_THREADS)
    release.set()
    qtbot.waitUntil(lambda: len(done) == MAX_THREADS + 3)

    assert running["most"] == MAX_THREADS


@pytest.fixture
def collections_on_gui_thread() -> Iterator[list[bool]]:
    """CPython collects at nearly every allocation, on whichever thread allocates; the list
    says for each collection whether it ran on the GUI thread."""
    seen: list[bool] = []

    def started(phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            seen.append(threading.current_thread() is threading.main_thread())

    thresholds = gc.get_threshold()
    gc.set_threshold(1, 1, 1)
    gc.callbacks.append(started)
    yield seen
    gc.callbacks.remove(started)
    gc.set_threshold(*thresholds)


def test_garbage_is_collected_on_the_gui_thread_only(
    qtbot: Any, runner: TaskRunner, collections_on_gui_thread: list[bool]
) -> None:
    """Owners in reference cycles become garbage while their calls run, and the workers
    allocate: a collection there would destroy those Qt objects on the worker thread."""
    count = 2 * MAX_THREADS
    destroyed_on_gui_thread: list[bool] = []
    owners = [_owner_in_a_cycle(QWidget if n % 2 else QObject, destroyed_on_gui_thread)
              for n in range(count)]
    lock = threading.Lock()
    done: list[int] = []

    def call(_api: Any) -> int:
        with lock:
            owners.pop()  # the last reference from outside the cycle
        return len([[] for _ in range(1000)])

    for number in range(count):
        runner.query(runner, call).finished(lambda n=number: done.append(n)).run()
    qtbot.waitUntil(lambda: len(done) == count)
    assert all(collections_on_gui_thread), "Python collected garbage on a worker thread"

    qtbot.waitUntil(lambda: len(destroyed_on_gui_thread) == count)
    assert all(destroyed_on_gui_thread)


def _owner_in_a_cycle(kind: type[QObject], on_gui_thread: list[bool]) -> QObject:
    """A Python-owned Qt object that only the cyclic collector can free; ``on_gui_thread``
    says, when it is gone, on which thread that happened."""
    owner = kind()
    owner.cycle = owner  # type: ignore[attr-defined]
    weakref.finalize(owner, lambda: on_gui_thread.append(
        threading.current_thread() is threading.main_thread()))
    return owner


def test_a_write_the_database_refused_waits_for_retry_and_is_not_rerun_by_itself(
    qtbot: Any, runner: TaskRunner, parent: QObject
) -> None:
    attempts: list[int] = []

    def save(_api: Any) -> str:
        attempts.append(1)
        if len(attempts) == 1:
            raise DatabaseUnavailable("The database is unavailable")
        return "saved"

    with qtbot.waitSignal(runner.sig_offline) as offline:
        runner.mutation(parent, save, "customer").run()
    assert offline.args == [True] and isinstance(runner.offline_error, DatabaseUnavailable)
    assert runner.presenter.open_boxes() == []  # the banner tells, with its Retry
    answered: list[str] = []
    runner.query(parent, lambda _api: "answered").success(answered.append).run()
    qtbot.waitUntil(lambda: bool(answered))  # the server answers again
    assert len(attempts) == 1 and runner.offline  # a write waits for the person

    with qtbot.waitSignal(runner.sig_offline) as online:
        runner.retry_offline()
    assert online.args == [False] and len(attempts) == 2
