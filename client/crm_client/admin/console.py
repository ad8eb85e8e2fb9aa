"""The admin console's pages for the main window: roles, sessions, audit log, security,
backups, maintenance.

Which pages a person gets follows their grants: the audit log for whoever may read the
``audit`` entity (the auditor role, too), everything else for administrators only. The
server enforces the same; the pages only load when first shown.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import QWidget

from crm_client.admin.audit_page import AuditPage
from crm_client.admin.maintenance_page import MaintenancePage
from crm_client.admin.roles_page import RolesPage
from crm_client.admin.security_page import SecurityPage
from crm_client.admin.sessions_page import SessionsPage
from crm_client.core.i18n import _
from crm_client.views.backups import BackupsView
from crm_common.permissions import Action

if TYPE_CHECKING:
    from crm_client.core.context import AppContext

ROLES = "roles"
SESSIONS = "sessions"
AUDIT = "audit"
SECURITY = "security"
BACKUPS = "backups"
MAINTENANCE = "maintenance"


def console_pages(ctx: AppContext) -> list[tuple[str, str, QWidget]]:
    """``(key, label, widget)`` of each console page this user may open, in menu order."""
    pages: list[tuple[str, str, QWidget]] = []
    if ctx.administers:
        pages.append((ROLES, _("Roles"), RolesPage(ctx)))
        pages.append((SESSIONS, _("Sessions"), SessionsPage(ctx)))
    if ctx.can(AUDIT, Action.READ):
        pages.append((AUDIT, _("Audit log"), AuditPage(ctx)))
    if ctx.administers:
        pages.append((SECURITY, _("Security settings"), SecurityPage(ctx)))
        pages.append((BACKUPS, _("Backups"), BackupsView(ctx)))
        pages.append((MAINTENANCE, _("Maintenance"), MaintenancePage(ctx)))
    return pages
