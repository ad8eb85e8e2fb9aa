"""``DuplicateHintBanner``: "a similar customer already exists" while a new one is typed.

Checked when the name or the credit code loses focus, so sales reps see the existing record
(and who owns it) before they save, not after the server warns. A failed check stays silent:
it is a hint, and the server checks again on save.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget

from crm_client.core.i18n import _
from crm_client.widgets.banner import Banner, BannerLevel
from crm_common.schemas.customer import DuplicateMatch

if TYPE_CHECKING:
    from crm_client.core.context import AppContext

MIN_NAME_LENGTH = 2


def describe_match(match: DuplicateMatch) -> str:
    """``X (owner: Y)`` for one existing customer; one the user may not read is named only
    by its owner."""
    if match.name is None:
        return _("a customer of {owner}").format(owner=match.owner_name or _("nobody"))
    if match.owner_name:
        return _("{name} (owner: {owner})").format(name=match.name, owner=match.owner_name)
    return match.name


def describe_matches(matches: list[DuplicateMatch]) -> str:
    text = _("A similar customer already exists: {match}").format(
        match=describe_match(matches[0])
    )
    if len(matches) > 1:
        text += _(" and {count} more").format(count=len(matches) - 1)
    return text


class DuplicateHintBanner(Banner):
    """``sig_open_record("customer", id)`` when the user asks to see the existing record."""

    sig_open_record = Signal(str, int)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._ctx = ctx
        self._asked: tuple[str, str | None] | None = None
        self._match_id: int | None = None
        self.sig_action.connect(self._open_match)

    def check(self, name: str | None, uscc: str | None) -> None:
        name = (name or "").strip()
        key = (name, uscc or None)
        if key == self._asked:
            return
        self._asked = key
        if len(name) < MIN_NAME_LENGTH and not uscc:
            self.clear()
            return
        (
            self._ctx.tasks.query(self, lambda api: api.find_duplicates(name, uscc or None))
            .success(lambda matches: self._show(key, matches))
            .failure(lambda _error: True)
            .run()
        )

    def _show(self, key: tuple[str, str | None], matches: list[DuplicateMatch]) -> None:
        if key != self._asked:
            return  # the user typed on meanwhile
        if not matches:
            self.clear()
            return
        self._match_id = matches[0].id
        action = _("Open") if self._match_id is not None else ""
        self.show_message(describe_matches(matches), action, BannerLevel.WARNING)

    def _open_match(self) -> None:
        if self._match_id is not None:
            self.sig_open_record.emit("customer", self._match_id)
