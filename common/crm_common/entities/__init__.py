"""The entity registry. Importing this package registers every entity."""

from crm_common.entities import declarations as _declarations  # noqa: F401 - registers
from crm_common.entities.spec import (
    REGISTRY,
    Choice,
    EntitySpec,
    FieldSpec,
    Kind,
    Match,
    Nav,
    by_path,
    entity,
    register,
)

__all__ = ["REGISTRY", "Choice", "EntitySpec", "FieldSpec", "Kind", "Match", "Nav", "by_path",
           "entity", "register"]
