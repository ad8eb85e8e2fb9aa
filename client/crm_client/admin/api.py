"""The console's one call that ``ApiClient`` has no method for yet: saving the security
policy. It goes through ``ApiClient._request`` so it gets the same TLS pinning, bearer token
and typed errors (``StaleVersion``, ``ValidationFailed``) as every other call.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from crm_client.api.client import ApiClient
from crm_common.schemas.security import SecurityPolicy


def update_policy(api: ApiClient, version: int, changes: Mapping[str, Any]) -> SecurityPolicy:
    """Change only ``changes``; a stale ``version`` raises ``StaleVersion``."""
    payload = {**changes, "version": version}
    response = api._request("PATCH", "/security/policy", json=payload)
    return SecurityPolicy.model_validate_json(response.content)
