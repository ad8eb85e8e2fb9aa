"""Pairs every registered entity with its model, its service and whose its records are
(see ``kit.binding`` and ``security.ownership``)."""

from __future__ import annotations

from crm_common.entities import REGISTRY
from crm_server.domains.admin import AuditService, RoleService
from crm_server.domains.customers import ActivityService, ContactService, CustomerService
from crm_server.domains.jobs import JobService
from crm_server.domains.people import DepartmentService, UserService
from crm_server.kit.binding import BINDINGS, bind
from crm_server.kit.service import CrudService
from crm_server.models import (
    Activity,
    Attachment,
    AuditEntry,
    Contact,
    Customer,
    Department,
    Job,
    Role,
    User,
)
from crm_server.security.ownership import (
    Attached,
    ByDepartment,
    ByOwner,
    Ownership,
    Unowned,
    Via,
)


def bind_all() -> None:
    """Bind each entity once; a registered entity without a binding is a start-up error."""
    if BINDINGS:
        return
    pairs: list[tuple[str, type, Ownership, CrudService]] = [
        ("department", Department, ByDepartment("id"), DepartmentService()),
        ("user", User, ByDepartment("department_id", self_column="id"), UserService()),
        ("role", Role, Unowned(), RoleService()),
        ("customer", Customer, ByOwner(), CustomerService()),
        ("contact", Contact, Via("customer_id", "customer"), ContactService()),
        ("activity", Activity, ByOwner(), ActivityService()),
        ("attachment", Attachment, Attached(ByOwner()), CrudService()),
        ("audit", AuditEntry, ByOwner("user_id"), AuditService()),
        ("job", Job, ByOwner("started_by_id"), JobService()),
    ]
    for key, model, ownership, service in pairs:
        bind(REGISTRY[key], model, ownership, service)
    missing = set(REGISTRY) - set(BINDINGS)
    if missing:
        raise RuntimeError(f"entities without a server binding: {sorted(missing)}")
