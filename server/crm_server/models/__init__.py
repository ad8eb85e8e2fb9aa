"""ORM models, one module per table. Importing this package registers them all on ``Base``:
the ones named here and every other module of the package (a plain entity's model needs no
line here)."""

import importlib
import pkgutil

from crm_server.models.activity import Activity
from crm_server.models.attachment import Attachment
from crm_server.models.audit import AuditEntry
from crm_server.models.contact import Contact
from crm_server.models.customer import Customer
from crm_server.models.department import Department
from crm_server.models.imports import ImportBatch, ImportMapping, ImportProblem, ImportRow
from crm_server.models.job import Job
from crm_server.models.role import Role, UserRole
from crm_server.models.scheduled_task import ScheduledTask
from crm_server.models.security import AccessVersion, LoginAttempt, SecurityPolicy
from crm_server.models.user import User, UserSession

__all__ = [
    "AccessVersion", "Activity", "Attachment", "AuditEntry", "Contact", "Customer", "Department",
    "ImportBatch", "ImportMapping", "ImportProblem", "ImportRow", "Job", "LoginAttempt", "Role",
    "ScheduledTask", "SecurityPolicy", "User", "UserRole", "UserSession",
]

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")
