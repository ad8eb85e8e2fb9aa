"""Several worker processes serving one listening socket, kept at their number until stopped.

The caller binds the socket once; each worker is forked with it, so the kernel hands every
new connection to one of them and no worker ever binds or listens on its own. Forking (not
spawning) lets the workers share the parent's imported code, and each worker builds its own
application and database engine after the fork: nothing that holds a connection crosses it.

* A worker that dies (killed, out of memory) is replaced; one younger than
  ``RESTART_DELAY`` only after that delay, so a crash loop cannot spin.
* A worker that exits with ``FAILED`` could not serve (the database refused it at start, say):
  a replacement would fail the same way, so the whole server stops with
  ``WorkerFailedError`` (systemd then restarts it after its own delay).
* SIGTERM, SIGINT (or SIGUSR1, to restart) to the parent stops every worker with SIGTERM:
  each finishes the requests in flight (uvicorn's graceful shutdown) and exits; a worker
  still alive after ``stop_timeout`` is killed. The parent closes its copy of the socket
  first, so new connections are refused once the workers have closed theirs.

The parent waits for signals synchronously (``sigwaitinfo``) with them blocked, so no signal
handler ever runs in it; workers start with the signal mask and handlers of a fresh process.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable, Iterable

FAILED = 3  # uvicorn's exit status when its application fails to start
RESTART_DELAY = 1.0
# SIGUSR1: stop to restart (``serve.run``: a restore asked for through the API is applied
# between the two, with every worker gone).
STOP_SIGNALS = frozenset({signal.SIGTERM, signal.SIGINT, signal.SIGUSR1})
WAITED = STOP_SIGNALS | {signal.SIGCHLD}

Work = Callable[[socket.socket], bool]
"""A worker's whole life on the listening socket; True when it served until told to stop."""

logger = logging.getLogger(__name__)


class WorkerFailedError(Exception):
    """A worker could not serve; the workers' own messages above say why."""


def serve(count: int, listener: socket.socket, work: Work, stop_timeout: float) -> None:
    """Run ``count`` workers doing ``work`` until SIGTERM or SIGINT, then stop them."""
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, WAITED)
    gc.freeze()  # objects made so far stay shared with the workers instead of being copied
    workers: dict[int, float] = {}  # pid -> when it started
    try:
        for _ in range(count):
            _start(workers, listener, work, previous)
        while _supervise(workers, listener, work, previous):
            pass
    finally:
        listener.close()
        _stop(workers, stop_timeout)
        while signal.sigtimedwait(WAITED, 0) is not None:  # a stop signal sent twice
            pass
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _supervise(workers: dict[int, float], listener: socket.socket, work: Work,
               mask: Iterable[int]) -> bool:
    """Wait for the next signal and act on it; False when the server is to stop."""
    received = signal.sigwaitinfo(WAITED)
    if received.si_signo != signal.SIGCHLD:
        logger.info("Received %s, stopping %d workers", signal.strsignal(received.si_signo),
                    len(workers))
        return False
    for pid, status in _reap(workers):
        started = workers.pop(pid)
        if status == FAILED:
            raise WorkerFailedError(f"worker process {pid} could not serve")
        logger.warning("Worker process %d ended (status %d), starting another", pid, status)
        if time.monotonic() - started < RESTART_DELAY:
            time.sleep(RESTART_DELAY)
        _start(workers, listener, work, mask)
    return True


def _reap(workers: dict[int, float]) -> list[tuple[int, int]]:
    """The workers that have ended, with their exit statuses (negative: the signal)."""
    ended = []
    for pid in list(workers):
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            ended.append((pid, os.waitstatus_to_exitcode(status)))
    return ended


def _start(workers: dict[int, float], listener: socket.socket, work: Work,
           mask: Iterable[int]) -> None:
    for stream in (sys.stdout, sys.stderr):
        stream.flush()  # or the worker would write the parent's buffered output again
    pid = os.fork()
    if pid:
        workers[pid] = time.monotonic()
        return
    status = FAILED
    try:
        for number in STOP_SIGNALS:
            signal.signal(number, signal.SIG_DFL)
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        status = 0 if work(listener) else FAILED
    except SystemExit as exit_:
        status = exit_.code if isinstance(exit_.code, int) else FAILED
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            stream.flush()
        os._exit(status)


def _stop(workers: dict[int, float], timeout: float) -> None:
    """SIGTERM every worker and wait for them; kill those still alive after ``timeout``."""
    for pid in workers:
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while workers:
        for pid, _status in _reap(workers):
            del workers[pid]
        remaining = deadline - time.monotonic()
        if workers and remaining <= 0:
            logger.error("Killing %d workers still running after %.0f s", len(workers), timeout)
            for pid in workers:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            workers.clear()
        elif workers:
            signal.sigtimedwait({signal.SIGCHLD}, remaining)
    logger.info("All workers stopped")
