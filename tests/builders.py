"""Typed builders for test data: valid by default, unique where uniqueness matters."""

from __future__ import annotations

import itertools
from typing import Any

from crm_common.cleansing import uscc_check_char

PASSWORD = "demo1234"  # every demo user's password
ADMIN_PASSWORD = "Admin-pass-2026"  # the first administrator of the end-to-end server
_counter = itertools.count(1)
_ORG_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def unique() -> int:
    return next(_counter) + 1000 * (id(_counter) % 997)


def valid_uscc(n: int | None = None) -> str:
    """A checksum-valid unified social credit code, different for each ``n``."""
    n = unique() if n is None else n
    body = ""
    for _ in range(9):
        n, rest = divmod(n, len(_ORG_CHARS))
        body = _ORG_CHARS[rest] + body
    first17 = "91310000" + body
    return first17 + uscc_check_char(first17)


def customer(**overrides: Any) -> dict[str, Any]:
    tag = unique()
    values: dict[str, Any] = {
        "name": f"测试精工机械{tag}有限公司",
        "short_name": f"精工{tag}",
        "province": "江苏省",
        "city": "苏州市",
        "status": "potential",
        "phone": "0512-66886688",
    }
    values.update(overrides)
    return values


def contact(customer_id: int, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"customer_id": customer_id, "name": "周工", "title": "设备科科长",
                              "mobile": "13912345678"}
    values.update(overrides)
    return values


def activity(customer_id: int, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {"customer_id": customer_id, "type": "visit",
                              "subject": "设备选型技术交流"}
    values.update(overrides)
    return values


def role_id(api: Any, key: str) -> int:
    """The id of a built-in role (``sales_rep``, …) through a signed-in ``ApiClient``."""
    from crm_common.entities import entity

    roles = api.list(entity("role"), {"limit": 100}).items
    return next(int(r.id) for r in roles if r.key == key)


def department(api: Any, admin: dict[str, str], parent: int | None = None) -> int:
    """A new department through the in-process API (``api``: a TestClient)."""
    made = api.post("/api/v1/departments", headers=admin,
                    json={"name": f"部门{unique()}", "parent_id": parent})
    assert made.status_code == 201, made.text
    return int(made.json()["id"])


def custom_role(api: Any, admin: dict[str, str], entities: dict[str, Any]) -> dict[str, Any]:
    """A new role granting ``entities`` (the ``Permissions.entities`` document)."""
    made = api.post("/api/v1/roles", headers=admin, json={
        "name": f"角色{unique()}", "permissions": {"entities": entities}})
    assert made.status_code == 201, made.text
    return dict(made.json())
