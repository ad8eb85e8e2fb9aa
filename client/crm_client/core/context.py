"""What every screen receives: the signed-in API client, settings, the signed-in user, the
change bus and the task runner. One object instead of five constructor arguments.

It also answers "may this person do that?" by the server's own rule (``Permissions.
refusal`` in common, which ``crm_server.security.access.may`` enforces), so screens hide
what their role cannot do instead of offering buttons that only fail; and a previewed role
changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crm_client.api.client import ApiClient
from crm_client.core.changes import ChangeBus
from crm_client.core.settings import ClientSettings
from crm_client.core.tasks import TaskRunner
from crm_common.entities import REGISTRY
from crm_common.permissions import Action, DataScope, FieldAccess, Permissions
from crm_common.schemas.auth import Me


@dataclass
class AppContext:
    api: ApiClient
    settings: ClientSettings
    me: Me
    changes: ChangeBus
    tasks: TaskRunner

    @property
    def permissions(self) -> Permissions:
        return self.me.permissions

    @property
    def is_admin(self) -> bool:
        """An administrator (who also gets the admin console)."""
        return self.me.permissions.admin

    @property
    def is_preview(self) -> bool:
        """An administrator looking at the data as another role would: nothing is written."""
        return self.me.preview_role_id is not None

    @property
    def administers(self) -> bool:
        """An administrator acting as one, not previewing another role: manages users,
        roles, sessions and the security policy."""
        return self.is_admin and not self.is_preview

    @property
    def user_id(self) -> int:
        return self.me.user.id

    def can(self, entity: str, action: Action) -> bool:
        """Whether the role may ``action`` some records of ``entity`` at all."""
        if action is not Action.READ and self.is_preview:
            return False
        spec = REGISTRY.get(entity)
        if spec is None:  # a newer server's entity: its grants are all this client knows
            return self.permissions.can(entity, action)
        return self.permissions.refusal(spec, action) is None

    def can_record(self, entity: str, action: Action, record: Any) -> bool:
        """Whether ``action`` reaches this record: with the "own" scope only records the user
        owns. Department scopes are left to the server (the client does not know every
        owner's department); it refuses with a clear message if need be."""
        if not self.can(entity, action):
            return False
        if record is None or self.permissions.scope(entity, action) is not DataScope.OWN:
            return True
        owner = getattr(record, "owner_id", None)
        return owner is None or owner == self.user_id

    def field_access(self, entity: str, field: str) -> FieldAccess:
        """How a field is shown: hidden, masked, read-only or editable."""
        return self.permissions.access(entity, field)

    def sees(self, entity: str, field: str) -> bool:
        """Whether the value itself may be read, sorted and filtered by."""
        return self.permissions.sees(entity, field)
