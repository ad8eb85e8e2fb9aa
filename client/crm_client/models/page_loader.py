"""``PageLoader``: the controller that feeds an ``EntityTableModel`` from the server.

The model only asks (next page at the end of the list, a dropped page scrolled back into
view); the loader runs those queries on the task runner with the owner's current list
parameters and hands the pages back. A ``reload`` starts a new generation, so an answer to a
query made before it is dropped instead of mixing two lists.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from crm_client.api.client import PageResult
from crm_client.models.entity_model import EntityTableModel
from crm_common.entities import EntitySpec

if TYPE_CHECKING:
    from crm_client.core.context import AppContext


class PageLoader(QObject):
    """``sig_loaded`` after each new page; ``sig_failed`` when the first page failed (the
    task runner has explained why)."""

    sig_loaded = Signal()
    sig_failed = Signal()

    def __init__(
        self,
        ctx: AppContext,
        spec: EntitySpec,
        model: EntityTableModel,
        params: Callable[[], dict[str, Any]],
        parent: QObject | None = None,
        progress_text: str = "",
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._spec = spec
        self._model = model
        self._params = params
        self._progress_text = progress_text
        self._generation = 0
        model.sig_fetch_more_requested.connect(
            lambda: self._request(model.next_cursor, self._append)
        )
        model.sig_page_requested.connect(
            lambda number, after: self._request(
                after, lambda page: model.fill_page(number, page), number
            )
        )

    def reload(self) -> None:
        """Start again from the first page with the owner's parameters as they are now."""
        self._generation += 1
        self._model.reset_rows()
        self._request(None, self._append)

    def _append(self, page: PageResult) -> None:
        self._model.append_page(page)
        self.sig_loaded.emit()

    def _request(
        self, after: str | None, deliver: Callable[[PageResult], None], page: int | None = None
    ) -> None:
        """Fetch the page after ``after`` for ``deliver``; ``page`` names a dropped page."""
        params = self._params()
        if after is not None:
            params["after"] = after
        generation = self._generation

        def delivered(result: PageResult) -> None:
            if generation == self._generation:
                deliver(result)

        op = self._ctx.tasks.query(self, lambda api: api.list(self._spec, params))
        op.success(delivered)
        op.failure(lambda _error: self._failed(generation, page))
        if after is None and self._progress_text:
            op.with_progress(self._progress_text)
        op.run()

    def _failed(self, generation: int, page: int | None) -> bool:
        if generation == self._generation:
            self._model.fetch_failed(page)
            if not self._model.rowCount():
                self.sig_failed.emit()
        return False  # the task runner explains the failure
