"""The single access choke point (ARCHITECTURE §4).

Every query of business records starts from ``scope``; every record leaves through
``present``; every write enters through ``accept``. Lists, detail, search, history,
attachments — and later export, import, reports, PDFs and webhooks — call these and nothing
else, so one change here changes every path.

The foundation's rules are coarse: everybody signed in may read every business record;
users and departments are written by administrators only. Roles with data scopes and field
rights replace the bodies of these functions, not their callers.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select

from crm_common.entities import EntitySpec
from crm_common.errors import Forbidden
from crm_common.i18n import N_
from crm_server.security.principal import Principal


def scope(stmt: Select[Any], user: Principal, spec: EntitySpec) -> Select[Any]:
    """``stmt`` narrowed to the rows ``user`` may reach for ``spec``."""
    return stmt


def present(values: dict[str, Any], user: Principal, spec: EntitySpec) -> dict[str, Any]:
    """A record's values as ``user`` may see them, validated into the read schema."""
    read: BaseModel = spec.read.model_validate(values)
    return read.model_dump(mode="json")


def accept(changes: dict[str, Any], user: Principal, spec: EntitySpec) -> dict[str, Any]:
    """The changes ``user`` may make; refuses (never drops) what is not allowed."""
    if spec.admin_only_write and not user.is_admin:
        raise Forbidden(N_("Only administrators may change this"))
    return changes


def may_see_field(user: Principal, spec: EntitySpec, field: str) -> bool:
    """Whether ``field`` may be shown, sorted, filtered or searched by ``user``."""
    return True
