"""Who is asking: the signed-in user as the access rules see it."""

from __future__ import annotations

from dataclasses import dataclass, field

from crm_common.permissions import Permissions


@dataclass(frozen=True)
class Principal:
    """``permissions`` are the merged grants of the user's roles, made again whenever a
    role, grant, user or department changed (``security.bearer``: a changed role applies
    to the next request). ``subtree`` holds the user's department and
    every department below it; ``colleagues`` and ``team`` the ids of the users in the
    user's own department and in that subtree (whom the department scopes reach).
    ``preview_role_id``: an administrator looking at the data as
    that role would (nothing can be changed meanwhile)."""

    user_id: int
    username: str
    name: str
    department_id: int | None
    permissions: Permissions = field(default_factory=Permissions)
    subtree: frozenset[int] = frozenset()
    colleagues: frozenset[int] = frozenset()
    team: frozenset[int] = frozenset()
    session_id: int | None = None
    language: str = "zh_CN"
    preview_role_id: int | None = None

    @property
    def is_admin(self) -> bool:
        return self.permissions.admin
