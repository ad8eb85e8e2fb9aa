"""Company-name keys for duplicate detection.

``华为技术有限公司`` and `` 华为技术 有限公司 ``, or ``ＡＢＣ Co., Ltd.`` and ``abc ltd``, typed by
different sales reps must collide, so the key drops widths, spacing, case and the legal form.
"""

from __future__ import annotations

import re

from .text import clean_text, to_halfwidth

LEGAL_FORMS = (
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团有限公司",
    "集团",
    "公司",
    "co.,ltd.",
    "co., ltd.",
    "co.,ltd",
    "ltd.",
    "ltd",
    "inc.",
    "inc",
)


def _suffix_pattern(form: str) -> re.Pattern[str]:
    """Match ``form`` at the end, whatever the spacing inside it.

    A bare word (``ltd``, ``inc.``) must not end another word, so ``Zinc`` keeps its ``inc``;
    ``co.,ltd`` is distinctive enough to match even when glued to the name.
    """
    chars = [re.escape(char) for char in form if not char.isspace()]
    is_word = form.isascii() and form.rstrip(".").isalpha()
    boundary = r"(?<![a-z0-9])" if is_word else ""
    return re.compile(boundary + r"\s*".join(chars) + r"\s*$")


_SUFFIXES = tuple(
    _suffix_pattern(form)
    for form in sorted(LEGAL_FORMS, key=lambda form: len("".join(form.split())), reverse=True)
)


def company_key(name: str) -> str:
    """The duplicate-detection key of a company name (see the module docstring).

    Only the longest matching legal form is removed, and only once; a name that is nothing but
    a legal form keeps it, so the key is never empty for a non-empty name.
    """
    text = clean_text(to_halfwidth(name)).lower()
    for suffix in _SUFFIXES:
        stem = suffix.sub("", text, count=1)
        if stem != text:
            text = stem.rstrip(" ,.") or text
            break
    return "".join(text.split())
