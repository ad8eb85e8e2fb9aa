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
    """Lower-case pinyin initials; ASCII letters and digits kept, everything else dropped.

    A character at a time where that gives what pypinyin's phrase segmentation would (no
    phrase of the text reads otherwise than its characters' first readings): a few
    microseconds instead of a tenth of a millisecond, which an import of 100,000 names
    feels. tests/common/test_pinyin.py holds the two equal."""
    letters, divergent, longest = _first_letters()
    half = to_halfwidth(text)
    out: list[str] = []
    run = 0  # length of the run of Chinese characters ending here
    for index, char in enumerate(half):
        letter = letters.get(char)
        if letter is None:
            run = 0
            if char.isascii() and char.isalnum():
                out.append(char.lower())
            continue
        run += 1
        for size in range(2, min(run, longest) + 1):
            if half[index - size + 1:index + 1] in divergent:
                return _romanise(text, first_letters=True)
        out.append(letter)
    return "".join(out)


@lru_cache(maxsize=1)
def _first_letters() -> tuple[dict[str, str], frozenset[str], int]:
    """Each Chinese character's initial by its first reading, the phrases whose initials
    differ from their characters' (银行 is yh, not yx), and the longest phrase."""
    from pypinyin.constants import RE_HANS
    from pypinyin.phrases_dict import phrases_dict
    from pypinyin.pinyin_dict import pinyin_dict

    letters = {chr(code): unicodedata.normalize("NFD", readings.split(",")[0])[0].lower()
               for code, readings in pinyin_dict.items() if RE_HANS.match(chr(code))}
    divergent = frozenset(
        phrase for phrase, readings in phrases_dict.items()
        if "".join(unicodedata.normalize("NFD", r[0])[0].lower() for r in readings)
        != "".join(letters.get(char, "?") for char in phrase))
    return letters, divergent, max(len(phrase) for phrase in phrases_dict)


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
