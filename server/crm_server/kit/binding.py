"""Which ORM model and which service stand behind each registered entity.

The registry in ``crm_common`` knows nothing of SQLAlchemy; this is where the server pairs
an ``EntitySpec`` with its model and (optionally) a service subclass with behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from crm_common.entities import EntitySpec

if TYPE_CHECKING:
    from crm_server.kit.service import CrudService
    from crm_server.security.ownership import Ownership


@dataclass(frozen=True)
class Binding:
    """``ownership`` says whose a record is, which the data scopes of roles apply to."""

    spec: EntitySpec
    model: Any
    service: CrudService
    ownership: Ownership


BINDINGS: dict[str, Binding] = {}


def bind(spec: EntitySpec, model: Any, ownership: Ownership,
         service: CrudService | None = None) -> Binding:
    from crm_server.kit.service import CrudService

    service = service or CrudService()
    service.attach(spec, model)
    binding = Binding(spec, model, service, ownership)
    BINDINGS[spec.key] = binding
    return binding


def binding(key: str) -> Binding:
    return BINDINGS[key]
