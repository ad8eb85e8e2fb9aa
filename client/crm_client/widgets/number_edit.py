"""``NumberEdit``: a money amount, unit price, rate or plain decimal typed as text.

The value never passes through a float (a ``QDoubleSpinBox`` would turn 0.1 + 0.2 into
0.30000000000000004 and 18 digits into 17): the text is the value, read as a ``Decimal``.
Right-aligned like every figure; grouped with thousands separators (``1,200.5678``) while it
is not being edited, plain (``1200.5678``) while it is. The validator takes as many places as
the field has and as many digits as the database column holds (``Numeric(18, places)``), and
cleans what people paste from spreadsheets and chats (``¥1,200.50``, full-width digits).
A rate shows a trailing ``%``.
"""

from __future__ import annotations

import re
from decimal import Decimal

from PySide6.QtCore import Qt
from PySide6.QtGui import QFocusEvent, QResizeEvent, QValidator
from PySide6.QtWidgets import QLabel, QLineEdit, QWidget

from crm_client.models.formatting import PERCENT_SIGN, format_number, to_decimal
from crm_common.cleansing.text import remove_zero_width, to_halfwidth
from crm_common.entities import FieldSpec, Kind

TOTAL_DIGITS = 18  # Numeric(18, places) on the server
SUFFIX_GAP = 4  # pixels between the text and a suffix
_PASTED_NOISE = re.compile(r"[\s¥￥]")  # spaces and currency signs of pasted text


class DecimalValidator(QValidator):
    """Accepts a signed decimal of at most ``places`` places and ``TOTAL_DIGITS`` digits,
    with or without thousands separators (the grouped text shown outside editing is valid
    too); drops spaces and currency signs and makes full-width digits plain."""

    def __init__(self, places: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._whole_digits = TOTAL_DIGITS - places
        self._fraction = re.compile(rf"\d{{0,{places}}}")
        self._places = places

    def validate(self, text: str, pos: int) -> tuple[QValidator.State, str, int]:
        cleaned = clean_number(text)
        pos -= len(text[:pos]) - len(clean_number(text[:pos]))
        if not self._is_number(cleaned):
            return QValidator.State.Invalid, text, pos
        unfinished = cleaned.replace(",", "") in ("-", ".", "-.")
        state = QValidator.State.Intermediate if unfinished else QValidator.State.Acceptable
        return state, cleaned, pos

    def _is_number(self, text: str) -> bool:
        whole, dot, fraction = text.removeprefix("-").partition(".")
        digits = whole.replace(",", "")
        if not (digits.isdigit() or digits == "") or len(digits) > self._whole_digits:
            return False
        return not dot or (self._places > 0 and self._fraction.fullmatch(fraction) is not None)


def clean_number(text: str) -> str:
    """``text`` in plain ASCII without spaces or currency signs (separators stay)."""
    return _PASTED_NOISE.sub("", remove_zero_width(to_halfwidth(text)))


class NumberEdit(QLineEdit):
    """The text box of a numeric field: ``decimal()`` / ``set_decimal()``."""

    def __init__(self, field: FieldSpec, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._field = field
        self.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.setValidator(DecimalValidator(field.scale or 0, self))
        self.suffix: QLabel | None = None
        if field.kind is Kind.PERCENT:
            self.suffix = QLabel(PERCENT_SIGN, self)
            self.setTextMargins(0, 0, self.suffix.sizeHint().width() + SUFFIX_GAP, 0)

    def decimal(self) -> Decimal | None:
        """The typed number, None when there is none (empty, or only a sign)."""
        text = self.text()
        return to_decimal(text) if text.strip() else None

    def set_decimal(self, value: Decimal | None) -> None:
        self.setText("" if value is None else format_number(self._field, value,
                                                            grouped=not self.hasFocus()))
        self.setCursorPosition(0)

    def shown_text(self, grouped: bool) -> str:
        """The current number as ``set_decimal`` would show it."""
        number = self.decimal()
        return self.text() if number is None else format_number(self._field, number, grouped)

    def focusInEvent(self, event: QFocusEvent) -> None:
        self.setText(self.shown_text(grouped=False))  # no separators to type around
        super().focusInEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:
        super().focusOutEvent(event)
        self.setText(self.shown_text(grouped=True))
        self.setCursorPosition(0)

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if self.suffix is not None:
            hint = self.suffix.sizeHint()
            frame = self.contentsRect()
            self.suffix.setGeometry(frame.right() - hint.width() - SUFFIX_GAP,
                                    frame.top(), hint.width(), frame.height())
