"""Every data file a package reads at run time (message catalogues, the administrative
divisions, migrations) is declared as its package data, so wheels and the client bundle
ship it: an editable install would read it from the work tree and hide the omission."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"crm_common": ROOT / "common", "crm_server": ROOT / "server",
            "crm_client": ROOT / "client"}


@pytest.mark.parametrize("package", sorted(PACKAGES))
def test_every_data_file_is_package_data(package: str) -> None:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    patterns = config["tool"]["setuptools"]["package-data"][package]
    top = PACKAGES[package] / package
    files = [path.relative_to(top) for path in top.rglob("*") if path.is_file()
             and path.suffix not in (".py", ".pyc") and "__pycache__" not in path.parts]
    assert files or package != "crm_common"
    assert [path for path in files if not any(path.match(p) for p in patterns)] == []
