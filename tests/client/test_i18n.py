"""The Chinese catalogue is complete: every string literal passed to ``_()`` or ``N_()`` in
common, client and server code has a non-empty zh_CN entry with the same placeholders.

The server is included because its error messages reach people through the client, in
Chinese by default.
"""

from __future__ import annotations

import ast
import json
import re
import string
from importlib import resources
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QLocale

from crm_client.core.i18n import _, current_language, resolve_language, set_language

ROOT = Path(__file__).resolve().parents[2]
SOURCES = ("common", "client", "server")
MARKERS = frozenset({"_", "N_"})


def _marked_calls(tree: ast.AST) -> list[ast.Call]:
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in MARKERS
        and node.args
    ]


def _scan() -> tuple[dict[str, str], list[str]]:
    """Marked literals (text → first place seen) and marked f-strings (never translatable)."""
    found: dict[str, str] = {}
    dynamic: list[str] = []
    for folder in SOURCES:
        for path in sorted((ROOT / folder).rglob("*.py")):
            tree = ast.parse(path.read_text("utf-8"), str(path))
            for call in _marked_calls(tree):
                where = f"{path.relative_to(ROOT)}:{call.lineno}"
                argument = call.args[0]
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    found.setdefault(argument.value, where)
                elif isinstance(argument, ast.JoinedStr):
                    dynamic.append(where)
    return found, dynamic


def _catalogue() -> dict[str, str]:
    text = resources.files("crm_common").joinpath("locale", "zh_CN.json").read_text("utf-8")
    loaded: dict[str, str] = json.loads(text)
    return loaded


def _placeholders(text: str) -> set[str]:
    return {name for _literal, name, _spec, _conv in string.Formatter().parse(text) if name}


MARKED, DYNAMIC = _scan()


def test_the_scan_finds_the_registry_and_client_strings() -> None:
    # Guards the test itself: a scan that finds nothing would pass vacuously.
    assert "Unified social credit code" in MARKED
    assert "Trust this server" in MARKED


def test_every_marked_string_has_a_chinese_translation() -> None:
    catalogue = _catalogue()
    missing = [
        f"{where}: {text!r}"
        for text, where in sorted(MARKED.items(), key=lambda i: i[1])
        if not catalogue.get(text, "").strip()
    ]
    assert not missing, "missing zh_CN entries:\n" + "\n".join(missing)


def test_translations_keep_the_placeholders() -> None:
    catalogue = _catalogue()
    wrong = [
        text
        for text in MARKED
        if text in catalogue and _placeholders(text) != _placeholders(catalogue[text])
    ]
    assert not wrong, f"placeholders differ: {wrong}"


def test_no_f_strings_are_marked_for_translation() -> None:
    assert not DYNAMIC, f"f-strings cannot be translated, use .format(): {DYNAMIC}"


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        ("zh_CN", "zh_CN"),
        ("en", "en"),
        ("en_US", "en"),
        ("zh-CN", "zh_CN"),
    ],
)
def test_resolve_language(choice: str, expected: str) -> None:
    assert resolve_language(choice) == expected


def test_set_language_switches_our_strings_and_qt_own_strings() -> None:
    set_language("zh_CN")
    assert current_language() == "zh_CN"
    assert _("Customer") == "客户"
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "取消"
    assert QLocale().language() == QLocale.Language.Chinese

    set_language("en")
    assert _("Customer") == "Customer"
    assert QCoreApplication.translate("QPlatformTheme", "Cancel") == "Cancel"


def test_chinese_text_uses_the_full_width_colon() -> None:
    """"联系人：张三", never "联系人: 张三": a colon after Chinese text is full-width
    (times like 08:30 and addresses like https:// keep theirs)."""
    half = [f"{text!r}: {chinese!r}" for text, chinese in _catalogue().items()
            if re.search(r"[\u3400-\u9fff）][ ]?:", chinese)]
    assert not half, "half-width colons:\n" + "\n".join(half)
