"""Pinyin search keys, so ``hwjs`` or ``huawei`` finds 华为技术有限公司.

pypinyin loads large dictionaries on import, so it is imported on first use rather than when
``crm_common.cleansing`` is imported; results are cached because the same names are keyed
again and again (list refreshes, imports, duplicate checks).
"""

from __future__ import annotations

from functools import lru_cache

from .text import to_halfwidth

_CACHE_SIZE = 4096


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
