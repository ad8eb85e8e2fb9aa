"""Width and whitespace clean-up for text typed or pasted by users.

Chinese input methods produce full-width Latin letters, digits and punctuation (``ＡＢＣ１２３``,
``（``, ``＠``) and ideographic spaces; text pasted from web pages and chat tools often carries
zero-width characters. Every other normaliser builds on these two functions.
"""

from __future__ import annotations

_FULLWIDTH_FIRST = 0xFF01  # ！
_FULLWIDTH_LAST = 0xFF5E  # ～
_FULLWIDTH_OFFSET = 0xFEE0  # distance from the full-width form to its ASCII twin
_IDEOGRAPHIC_SPACE = 0x3000

HALFWIDTH: dict[int, int] = {
    code: code - _FULLWIDTH_OFFSET for code in range(_FULLWIDTH_FIRST, _FULLWIDTH_LAST + 1)
}
HALFWIDTH[_IDEOGRAPHIC_SPACE] = ord(" ")
# ``str.translate`` tables: full-width forms to ASCII, and zero-width characters dropped.

ZERO_WIDTH = dict.fromkeys((0x200B, 0x200C, 0x200D, 0xFEFF))


def to_halfwidth(s: str) -> str:
    """``s`` with full-width ASCII forms and the ideographic space turned into plain ASCII.

    Chinese characters and CJK punctuation without an ASCII twin (``、``, ``。``) are kept.
    """
    return s.translate(HALFWIDTH)


def remove_zero_width(s: str) -> str:
    """``s`` without zero-width spaces, joiners and byte-order marks."""
    return s.translate(ZERO_WIDTH)


def clean_text(s: str | None) -> str:
    """``s`` stripped, with zero-width characters removed and whitespace runs made one space.

    Widths are left alone: a company name or address keeps the characters the user typed.
    """
    if s is None:
        return ""
    return " ".join(s.translate(ZERO_WIDTH).split())
