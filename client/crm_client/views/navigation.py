"""Which pages a person gets in the navigation, in which groups and order — from the registry.

The workbench comes first and the administration console last (fixed pages); between them
every registered entity with a ``nav`` the person may read, under its group's header. Groups
sit where their first entity's ``order`` puts them, entities by ``order`` within their group
(ties keep the registry's order). A registered screen (``views.screens.register_list``) may
narrow who gets a page (the audit log: auditors, not administrators, who have the console).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from crm_client.core.i18n import _
from crm_client.views.screens import list_screen
from crm_common.entities import REGISTRY, EntitySpec, entity
from crm_common.permissions import Action

if TYPE_CHECKING:
    from crm_client.core.context import AppContext

WORKBENCH = "workbench"
ADMIN = "admin"


@dataclass(frozen=True)
class NavGroup:
    """A header in the navigation (English source, translated when shown) and its pages."""

    label: str
    keys: tuple[str, ...]


def nav_groups(ctx: AppContext) -> list[NavGroup]:
    """The entity pages this person may open, grouped and ordered."""
    ranked = sorted((spec for spec in REGISTRY.values() if _offered(ctx, spec)),
                    key=lambda spec: spec.nav.order if spec.nav else 0)
    groups: dict[str, list[str]] = {}
    for spec in ranked:
        assert spec.nav is not None
        groups.setdefault(spec.nav.group, []).append(spec.key)
    return [NavGroup(label, tuple(keys)) for label, keys in groups.items()]


def navigation_keys(ctx: AppContext) -> list[str]:
    """Every page this person may open, in menu order (the Ctrl+1… shortcuts follow it)."""
    keys = [WORKBENCH, *(key for group in nav_groups(ctx) for key in group.keys)]
    if ctx.is_admin:
        keys.append(ADMIN)
    return keys


def page_label(key: str) -> str:
    if key == WORKBENCH:
        return _("Workbench")
    if key == ADMIN:
        return _("Administration")
    return _(entity(key).label_plural)


def page_icon(key: str) -> str:
    return key if key in (WORKBENCH, ADMIN) else entity(key).icon


def _offered(ctx: AppContext, spec: EntitySpec) -> bool:
    if spec.nav is None or not ctx.can(spec.key, Action.READ):
        return False
    screen = list_screen(spec.key)
    return screen is None or screen.shown(ctx)
