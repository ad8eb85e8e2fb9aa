"""Pairs every registered entity with its model and service (see ``kit.binding``)."""

from __future__ import annotations

from crm_common.entities import REGISTRY
from crm_server.domains.accounts import DepartmentService, UserService
from crm_server.domains.customers import ActivityService, ContactService, CustomerService
from crm_server.kit.binding import BINDINGS, bind
from crm_server.kit.service import CrudService
from crm_server.models import Activity, Attachment, Contact, Customer, Department, User


def bind_all() -> None:
    """Bind each entity once; a registered entity without a binding is a start-up error."""
    if BINDINGS:
        return
    pairs: list[tuple[str, type, CrudService]] = [
        ("department", Department, DepartmentService()),
        ("user", User, UserService()),
        ("customer", Customer, CustomerService()),
        ("contact", Contact, ContactService()),
        ("activity", Activity, ActivityService()),
        ("attachment", Attachment, CrudService()),
    ]
    for key, model, service in pairs:
        bind(REGISTRY[key], model, service)
    missing = set(REGISTRY) - set(BINDINGS)
    if missing:
        raise RuntimeError(f"entities without a server binding: {sorted(missing)}")
