"""Every icon the registry names is drawn: an unknown name gives an empty icon silently,
so a new entity's navigation entry would show none."""

from __future__ import annotations

from typing import Any

from crm_client.core.icons import icon
from crm_common.entities import REGISTRY


def test_every_icon_a_declaration_names_exists(qapp: Any) -> None:
    named = {spec.icon for spec in REGISTRY.values() if spec.icon}
    assert named and not [name for name in sorted(named) if icon(name).isNull()]
    assert not icon("import").isNull() and icon("no such icon").isNull()
