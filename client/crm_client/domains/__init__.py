"""Custom screens: where an entity has a richer view than the generic form, it registers here.

``RECORD_VIEWS`` maps an entity key to the module and class of its record view; the modules
are imported on first use, so the generic views can ask "does this entity have its own
view?" without importing every custom screen (and without an import cycle).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from crm_client.core.context import AppContext

RECORD_VIEWS: dict[str, tuple[str, str]] = {
    "customer": ("crm_client.domains.customer360", "Customer360View"),
}


def has_record_view(entity_key: str) -> bool:
    """True when records of ``entity_key`` open in a custom view rather than the form."""
    return entity_key in RECORD_VIEWS


def record_view(
    ctx: AppContext, entity_key: str, record_id: int, parent: QWidget | None = None
) -> QWidget | None:
    """The custom view of one record (e.g. the customer 360°), None when there is none."""
    target = RECORD_VIEWS.get(entity_key)
    if target is None:
        return None
    module, name = target
    view: QWidget = getattr(import_module(module), name)(ctx, record_id, parent)
    return view
