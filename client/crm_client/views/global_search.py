"""The global search box in the main toolbar (Ctrl+K).

Typing waits 250 ms for a pause, then asks the server (``/search``: names, pinyin initials,
phone digits) off the GUI thread and shows the hits in a popup under the box. Answers to
older queries that arrive late are ignored. Up/Down choose, Enter or a click opens.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent, QPainter, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCompleter,
    QLineEdit,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from crm_client.api.errors import ServerUnreachable
from crm_client.core.context import AppContext
from crm_client.core.i18n import _
from crm_client.core.icons import icon
from crm_common.entities import REGISTRY
from crm_common.schemas.auth import SearchHit

DEBOUNCE_MS = 250
LIMIT = 20
POPUP_WIDTH = 520
ROLE_HIT = Qt.ItemDataRole.UserRole + 1
ROLE_SUBTITLE = Qt.ItemDataRole.UserRole + 2
ModelIndex = QModelIndex | QPersistentModelIndex


class SearchHitDelegate(QStyledItemDelegate):
    """Title, then the subtitle in grey, then the kind of record at the right."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: ModelIndex) -> None:
        subtitle = index.data(ROLE_SUBTITLE) or ""
        hit = index.data(ROLE_HIT)
        kind = _(REGISTRY[hit.entity].label) if hit and hit.entity in REGISTRY else ""
        self.initStyleOption(option, index)
        text = option.text
        option.text = ""
        style = option.widget.style() if option.widget else None
        if style is not None:
            style.drawControl(QStyle.ControlElement.CE_ItemViewItem, option, painter, option.widget)
        rect = option.rect.adjusted(option.decorationSize.width() + 14, 0, -10, 0)
        painter.save()
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        grey = option.palette.highlightedText().color() if selected else Qt.GlobalColor.gray
        kind_width = option.fontMetrics.horizontalAdvance(kind) + 8
        painter.setPen(grey)
        painter.drawText(rect, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, kind)
        text_rect = rect.adjusted(0, 0, -kind_width, 0)
        painter.setPen(
            option.palette.highlightedText().color() if selected else option.palette.text().color()
        )
        painter.drawText(text_rect, Qt.AlignmentFlag.AlignVCenter, text)
        used = option.fontMetrics.horizontalAdvance(text) + 12
        painter.setPen(grey)
        subtitle_rect = QRect(
            text_rect.left() + used,
            text_rect.top(),
            max(0, text_rect.width() - used),
            text_rect.height(),
        )
        elided = option.fontMetrics.elidedText(
            subtitle, Qt.TextElideMode.ElideRight, subtitle_rect.width()
        )
        painter.drawText(subtitle_rect, Qt.AlignmentFlag.AlignVCenter, elided)
        painter.restore()

    def sizeHint(self, option: QStyleOptionViewItem, index: ModelIndex) -> QSize:
        size = super().sizeHint(option, index)
        return QSize(size.width(), max(size.height(), option.fontMetrics.height() + 14))


class GlobalSearchBox(QLineEdit):
    """``sig_open_hit(hit)`` when a hit is chosen."""

    sig_open_hit = Signal(object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setObjectName("globalSearch")
        self.setPlaceholderText(_("Search customers and contacts (Ctrl+K)"))
        self.setToolTip(_("Name, pinyin initials (e.g. hwjs) or phone number"))
        self.setClearButtonEnabled(True)
        self.addAction(icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.model = QStandardItemModel(self)
        self.hits_completer = QCompleter(self.model, self)
        self.hits_completer.setWidget(self)
        self.hits_completer.setCompletionMode(QCompleter.CompletionMode.UnfilteredPopupCompletion)
        self.hits_completer.setMaxVisibleItems(12)
        self._popup_view().setItemDelegate(SearchHitDelegate(self._popup_view()))
        self.hits_completer.activated[QModelIndex].connect(  # type: ignore[index]
            self._activated
        )
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self._search)
        self._generation = 0
        self._shown_generation = -1
        self._open_when_shown = False
        self.textEdited.connect(self._typed)
        self.returnPressed.connect(self._enter)

    def _popup_view(self) -> QAbstractItemView:
        popup = self.hits_completer.popup()
        assert popup is not None  # QCompleter always makes one
        return popup

    def focus_search(self) -> None:
        self.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.selectAll()

    def _typed(self, text: str) -> None:
        self._generation += 1  # whatever is in flight is now out of date
        self._open_when_shown = False
        if text.strip():
            self._timer.start()
        else:
            self._timer.stop()
            self._popup_view().hide()

    def _search(self) -> None:
        query, generation = self.text().strip(), self._generation
        if not query:
            return
        (
            self.ctx.tasks.query(self, lambda api: api.search(query, LIMIT))
            .success(lambda hits: self._show(hits, generation))
            .failure(lambda error: self._failed(error, generation))
            .run()
        )

    def _show(self, hits: list[SearchHit], generation: int) -> None:
        if generation != self._generation:
            return
        self._shown_generation = generation
        self.model.clear()
        for hit in hits:
            item = QStandardItem(
                icon(REGISTRY[hit.entity].icon if hit.entity in REGISTRY else ""), hit.title
            )
            item.setData(hit, ROLE_HIT)
            item.setData(hit.subtitle, ROLE_SUBTITLE)
            self.model.appendRow(item)
        if not hits:
            self._notice(_("No matches for “{query}”").format(query=self.text().strip()))
        if self._open_when_shown:
            self._open_when_shown = False
            self._open_first()
        else:
            self._popup()

    def _failed(self, error: BaseException, generation: int) -> bool:
        if isinstance(error, ServerUnreachable):
            return False  # the offline banner explains it
        if generation == self._generation:
            self.model.clear()
            self._notice(_("Search failed: {reason}").format(reason=str(error)))
            self._popup()
        return True

    def _notice(self, text: str) -> None:
        item = QStandardItem(text)
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        self.model.appendRow(item)

    def _popup(self) -> None:
        popup = self._popup_view()
        width = max(self.width(), POPUP_WIDTH)  # right-aligned: the box sits at the right
        self.hits_completer.complete(QRect(self.width() - width, 0, width, self.height()))
        if self.model.rowCount() and self.model.item(0).isEnabled():
            popup.setCurrentIndex(self.model.index(0, 0))

    def _activated(self, index: ModelIndex) -> None:
        """Open the hit and empty the box: the next Ctrl+K starts a new search."""
        hit = index.data(ROLE_HIT)
        if isinstance(hit, SearchHit):
            self._popup_view().hide()
            self._reset()
            self.sig_open_hit.emit(hit)

    def _reset(self) -> None:
        self.clear()
        self._typed("")

    def _enter(self) -> None:
        """Enter without choosing: open the first hit of what is typed now."""
        if self._shown_generation == self._generation:
            self._open_first()
        elif self.text().strip():
            self._open_when_shown = True
            self._timer.stop()
            self._search()

    def _open_first(self) -> None:
        if self.model.rowCount() and isinstance(self.model.item(0).data(ROLE_HIT), SearchHit):
            self._activated(self.model.index(0, 0))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() == Qt.Key.Key_Escape and self.text():
            self._reset()
            return
        super().keyPressEvent(event)
