"""Industries as spreadsheets write them, read to the names of the industry list (GB/T 4754
sections as seeded, then as administrators keep it: the server passes the live entries).

An entry is found by its name (制造业), its code (C, c), its name without the final 业
(制造), its English name (manufacturing, any case), or one part of a name that joins
several (批发和零售业 → 批发, 零售, 零售业; 信息传输、软件和信息技术服务业 → 软件) when no
other entry shares that part. Anything else is kept as written, with a note: the customer's
industry is text, and the list only suggests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from crm_common.i18n import N_

from .values import Cleaned, cell_text, folded

NOT_LISTED = N_("Not an industry of the list: kept as written")

_JOINS = re.compile(r"[、，,]|和|及|与")


@dataclass(frozen=True)
class Industry:
    """An entry of the list as the reader needs it."""

    code: str
    name: str
    english_name: str | None = None


def _wordings(industry: Industry) -> tuple[set[str], set[str]]:
    """(its own wordings, the parts of its name: found only when no other entry has them)."""
    stem = industry.name.removesuffix("业")
    own = {industry.name, industry.code, stem, industry.english_name or ""}
    parts = {part for part in _JOINS.split(stem) if len(part) >= 2}
    return {folded(text) for text in own if text}, {
        folded(text) for part in parts for text in (part, part + "业")}


def industry_reader(industries: Iterable[Industry]) -> Callable[[object], Cleaned[str]]:
    """A reader of cells for the list ``industries``, its index built once (an import reads
    thousands of rows with it): ``reader(raw)`` gives the listed name, or the text as
    written with a note; "" for an empty cell."""
    by_wording: dict[str, str] = {}
    by_part: dict[str, set[str]] = {}
    for industry in industries:
        own, parts = _wordings(industry)
        for wording in own:
            by_wording.setdefault(wording, industry.name)
        for part in parts:
            by_part.setdefault(part, set()).add(industry.name)
    for part, names in by_part.items():
        if len(names) == 1:
            by_wording.setdefault(part, names.pop())

    @lru_cache(maxsize=4096)  # a column repeats its few values
    def read(raw: object) -> Cleaned[str]:
        key = folded(raw)
        if not key:
            return Cleaned("")
        found = by_wording.get(key)
        return Cleaned(found) if found else Cleaned(cell_text(raw), NOT_LISTED)

    return read
