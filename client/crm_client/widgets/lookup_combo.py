"""``LookupCombo``: pick a record of another entity (owner, customer, contact) by typing.

A line edit with a drop-down arrow. Typing searches on the server (``q``, debounced) for
searchable entities; small reference lists that the server does not search (users,
departments) are loaded once, whole, and matched here — filtering a complete list locally is
fine, filtering a partial page is not (ARCHITECTURE §5).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from PySide6.QtCore import QModelIndex, QTimer, Signal
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import QCompleter, QLineEdit, QWidget

from crm_client.core.i18n import _
from crm_client.widgets.glyphs import chevron_icon
from crm_common.entities import EntitySpec

if TYPE_CHECKING:
    from crm_client.core.context import AppContext

DEBOUNCE_MS = 300
SEARCH_LIMIT = 20
WHOLE_LIST_LIMIT = 500  # the API's page maximum; reference lists that are not searched


def record_title(spec: EntitySpec, record: BaseModel) -> str:
    return str(getattr(record, spec.title_field, "") or "")


class LookupCombo(QLineEdit):
    """``value()`` is the chosen record's id or None; ``sig_value_changed(id | None)``."""

    sig_value_changed = Signal(object)

    def __init__(
        self,
        ctx: AppContext,
        spec: EntitySpec,
        parent: QWidget | None = None,
        *,
        placeholder: str = "",
    ) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._spec = spec
        self._id: int | None = None
        self._title = ""
        self._params: dict[str, Any] = {}
        self._whole_list: list[tuple[int, str]] | None = None
        self._generation = 0
        self.setPlaceholderText(placeholder or _("Type to search…"))
        self.setClearButtonEnabled(True)
        self._items = QStandardItemModel(self)
        self._shown: list[tuple[int, str]] = []  # the popup's rows (ids stay out of QVariant)
        self._completer = self._make_completer()
        arrow = self.addAction(chevron_icon(), QLineEdit.ActionPosition.TrailingPosition)
        arrow.setToolTip(_("Show choices"))
        arrow.triggered.connect(self.show_choices)
        self._timer = QTimer(self, singleShot=True, interval=DEBOUNCE_MS)
        self._timer.timeout.connect(self._search)
        self.textEdited.connect(self._on_text_edited)
        self.editingFinished.connect(self._on_editing_finished)

    def _make_completer(self) -> QCompleter:
        completer = QCompleter(self._items, self)
        completer.setWidget(self)
        completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        completer.setMaxVisibleItems(12)
        completer.activated[QModelIndex].connect(self._on_chosen)  # type: ignore[index]
        return completer

    # -- public ------------------------------------------------------------------------------

    def value(self) -> int | None:
        return self._id

    def title(self) -> str:
        return self._title

    def set_value(self, record_id: int | None, title: str | None = None) -> None:
        """Show ``record_id``; without ``title`` the title is fetched from the server."""
        self._id = record_id
        self._title = title or ""
        self.setText(self._title)
        if record_id is not None and title is None:
            self._fetch_title(record_id)

    def set_params(self, params: Mapping[str, Any]) -> None:
        """Extra list parameters that narrow the choices (contacts of one customer)."""
        self._params = {key: value for key, value in params.items() if value is not None}
        self._whole_list = None

    def show_choices(self) -> None:
        self.setFocus()
        self._search(show_all=True)

    def _hide_popup(self) -> None:
        popup = self._completer.popup()
        if popup is not None:
            popup.hide()

    # -- searching ---------------------------------------------------------------------------

    def _on_text_edited(self, text: str) -> None:
        if not text:
            self._choose(None, "")
            self._hide_popup()
            return
        self._timer.start()

    def _search(self, show_all: bool = False) -> None:
        text = "" if show_all else self.text().strip()
        if self._whole_list is not None:
            self._show_matches(_matching(self._whole_list, text))
            return
        self._generation += 1
        generation = self._generation
        params = self._list_params(text)
        (
            self._ctx.tasks.query(self, lambda api: api.list(self._spec, params))
            .success(lambda page: self._on_results(generation, text, page))
            .run()
        )

    def _list_params(self, text: str) -> dict[str, Any]:
        if self._spec.searchable:
            query = {"q": text} if text else {}
            return {**self._params, **query, "limit": SEARCH_LIMIT}
        return {**self._params, "limit": WHOLE_LIST_LIMIT}

    def _on_results(self, generation: int, text: str, page: Any) -> None:
        if generation != self._generation:
            return  # an answer to an older query
        found = [(item.id, record_title(self._spec, item)) for item in page.items]
        if not self._spec.searchable:
            if page.next is None:
                self._whole_list = found
            found = _matching(found, text)
        self._show_matches(found)

    def _show_matches(self, found: list[tuple[int, str]]) -> None:
        self._items.clear()
        self._shown = found
        for _record_id, title in found:
            self._items.appendRow(QStandardItem(title))
        if not found:
            empty = QStandardItem(_("No matches"))
            empty.setEnabled(False)
            self._items.appendRow(empty)
        if self.hasFocus():
            self._completer.complete()

    def _fetch_title(self, record_id: int) -> None:
        (
            self._ctx.tasks.query(self, lambda api: api.get(self._spec, record_id))
            .success(lambda record: self._on_title(record_id, record))
            .failure(lambda _exc: True)  # the id stays; only its name is missing
            .run()
        )

    def _on_title(self, record_id: int, record: BaseModel) -> None:
        if self._id == record_id:
            self._title = record_title(self._spec, record)
            self.setText(self._title)

    # -- choosing ----------------------------------------------------------------------------

    def _on_chosen(self, index: QModelIndex) -> None:
        if 0 <= index.row() < len(self._shown):
            self._choose(*self._shown[index.row()])

    def _choose(self, record_id: int | None, title: str) -> None:
        self._timer.stop()
        changed = record_id != self._id
        self._id = record_id
        self._title = title
        self.setText(title)
        if changed:
            self.sig_value_changed.emit(record_id)

    def _on_editing_finished(self) -> None:
        """Typed text that was not chosen from the list goes back to the chosen record."""
        popup = self._completer.popup()
        if popup is not None and popup.isVisible():
            return
        if not self.text().strip():
            self._choose(None, "")
        elif self.text() != self._title:
            self.setText(self._title)


def _matching(choices: list[tuple[int, str]], text: str) -> list[tuple[int, str]]:
    needle = text.casefold()
    return [(key, title) for key, title in choices if needle in title.casefold()]
