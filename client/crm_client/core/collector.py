"""Python's cyclic garbage collection, run on the GUI thread only.

CPython collects on whichever thread happens to allocate past the threshold; in the client that
is often a task runner's worker parsing a response. A Qt object that Python owns and that sits
in a reference cycle (a task runner or a top-level window of a session that ended, say) would
then be destroyed on that thread, and Qt objects destroyed off their own thread crash the
process, typically at the GUI thread's next event. So automatic collection is switched off and
a timer on the GUI thread collects by the same thresholds.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer

INTERVAL_MS = 500
_NAME = "crm-gui-thread-collector"


class GuiThreadCollector(QObject):
    """Every ``INTERVAL_MS``, collects what CPython's own trigger would: the oldest generation
    past its threshold, the whole heap only once it has grown by a quarter since the last full
    collection (which keeps full collections of a large heap rare)."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.setObjectName(_NAME)
        self._long_lived = 0  # objects in the oldest generation after the last full collection
        timer = QTimer(self)
        timer.timeout.connect(self.collect_due)
        timer.start(INTERVAL_MS)
        gc.disable()

    def collect_due(self) -> None:
        counts, thresholds = gc.get_count(), gc.get_threshold()
        if counts[1] > thresholds[1]:
            if counts[2] > thresholds[2] and self._oldest_grew():
                gc.collect(2)
                self._long_lived = len(gc.get_objects(2))
            else:
                gc.collect(1)
        elif counts[0] > thresholds[0]:
            gc.collect(0)

    def _oldest_grew(self) -> bool:
        return len(gc.get_objects(2)) - self._long_lived > self._long_lived // 4


def collect_on_gui_thread() -> None:
    """Move collection to the GUI thread for the rest of the application's life (once)."""
    app = QCoreApplication.instance()
    if app is None or QThread.currentThread() is not app.thread():
        raise RuntimeError("the collector must be installed on the GUI thread")
    if app.findChild(GuiThreadCollector, _NAME) is None:
        GuiThreadCollector(app)
