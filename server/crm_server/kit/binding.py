"""Which ORM model and which service stand behind each registered entity.

The registry in ``crm_common`` knows nothing of SQLAlchemy; this is where the server pairs
an ``EntitySpec`` with its model and (optionally) a service subclass with behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from crm_common.entities import EntitySpec
from crm_server.db.base import Record

if TYPE_CHECKING:
    from crm_server.kit.service import CrudService


@dataclass(frozen=True)
class Binding:
    spec: EntitySpec
    model: type[Record]
    service: CrudService


BINDINGS: dict[str, Binding] = {}


def bind(spec: EntitySpec, model: type[Record], service: CrudService | None = None) -> Binding:
    from crm_server.kit.service import CrudService

    service = service or CrudService()
    service.attach(spec, model)
    binding = Binding(spec, model, service)
    BINDINGS[spec.key] = binding
    return binding


def binding(key: str) -> Binding:
    return BINDINGS[key]
