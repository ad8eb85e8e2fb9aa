"""What every screen receives: the signed-in API client, settings, the signed-in user, the
change bus and the task runner. One object instead of five constructor arguments."""

from __future__ import annotations

from dataclasses import dataclass

from crm_client.api.client import ApiClient
from crm_client.core.changes import ChangeBus
from crm_client.core.settings import ClientSettings
from crm_client.core.tasks import TaskRunner
from crm_common.schemas.auth import Me


@dataclass
class AppContext:
    api: ApiClient
    settings: ClientSettings
    me: Me
    changes: ChangeBus
    tasks: TaskRunner

    @property
    def is_admin(self) -> bool:
        return self.me.user.role == "admin"
