"""The client offers exactly what the server allows: both decide with common's
``Permissions.refusal`` (the server raising it as a 403, the client hiding the action)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from crm_client.core.context import AppContext
from crm_common.entities import REGISTRY
from crm_common.errors import Forbidden
from crm_common.permissions import Action, Permissions
from crm_common.schemas.auth import Me
from crm_common.schemas.user import UserRead
from crm_server.security import access
from crm_server.security.principal import Principal
from crm_server.security.roles import BUILTIN, default_permissions

NOW = datetime(2026, 1, 1, tzinfo=UTC)


def _context(permissions: Permissions, preview_role_id: int | None = None) -> AppContext:
    me = Me(user=UserRead(id=7, version=1, created_at=NOW, updated_at=NOW),
            permissions=permissions, preview_role_id=preview_role_id)
    nothing: Any = None  # ``can`` reads only the signed-in user's grants
    return AppContext(nothing, nothing, me, nothing, nothing)


def _server_refusal(permissions: Permissions, key: str, action: Action) -> str | None:
    user = Principal(7, "someone", "某人", None, permissions)
    try:
        access.may(user, REGISTRY[key], action)
    except Forbidden as refused:
        return refused.detail
    return None


@pytest.mark.parametrize("role", BUILTIN, ids=lambda role: role.key)
def test_client_and_server_decide_alike(role: Any) -> None:
    permissions = default_permissions(role)
    ctx = _context(permissions)
    for key, spec in REGISTRY.items():
        for action in Action:
            reason = permissions.refusal(spec, action)
            assert _server_refusal(permissions, key, action) == reason, (key, action)
            assert ctx.can(key, action) is (reason is None), (role.key, key, action)


def test_a_previewed_role_changes_nothing() -> None:
    ctx = _context(Permissions(admin=True), preview_role_id=3)
    assert ctx.can("customer", Action.READ)
    assert not any(ctx.can("customer", action) for action in Action if action is not Action.READ)
