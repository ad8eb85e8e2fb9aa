"""``TagsEdit``: tags typed on one line, separated by commas or 顿号 (、)."""

from __future__ import annotations

import re

from PySide6.QtWidgets import QLineEdit, QWidget

from crm_client.core.i18n import _
from crm_client.models.formatting import format_tags

_SEPARATORS = re.compile(r"[,，、;；]")


def split_tags(text: str) -> list[str]:
    """The tags of ``text`` in order, trimmed, without blanks or repeats."""
    seen: dict[str, None] = {}
    for part in _SEPARATORS.split(text):
        tag = part.strip()
        if tag:
            seen.setdefault(tag, None)
    return list(seen)


class TagsEdit(QLineEdit):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText(_("Separate tags with commas or 、"))
        self.setClearButtonEnabled(True)

    def tags(self) -> list[str]:
        return split_tags(self.text())

    def set_tags(self, tags: list[str] | None) -> None:
        self.setText(format_tags(tags))
