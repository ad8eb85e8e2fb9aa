"""Client side of the customer-list benchmark, with the real code on both ends.

A real server process (``python -m crm_server.cli run``) serves the benchmark database over
TLS on 127.0.0.1; this process signs in with the real ``ApiClient`` (CA pinned) and opens the
real ``EntityListView`` / ``EntityTableModel`` offscreen. Measured:

* open → first rows shown: from constructing the customer list to the first paint of the
  table with rows in it (target ≤ 0.5 s), several times;
* scroll to row 100,000: ``scrollToBottom`` whenever a page has arrived, which makes Qt call
  ``fetchMore`` as a user dragging the scroll bar down would, until the model has 100,000
  rows: total time, time per page at the start and at the end, the growth of this process's
  resident memory and the records the model holds (a window, never the million);
* back to the top: ``scrollToTop`` after that, until row 0 (dropped from the window) is shown
  again.

    python bench/client_list.py --database-url postgresql+psycopg2://... (run.py passes it)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for _part in ("common", "server", "client"):
    if str(ROOT / _part) not in sys.path:
        sys.path.insert(0, str(ROOT / _part))

from PySide6.QtCore import (  # noqa: E402
    QEvent,
    QEventLoop,
    QObject,
    QSettings,
    QTimer,
    QtMsgType,
    qInstallMessageHandler,
)
from PySide6.QtWidgets import QApplication  # noqa: E402
from server_proc import running_server  # noqa: E402

from crm_common.entities import entity  # noqa: E402

RESULTS = BENCH / "results"
OPEN_TARGET_S = 0.5
PAGE_TIMEOUT_S = 120.0
BENCH_USER, BENCH_PASSWORD = "bench", "bench-1234"  # made by bench/generate.py

# --- the client -----------------------------------------------------------------------------

def rss_mib() -> float:
    """This process's resident memory (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class FailureRecorder:
    """Takes the task runner's place for unhandled failures: the benchmark stops on the first
    one instead of waiting in front of a message box."""

    def __init__(self) -> None:
        self.errors: list[BaseException] = []
        self.loop: QEventLoop | None = None  # the wait to end when something fails

    def present(self, _parent: Any, error: BaseException, _entity: str | None) -> None:
        self.errors.append(error)
        if self.loop is not None:
            self.loop.quit()


class FirstPaintWithRows(QObject):
    """Notes when the table's viewport is first painted while the model has rows."""

    def __init__(self, view: Any, done: Callable[[], None]) -> None:
        super().__init__(view)
        self.view, self.done, self.seen = view, done, False
        view.table.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not self.seen and event.type() == QEvent.Type.Paint and self.view.model.rowCount():
            self.seen = True
            QTimer.singleShot(0, self.done)  # after this paint has been done
        return False


def _grown(model: Any, rows: int) -> bool:
    return int(model.rowCount()) > rows


def wait_for(condition: Callable[[], bool], signal: Any, timeout_s: float,
             recorder: FailureRecorder) -> None:
    """Run the event loop until ``condition()`` holds (checked whenever ``signal`` fires)."""
    loop = QEventLoop()
    timer = QTimer(singleShot=True, interval=int(timeout_s * 1000))
    timer.timeout.connect(loop.quit)
    signal.connect(loop.quit)
    recorder.loop = loop
    try:
        while not condition():
            timer.start()
            loop.exec()
            if recorder.errors:
                raise SystemExit(f"the list failed: {recorder.errors[0]!r}")
            if not timer.isActive():
                raise SystemExit(f"nothing arrived within {timeout_s:.0f} s")
    finally:
        signal.disconnect(loop.quit)
        recorder.loop = None


def _quiet_offscreen(kind: QtMsgType, _context: Any, message: str) -> None:
    """Qt's messages, minus the offscreen platform's note that windows have no size hints."""
    if "propagateSizeHints" not in message:
        print(f"Qt {kind.name}: {message}", file=sys.stderr)


class ClientBench:
    def __init__(self, base_url: str, ca_pem: str, settings_dir: Path) -> None:
        from crm_client.api.client import ApiClient
        from crm_client.core.changes import ChangeBus
        from crm_client.core.context import AppContext
        from crm_client.core.settings import ClientSettings
        from crm_client.core.tasks import TaskRunner
        from crm_client.views.entity_list import EntityListView

        self.list_view = EntityListView
        qInstallMessageHandler(_quiet_offscreen)
        self.app = QApplication.instance() or QApplication(sys.argv[:1])
        store = QSettings(str(settings_dir / "client.ini"), QSettings.Format.IniFormat)
        self.api = ApiClient(base_url, ca_pem)
        self.api.login(BENCH_USER, BENCH_PASSWORD)
        changes = ChangeBus()
        self.tasks = TaskRunner(self.api, changes)
        self.recorder = FailureRecorder()
        self.tasks.presenter = self.recorder  # type: ignore[assignment]
        self.ctx = AppContext(self.api, ClientSettings(store), self.api.me(), changes,
                              self.tasks)
        self.spec = entity("customer")

    def open_list(self) -> tuple[Any, float, float]:
        """A new customer list; seconds to its first page and to its first rows painted."""
        loop = QEventLoop()
        started = time.perf_counter()
        loaded: list[float] = []
        view = self.list_view(self.ctx, self.spec)
        view.sig_loaded.connect(lambda: loaded.append(time.perf_counter()))
        FirstPaintWithRows(view, loop.quit)
        self.recorder.loop = loop
        view.resize(1280, 800)
        view.show()
        guard = QTimer(singleShot=True, interval=int(PAGE_TIMEOUT_S * 1000))
        guard.timeout.connect(loop.quit)
        guard.start()
        loop.exec()
        shown = time.perf_counter()
        if not guard.isActive() or self.recorder.errors:
            raise SystemExit(f"the customer list did not show rows: {self.recorder.errors!r}")
        return view, (loaded[0] if loaded else shown) - started, shown - started

    def scroll_to(self, view: Any, rows: int) -> dict[str, Any]:
        """Scroll down page by page until the model holds ``rows`` rows."""
        model, table = view.model, view.table
        self.app.processEvents()
        before = rss_mib()
        page_times: list[float] = []
        started = time.perf_counter()
        while model.rowCount() < rows and model.next_cursor is not None:
            have = model.rowCount()
            page_started = time.perf_counter()
            table.scrollToBottom()  # at the bottom, Qt asks the model to fetch more
            wait_for(partial(_grown, model, have), view.sig_loaded,
                     PAGE_TIMEOUT_S, self.recorder)
            page_times.append(time.perf_counter() - page_started)
            if len(page_times) % 100 == 0:
                print(f"    {model.rowCount():>7,} rows  {time.perf_counter() - started:6.1f} s  "
                      f"last page {page_times[-1] * 1000:5.0f} ms  RSS {rss_mib():6.0f} MiB",
                      flush=True)
        elapsed = time.perf_counter() - started
        self.app.processEvents()
        after = rss_mib()
        head, tail = page_times[:20], page_times[-20:]
        return {
            "rows_loaded": model.rowCount(), "pages_fetched": len(page_times),
            "page_size": self.ctx.settings.page_size, "seconds": round(elapsed, 1),
            "first_20_pages_ms_median": round(statistics.median(head) * 1000, 1),
            "last_20_pages_ms_median": round(statistics.median(tail) * 1000, 1),
            "rss_before_mib": round(before, 1), "rss_after_mib": round(after, 1),
            "rss_growth_mib": round(after - before, 1),
            "rows_held": getattr(model, "rows_held", model.rowCount()),
            "total_estimate": model.total,
        }

    def back_to_top(self, view: Any) -> float:
        """Seconds from ``scrollToTop`` to row 0 having its record again."""
        model = view.model
        started = time.perf_counter()
        view.table.scrollToTop()
        wait_for(lambda: model.record(0) is not None, model.dataChanged, PAGE_TIMEOUT_S,
                 self.recorder)
        return time.perf_counter() - started


def measure(base_url: str, ca_pem: str, opens: int, rows: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as settings_dir:
        bench = ClientBench(base_url, ca_pem, Path(settings_dir))
        timings = []
        view = None
        for _ in range(opens):
            if view is not None:
                view.close()
                view.deleteLater()
                bench.app.processEvents()
            view, first_page, first_rows = bench.open_list()
            timings.append((first_page, first_rows))
        shown = [t[1] for t in timings]
        print(f"  open → first rows shown: first {shown[0]:.3f} s, median of {len(shown)} "
              f"{statistics.median(shown):.3f} s, max {max(shown):.3f} s "
              f"(target {OPEN_TARGET_S} s)", flush=True)
        print(f"  scrolling to row {rows:,} …", flush=True)
        scroll = bench.scroll_to(view, rows)
        scroll["back_to_top_s"] = round(bench.back_to_top(view), 3)
        bench.api.logout()
        bench.api.close()
        return {
            "open_first_rows": {
                "target_s": OPEN_TARGET_S,
                "first_s": round(shown[0], 3),
                "median_s": round(statistics.median(shown), 3),
                "max_s": round(max(shown), 3),
                "first_page_data_median_s": round(statistics.median(t[0] for t in timings), 3),
                "runs": len(shown),
                "pass": max(shown) <= OPEN_TARGET_S,
            },
            "scroll": scroll,
        }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Client list benchmark (real server, TLS)")
    parser.add_argument("--database-url", default=os.environ.get("CRM_BENCH_DATABASE_URL"))
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--opens", type=int, default=5)
    parser.add_argument("--data-dir", type=Path, default=RESULTS / "client-server")
    args = parser.parse_args(argv)
    if not args.database_url:
        parser.error("--database-url (or CRM_BENCH_DATABASE_URL) is required")
    RESULTS.mkdir(parents=True, exist_ok=True)
    print("\nClient: the customer list against `crm_server.cli run` over TLS", flush=True)
    with running_server(args.data_dir, args.database_url) as running:
        result = measure(running.base_url, running.ca_pem, args.opens, args.rows)
    scroll = result["scroll"]
    print(f"  scrolled to {scroll['rows_loaded']:,} rows in {scroll['seconds']} s "
          f"({scroll['pages_fetched']} pages of {scroll['page_size']}; first pages "
          f"{scroll['first_20_pages_ms_median']} ms, last pages "
          f"{scroll['last_20_pages_ms_median']} ms); RSS +{scroll['rss_growth_mib']} MiB, "
          f"{scroll['rows_held']:,} records held; back to the top in {scroll['back_to_top_s']} s",
          flush=True)
    report = {"server": "crm_server.cli run, HTTPS on 127.0.0.1, CA pinned", **result}
    (RESULTS / "client.json").write_text(json.dumps(report, ensure_ascii=False, indent=2),
                                         "utf-8")
    print(f"Wrote {RESULTS / 'client.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
