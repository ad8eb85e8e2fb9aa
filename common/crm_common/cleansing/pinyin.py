"""Pinyin search keys, so ``hwjs`` or ``huawei`` finds 华为技术有限公司, and the pinyin sort
order of names (东莞 < 佛山 < 上海 < 伟业) where the database has no ICU (SQLite).

pypinyin loads large dictionaries on import, so it is imported on first use rather than when
``crm_common.cleansing`` is imported; results are cached because the same names are keyed
again and again (list refreshes, imports, duplicate checks).
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from .text import to_halfwidth

_CACHE_SIZE = 4096
_SORT_CACHE_SIZE = 65536  # an index build compares each name many times
_SEPARATOR = "\x00"  # below every letter, so a shorter syllable sorts first (an < ang)
_TONE_MARKS = {"\u0304": "1", "\u0301": "2", "\u030c": "3", "\u0300": "4"}
_UMLAUT = "\u0308"  # lǚ is written lv, after lu


def initials(text: str) -> str:
    """Lower-case pinyin initials; ASCII letters and digits kept, everything else dropped."""
    return _romanise(text, first_letters=True)


def full_pinyin(text: str) -> str:
    """Lower-case toneless pinyin without separators (``华为`` → ``huawei``)."""
    return _romanise(text, first_letters=False)


@lru_cache(maxsize=_CACHE_SIZE)
def _romanise(text: str, *, first_letters: bool) -> str:
    from pypinyin import Style, lazy_pinyin

    style = Style.FIRST_LETTER if first_letters else Style.NORMAL
    # Non-Chinese runs come back unchanged ("default" errors) and are filtered below.
    syllables = lazy_pinyin(to_halfwidth(text), style=style, errors="default")
    return "".join(char for char in "".join(syllables).lower() if char.isascii() and char.isalnum())


def compare(left: str, right: str) -> int:
    """-1, 0 or 1 as ``left`` sorts before, with or after ``right`` in pinyin order: the
    SQLite collation of names. Only equal strings compare equal, so ``=`` keeps its meaning
    and the order is total (an index built with it never sees two orders)."""
    left_key, right_key = sort_key(left), sort_key(right)
    return (left_key > right_key) - (left_key < right_key)


@lru_cache(maxsize=_SORT_CACHE_SIZE)
def sort_key(text: str) -> tuple[str, str, str]:
    """The pinyin sort key of ``text``, close to ICU's ``zh`` collation (which PostgreSQL
    uses): punctuation, then digits, then Chinese characters by their most common reading
    (syllable, then tone), then Latin letters ignoring width and case; lower case before
    upper case next, and the text itself as the final tie-break.

    One reading per character, as ICU does: phrase segmentation costs a millisecond a name,
    too slow for sorting and index builds."""
    return _SEPARATOR.join(map(_reading, text)), text.swapcase(), text


@lru_cache(maxsize=_SORT_CACHE_SIZE)
def _reading(char: str) -> str:
    """A character's place in the order: its group digit, then its letters."""
    from pypinyin.pinyin_dict import pinyin_dict

    readings: str | None = pinyin_dict.get(ord(char))
    if readings:
        return "3" + _syllable(readings.split(",")[0]) + char
    if char.isdigit():
        return "2" + to_halfwidth(char)
    if _is_han(char):  # a rare character without a reading: after every syllable
        return "3{" + char
    return ("4" if char.isalpha() else "1") + to_halfwidth(char).casefold()


def _syllable(reading: str) -> str:
    """``zhǎng`` → ``zhang``, a mark below every letter (so ``zhan`` sorts before
    ``zhang``), ``3``: the letters, then the tone (the neutral one last, as in ICU)."""
    tone = "5"
    letters = []
    for char in unicodedata.normalize("NFD", reading):
        if char in _TONE_MARKS:
            tone = _TONE_MARKS[char]
        else:
            letters.append("v" if char == _UMLAUT else char)
    return "".join(letters) + "\x01" + tone


def _is_han(char: str) -> bool:
    return unicodedata.name(char, "").startswith("CJK UNIFIED IDEOGRAPH")
