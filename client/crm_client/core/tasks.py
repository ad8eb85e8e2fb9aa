"""Network calls off the GUI thread, results back on it.

A screen describes an operation — a function of the ``ApiClient`` — and what to do with its
outcome; the runner executes the function on a small thread pool and delivers the result by
a queued signal, so callbacks always run on the GUI thread. If the operation's parent widget
was destroyed meanwhile, the result is dropped silently.

No Qt object is ever released on a worker: a worker lets go of the call (and so of whatever its
closure holds, often the screen itself) before it reports, the GUI thread takes the result or
error out of the job, and Python's cyclic garbage collection runs on the GUI thread only
(``core.collector``). A Qt object destroyed on a worker thread crashes the client.

While a read waits to be repeated because the server is busy or its database unavailable
(``ApiClient`` retries GETs by itself for a while) the runner says so (``sig_retrying``).
Failures nobody handled get the default treatment: an unreachable server, or one whose
database stays unavailable, shows the main window's offline banner (its Retry re-runs what
failed; failed reads also re-run by themselves once the server answers again), an expired
session asks to sign in again (then re-runs what failed), anything else is explained in a
message box::

    (ctx.tasks.query(self, lambda api: api.list(CUSTOMER, params))
        .success(self.model.append_page)
        .with_progress(_("Loading customers…"))
        .run())
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import shiboken6
from PySide6.QtCore import QObject, Qt, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QDialog

from crm_client.api.client import RETRY_LISTENER, ApiClient
from crm_client.api.errors import ServerUnreachable
from crm_client.core.changes import ChangeBus
from crm_client.core.collector import collect_on_gui_thread
from crm_client.core.failures import FailurePresenter, window_of
from crm_common.errors import PasswordChangeRequired, Unauthenticated, Unavailable

T = TypeVar("T")

MAX_THREADS = 4
PROGRESS_DELAY_MS = 300  # a busy indicator that flashes for 50 ms is noise


class Op(Generic[T]):
    """One operation: build it with the chained methods, then ``run()`` it. ``run()`` may be
    called again (the runner does, for Retry and after signing in again)."""

    def __init__(
        self,
        runner: TaskRunner,
        parent: QObject,
        call: Callable[[ApiClient], T],
        entity: str | None = None,
        ids: Callable[[T], list[int]] | None = None,
    ) -> None:
        self.runner = runner
        self.parent = parent
        self.call = call
        self.entity = entity
        self.ids = ids
        self.progress_text = ""
        self._on_success: list[Callable[[T], None]] = []
        self._on_failure: list[Callable[[BaseException], bool]] = []
        self._on_finished: list[Callable[[], None]] = []

    @property
    def is_mutation(self) -> bool:
        return self.entity is not None

    def success(self, fn: Callable[[T], None]) -> Op[T]:
        self._on_success.append(fn)
        return self

    def failure(self, fn: Callable[[BaseException], bool]) -> Op[T]:
        """``fn`` returns True when it handled the failure; otherwise the default shows it."""
        self._on_failure.append(fn)
        return self

    def finished(self, fn: Callable[[], None]) -> Op[T]:
        """Always called last, after success or failure (e.g. re-enable a button)."""
        self._on_finished.append(fn)
        return self

    def with_progress(self, text: str) -> Op[T]:
        """Show a busy indicator with ``text`` in the status bar if this takes > 300 ms."""
        self.progress_text = text
        return self

    def run(self) -> None:
        self.runner.start(self)

    def parent_alive(self) -> bool:
        return shiboken6.isValid(self.parent)

    def deliver_success(self, result: T) -> None:
        for fn in self._on_success:
            fn(result)

    def deliver_failure(self, error: BaseException) -> bool:
        """True when one of the op's own handlers dealt with ``error``."""
        handled = False
        for fn in self._on_failure:
            handled = bool(fn(error)) or handled
        return handled

    def deliver_finished(self) -> None:
        for fn in self._on_finished:
            fn()


class _Job:
    """One call on its way to a worker and its outcome on the way back, in a plain box."""

    def __init__(
        self, number: int, call: Callable[[ApiClient], Any], api: ApiClient, courier: _Courier
    ) -> None:
        self.number = number
        self.call: Callable[[ApiClient], Any] | None = call
        self.api = api
        self.courier = courier
        self.result: Any = None
        self.error: BaseException | None = None

    def run(self) -> None:
        """On a worker thread. The GUI thread still holds the op, so dropping the call here
        is never the last reference to what its closure holds."""
        call, self.call = self.call, None
        assert call is not None, "a job runs once"
        listening = RETRY_LISTENER.set(self._tell_retrying)
        try:
            self.result = call(self.api)
        except Exception as exc:
            self.error = exc
        finally:
            RETRY_LISTENER.reset(listening)
        del call
        # RuntimeError: the runner is gone (application shutting down), nobody to tell.
        with contextlib.suppress(RuntimeError):
            self.courier.sig_done.emit(self.number)

    def _tell_retrying(self, waiting: bool) -> None:
        with contextlib.suppress(RuntimeError):  # as for sig_done: nobody left to tell
            self.courier.sig_retrying.emit(waiting)

    def take(self) -> tuple[Any, BaseException | None]:
        """On the GUI thread: the outcome, leaving the box empty for the worker to drop."""
        outcome = self.result, self.error
        self.result = self.error = None
        return outcome


class TransferProgress(QObject):
    """Bytes received so far, reported from a download's worker thread (a queued signal)."""

    sig_received = Signal(object)


class _Courier(QObject):
    """Tells the GUI thread that job N is done, or that a call started (True) or stopped
    (False) waiting to retry a read. The runner's child, so C++ owns it: a worker dropping
    its reference never destroys it."""

    sig_done = Signal(int)
    sig_retrying = Signal(bool)


class TaskRunner(QObject):
    """Owns the thread pool, the ``ApiClient`` and the default failure presentation.

    ``sig_offline(bool)``: the server became unreachable (or its database stayed
    unavailable: ``offline_error`` says which) / answered again.
    ``sig_retrying(bool)``: reads started / stopped waiting for a busy server or database.
    ``sig_session_expired()``: a call was refused as unauthenticated; sign in again, then
    call ``resume_after_sign_in()`` (or ``abandon_after_sign_in()``).
    ``sig_progress(str)``: text of the busy indicator, "" when nothing slow is running.
    ``sig_password_change_required()``: the server refuses everything until the user changes
    their password (reset by an administrator, or expired).
    ``sig_unhandled_failure(object)``: every failure no op handled, before it is shown.
    """

    sig_offline = Signal(bool)
    sig_retrying = Signal(bool)
    sig_session_expired = Signal()
    sig_password_change_required = Signal()
    sig_progress = Signal(str)
    sig_unhandled_failure = Signal(object)

    def __init__(self, api: ApiClient, changes: ChangeBus, parent: QObject | None = None) -> None:
        super().__init__(parent)
        collect_on_gui_thread()
        self.api = api
        self.changes = changes
        self.presenter = FailurePresenter()
        self.offline = False
        self.offline_error: BaseException | None = None
        self._retrying = 0
        self._pool = QThreadPool(self)
        self._pool.setMaxThreadCount(MAX_THREADS)
        self._numbers = itertools.count(1)
        self._courier = _Courier(self)
        self._running: dict[int, tuple[Op[Any], _Job]] = {}
        self._progress: dict[int, str] = {}
        self._retry_online: dict[object, Op[Any]] = {}
        self._retry_signed_in: dict[object, Op[Any]] = {}
        self._courier.sig_done.connect(self._deliver, Qt.ConnectionType.QueuedConnection)
        self._courier.sig_retrying.connect(self._count_retrying,
                                           Qt.ConnectionType.QueuedConnection)

    def query(self, parent: QObject, call: Callable[[ApiClient], T]) -> Op[T]:
        """A read: no side effects, safe to repeat."""
        return Op(self, parent, call)

    def mutation(
        self,
        parent: QObject,
        call: Callable[[ApiClient], T],
        entity: str,
        ids: Callable[[T], list[int]] | None = None,
    ) -> Op[T]:
        """A write; on success ``changes.sig_entity_changed(entity, ids(result))`` tells open
        screens to refresh (an empty id list when ``ids`` is not given)."""
        return Op(self, parent, call, entity, ids)

    def start(self, op: Op[Any]) -> None:
        number = next(self._numbers)
        job = _Job(number, op.call, self.api, self._courier)
        self._running[number] = op, job
        if op.progress_text:
            QTimer.singleShot(PROGRESS_DELAY_MS, self, lambda: self._show_progress(number))
        self._pool.start(job.run)

    def wait_for_done(self, msecs: int = 5000) -> bool:
        """Let running calls end (on shutdown); their results are then dropped."""
        return self._pool.waitForDone(msecs)

    def is_busy(self) -> bool:
        return bool(self._running)

    def _deliver(self, number: int) -> None:
        op, job = self._running.pop(number)
        result, error = job.take()
        self._hide_progress(number)
        if not op.parent_alive():
            return
        if error is None:
            self._succeed(op, result)
        else:
            self._fail(op, error)
        op.deliver_finished()

    def _succeed(self, op: Op[Any], result: Any) -> None:
        if self.offline:
            self._back_online()
        if op.entity is not None:
            ids = op.ids(result) if op.ids is not None else []
            self.changes.sig_entity_changed.emit(op.entity, list(ids))
        op.deliver_success(result)

    def _fail(self, op: Op[Any], error: BaseException) -> None:
        if op.deliver_failure(error):
            return
        self.sig_unhandled_failure.emit(error)
        if isinstance(error, ServerUnreachable | Unavailable):
            self._retry_online[_retry_key(op)] = op
            self.offline_error = error
            self._set_offline(True)
            if _in_modal_dialog(op):  # the banner's Retry is out of reach behind a dialog
                self.presenter.present(op.parent, error, op.entity)
        elif isinstance(error, Unauthenticated):
            first = not self._retry_signed_in
            self._retry_signed_in[_retry_key(op)] = op
            if first:
                self.sig_session_expired.emit()
        elif isinstance(error, PasswordChangeRequired):
            self.sig_password_change_required.emit()
        else:
            self.presenter.present(op.parent, error, op.entity)

    def _set_offline(self, offline: bool) -> None:
        if offline != self.offline:
            self.offline = offline
            self.sig_offline.emit(offline)

    def _count_retrying(self, waiting: bool) -> None:
        before = self._retrying
        self._retrying = max(0, before + (1 if waiting else -1))
        if bool(before) != bool(self._retrying):
            self.sig_retrying.emit(bool(self._retrying))

    def _back_online(self) -> None:
        """The server answered again: reads that failed meanwhile run again by themselves;
        writes wait for the person's Retry (the banner stays until then)."""
        reads = {key: op for key, op in self._retry_online.items() if not op.is_mutation}
        for key in reads:
            del self._retry_online[key]
        if not self._retry_online:
            self._set_offline(False)
        self._rerun(reads)

    def retry_offline(self) -> None:
        """Retry: run again whatever failed because the server was unreachable."""
        self._rerun(self._retry_online)

    def resume_after_sign_in(self) -> None:
        self._rerun(self._retry_signed_in)

    def abandon_after_sign_in(self) -> None:
        self._retry_signed_in.clear()

    def _rerun(self, pending: dict[object, Op[Any]]) -> None:
        ops = list(pending.values())
        pending.clear()
        for op in ops:
            if op.parent_alive():
                op.run()

    def _show_progress(self, number: int) -> None:
        running = self._running.get(number)
        if running is not None:
            op = running[0]
            self._progress[number] = op.progress_text
            self.sig_progress.emit(op.progress_text)

    def _hide_progress(self, number: int) -> None:
        if self._progress.pop(number, None) is not None:
            texts = list(self._progress.values())
            self.sig_progress.emit(texts[-1] if texts else "")


def _retry_key(op: Op[Any]) -> object:
    """A later save from the same form replaces an earlier one in the retry list, so Retry
    never creates the same record twice; reads are kept each."""
    if op.is_mutation:
        return ("mutation", id(op.parent), op.entity)
    return op


def _in_modal_dialog(op: Op[Any]) -> bool:
    window = window_of(op.parent)
    return isinstance(window, QDialog) and window.isModal()
