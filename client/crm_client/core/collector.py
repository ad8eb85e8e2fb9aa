"""Python's cyclic garbage collection, run on the GUI thread only.

CPython collects on whichever thread happens to allocate past the threshold; in the client that
is often a task runner's worker parsing a response, or the demo's server thread. A Qt object
that Python owns and that sits in a reference cycle (a task runner or a top-level window of a
session that ended, say) would then be destroyed on that thread, and Qt objects destroyed off
their own thread crash the process, typically at the GUI thread's next event. So automatic
collection is switched off and a timer on the GUI thread collects by the same thresholds.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QCoreApplication, QObject, QThread, QTimer

INTERVAL_MS = 500
_NAME = "crm-gui-thread-collector"


class GuiThreadCollector(QObject):
    """Collects the oldest generation whose count has passed its threshold, as CPython's own
    trigger would, every ``INTERVAL_MS``."""

    def __init__(self, parent: QObject) -> None:
        super().__init__(parent)
        self.setObjectName(_NAME)
        timer = QTimer(self)
        timer.timeout.connect(self.collect_due)
        timer.start(INTERVAL_MS)
        gc.disable()

    def collect_due(self) -> None:
        counts, thresholds = gc.get_count(), gc.get_threshold()
        for generation in (2, 1, 0):
            if counts[generation] > thresholds[generation]:
                gc.collect(generation)
                return


def collect_on_gui_thread() -> None:
    """Move collection to the GUI thread for the rest of the application's life (once)."""
    app = QCoreApplication.instance()
    if app is None or QThread.currentThread() is not app.thread():
        raise RuntimeError("the collector must be installed on the GUI thread")
    if app.findChild(GuiThreadCollector, _NAME) is None:
        GuiThreadCollector(app)
