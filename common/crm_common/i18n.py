"""A tiny message catalogue shared by server and client.

Source strings are English and wrapped in ``N_()`` where they are declared (so a test can
find them all); ``translate()`` looks them up in ``locale/<lang>.json``. The client wraps the
same catalogue for its widgets; the server uses it for error messages, choosing the language
from the request's ``Accept-Language``.
"""

from __future__ import annotations

import json
from functools import cache
from importlib import resources

LANGUAGES = ("zh_CN", "en")
DEFAULT_LANGUAGE = "zh_CN"


def N_(text: str) -> str:
    """Mark a string for translation without translating it now."""
    return text


@cache
def catalogue(language: str) -> dict[str, str]:
    """The translations for ``language`` (empty for English, the source language)."""
    if language == "en":
        return {}
    data = resources.files("crm_common").joinpath("locale", f"{language}.json").read_text("utf-8")
    loaded: dict[str, str] = json.loads(data)
    return loaded


def translate(text: str, language: str) -> str:
    """``text`` in ``language``; the English source when no translation exists."""
    return catalogue(normalise_language(language)).get(text, text)


def normalise_language(tag: str | None) -> str:
    """Map a locale or Accept-Language value (``zh-CN,zh;q=0.9``, ``en_US``) to a catalogue."""
    if not tag:
        return DEFAULT_LANGUAGE
    first = tag.split(",")[0].strip().lower().replace("-", "_")
    return "en" if first.startswith("en") else "zh_CN"
