"""The dependency rule (ARCHITECTURE §3): common imports only the standard library,
pydantic, pypinyin, and asn1crypto and cryptography (Authenticode, pure Python and wheels on
every platform); the client never imports the server; the server never imports Qt."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# annotated_types is pydantic's own constraint vocabulary (``Interval``), installed with it.
ALLOWED_IN_COMMON = {"pydantic", "annotated_types", "pypinyin", "asn1crypto", "cryptography",
                     "crm_common"}
FORBIDDEN = {
    "crm_common": {"crm_server", "crm_client", "PySide6", "sqlalchemy", "fastapi", "httpx"},
    "crm_client": {"crm_server", "sqlalchemy", "fastapi", "uvicorn", "alembic"},
    "crm_server": {"crm_client", "PySide6", "shiboken6"},
}


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_layer_imports(package: str) -> None:
    folder = {"crm_common": "common", "crm_server": "server", "crm_client": "client"}[package]
    offenders = {}
    for path in (ROOT / folder / package).rglob("*.py"):
        imported = _imports(path)
        bad = imported & FORBIDDEN[package]
        if package == "crm_common":
            bad |= {name for name in imported
                    if name not in ALLOWED_IN_COMMON and name not in sys.stdlib_module_names}
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}
