"""Pairs every registered entity with its model, its service and whose its records are
(see ``kit.binding`` and ``security.ownership``)."""

from __future__ import annotations

from typing import Any

from crm_common.entities import REGISTRY
from crm_server.db.base import Base
from crm_server.domains.admin import AuditService, RoleService
from crm_server.domains.customers import ActivityService, ContactService, CustomerService
from crm_server.domains.imports import ImportService
from crm_server.domains.jobs import JobService
from crm_server.domains.people import DepartmentService, UserService
from crm_server.domains.scheduled_tasks import ScheduledTaskService
from crm_server.kit.binding import BINDINGS, bind
from crm_server.kit.service import CrudService
from crm_server.models import (
    Activity,
    Attachment,
    AuditEntry,
    Contact,
    Customer,
    Department,
    ImportBatch,
    Job,
    Role,
    ScheduledTask,
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


def _model_of(key: str) -> Any:
    """The model of a plain entity: the mapped class whose table is named as the entity."""
    for mapper in Base.registry.mappers:
        if getattr(mapper.class_, "__tablename__", None) == key:
            return mapper.class_
    raise RuntimeError(f"entity {key!r} has no model (a table named {key!r})")


def plain_ownership(model: Any) -> Ownership:
    """Whose a plain entity's record is: its owner's, when it has one; else nobody's (a
    catalogue, reached with the ``all`` scope)."""
    return ByOwner() if "owner_id" in model.__table__.c else Unowned()


def bind_all() -> None:
    """Bind each entity once. Those with behaviour are named here with their service and
    ownership; a plain entity is bound to the model whose table bears its key, with the
    generic service. A registered entity without a model is a start-up error."""
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
        ("import_batch", ImportBatch, ByOwner(), ImportService()),
        ("scheduled_task", ScheduledTask, Unowned(), ScheduledTaskService()),
    ]
    for key, model, ownership, service in pairs:
        bind(REGISTRY[key], model, ownership, service)
    for key in REGISTRY.keys() - BINDINGS.keys():
        model = _model_of(key)
        bind(REGISTRY[key], model, plain_ownership(model))
