"""The canary test: nothing a role may not see leaves the server, on any route.

For each built-in role and a custom role, a user with that role gets records of their own
and a stranger (another department) gets records too. A unique canary string is planted in
every text field of all of them. Canaries in fields the role may not read (hidden or
masked) and in records outside its scope are "forbidden". Then every route of the OpenAPI
is called as that user — lists with every sort and filter, search, detail, history,
attachments, the audit log, duplicates, and the writes with stale versions (whose 409
carries the current record) — and no forbidden canary may occur in any response body or
header. Routes are read from the OpenAPI, so a route added later is walked too (and a
route the walker does not know how to call fails the test until it is taught).
"""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

import builders
from crm_common.entities import REGISTRY, EntitySpec, Kind
from crm_common.permissions import Action, DataScope, FieldAccess, Permissions
from crm_server.security.roles import BUILTIN

API = "/api/v1"
Headers = dict[str, str]
_numbers = itertools.count(1)

# Routes not walked, and why. Everything else in the OpenAPI must be callable below.
SKIPPED = {
    ("post", "/auth/login"): "takes a password, returns the caller's own token",
    ("post", "/auth/logout"): "ends the walker's own session",
    ("post", "/auth/password"): "changes the walker's own password",
    ("get", "/tls/ca.pem"): "public certificate",
    ("get", "/health"): "no records",
}
CUSTOM_ROLE = {
    "customer": {"actions": {"read": "department", "update": "own", "create": "own"},
                 "fields": {"notes": "hidden", "phone": "masked", "uscc": "hidden",
                            "address": "read", "tags": "hidden"}},
    "contact": {"actions": {"read": "department", "update": "own"},
                "fields": {"mobile": "hidden", "email": "masked", "wechat": "hidden"}},
    "activity": {"actions": {"read": "all"}, "fields": {"notes": "hidden"}},
    "attachment": {"actions": {"read": "all"}},
    "audit": {"actions": {"read": "all"}},
    "user": {"actions": {"read": "all"}, "fields": {"mobile": "hidden", "email": "masked"}},
    "department": {"actions": {"read": "all"}},
}


def canary() -> str:
    return f"Zqx{uuid.uuid4().hex[:12]}"


def _value_for(spec: EntitySpec, name: str, kind: Kind) -> tuple[Any, str]:
    """A valid value for a text-like field that is also a unique canary: (value, canary)."""
    n = next(_numbers) + 1000 * (uuid.uuid4().int % 9000)
    if name == "mobile":
        value = f"139{n:08d}"
        return value, value
    if name == "phone":
        value = f"021-6{n:07d}"
        return value, value
    if name == "email":
        word = canary().lower()
        return f"{word}@example.com", word
    if name == "uscc":
        value = builders.valid_uscc(n * 7919)
        return value, value
    word = canary()
    if kind is Kind.TAGS:
        return [word], word
    if spec.key == "customer" and name == "name":
        return f"{word}精密机械有限公司", word
    return word, word


def canary_values(spec: EntitySpec) -> dict[str, tuple[Any, str]]:
    """A canary for every text field a person can fill in."""
    kinds = (Kind.TEXT, Kind.LONG_TEXT, Kind.TAGS)
    return {f.name: _value_for(spec, f.name, f.kind) for f in spec.fields
            if f.kind in kinds and f.editable and f.name not in ("province", "city",
                                                                 "district", "industry")}


@dataclass
class World:
    """The walker's user, the records planted, and which canaries must never show."""

    role_name: str
    headers: Headers
    permissions: Permissions
    ids: dict[str, set[int]] = field(default_factory=dict)
    forbidden: set[str] = field(default_factory=set)
    allowed: set[str] = field(default_factory=set)
    stranger_id: int = 0
    walker_id: int = 0

    def note(self, key: str, record_id: int) -> None:
        self.ids.setdefault(key, set()).add(record_id)


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def _ok_list(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return list(response.json())


def _department(api: Any, admin: Headers, parent: int | None = None) -> int:
    return int(_ok(api.post(f"{API}/departments", headers=admin,
                            json={"name": canary(), "parent_id": parent}))["id"])


def _user(api: Any, admin: Headers, department_id: int, role_ids: list[int]) -> dict[str, Any]:
    username = f"u{uuid.uuid4().hex[:10]}"
    made = _ok(api.post(f"{API}/users", headers=admin, json={
        "username": username, "name": f"测试{username[-4:]}", "password": builders.PASSWORD,
        "department_id": department_id, "role_ids": role_ids}))
    return {"id": made["id"], "username": username}


def _plant(api: Any, admin: Headers, world: World, owner_id: int, visible: Callable[[str], bool]
           ) -> None:
    """Customer, contact, follow-up and attachment owned by ``owner_id``, canaries in every
    text field; ``visible(entity)`` says whether the walker may read such a record."""
    made: dict[str, dict[str, Any]] = {}
    for key in ("customer", "contact", "activity"):
        spec = REGISTRY[key]
        values = canary_values(spec)
        payload = {name: value for name, (value, _) in values.items()}
        if key == "customer":
            payload.update(owner_id=owner_id, province="江苏省", city="苏州市")
        else:
            payload["customer_id"] = made["customer"]["id"]
        if key == "activity":
            payload.update(owner_id=owner_id, contact_id=made["contact"]["id"])
        record = _ok(api.post(f"{API}/{spec.path}", headers=admin, json=payload,
                              params={"confirm": True}))
        made[key] = record
        world.note(key, record["id"])
        for name, (_, word) in values.items():
            unseen = world.permissions.access(key, name) in (FieldAccess.HIDDEN,
                                                             FieldAccess.MASKED)
            (world.forbidden if unseen or not visible(key) else world.allowed).add(word)
    # a later change of each planted field: the history and audit log must hide it too
    customer = made["customer"]
    for name, (value, word) in canary_values(REGISTRY["customer"]).items():
        if name == "name":
            continue
        changed = api.patch(f"{API}/customers/{customer['id']}", headers=admin,
                            json={"version": customer["version"], name: value})
        customer = _ok(changed)
        unseen = world.permissions.access("customer", name) in (FieldAccess.HIDDEN,
                                                                FieldAccess.MASKED)
        (world.forbidden if unseen or not visible("customer") else world.allowed).add(word)
    name = f"{canary()}.pdf"
    attached = _ok(api.post(f"{API}/attachments", headers=admin,
                            data={"entity": "customer", "record_id": str(customer["id"])},
                            files={"file": (name, b"%PDF-1.4 canary", "application/pdf")}))
    world.note("attachment", attached["id"])
    attachment_seen = visible("customer") and world.permissions.scope(
        "attachment", Action.READ) is DataScope.ALL
    (world.allowed if attachment_seen else world.forbidden).add(name.removesuffix(".pdf"))


def _reads_all(world: World) -> Callable[[str], bool]:
    return lambda key: world.permissions.scope(key, Action.READ) is DataScope.ALL


def _build(api: Any, admin: Headers, sign_in: Callable[[str], Headers], role_id: int,
           role_name: str) -> World:
    stranger_home = _department(api, admin)
    walker_home = _department(api, admin)
    roles = {r["name"]: r["id"] for r in api.get(f"{API}/roles", headers=admin,
                                                 params={"limit": 100}).json()["items"]}
    stranger = _user(api, admin, stranger_home, [roles["销售代表"]])
    walker = _user(api, admin, walker_home, [role_id])
    headers = sign_in(walker["username"])
    sign_in(stranger["username"])
    me = _ok(api.get(f"{API}/me", headers=headers))
    world = World(role_name, headers, Permissions.model_validate(me["permissions"]),
                  stranger_id=stranger["id"], walker_id=walker["id"])
    world.note("user", walker["id"])
    world.note("user", stranger["id"])
    world.note("department", stranger_home)
    world.note("role", role_id)
    for live in _ok_list(api.get(f"{API}/sessions", headers=admin,
                                 params={"user_id": stranger["id"]})):
        world.note("session", live["id"])
    own = world.permissions
    _plant(api, admin, world, walker["id"],
           lambda key: own.scope(key, Action.READ) is not DataScope.NONE)
    _plant(api, admin, world, stranger["id"], _reads_all(world))
    # a deleted stranger record: the recycle bin must not show it either
    gone = _ok(api.post(f"{API}/customers", headers=admin, params={"confirm": True},
                        json=builders.customer(owner_id=stranger["id"], notes=canary())))
    api.delete(f"{API}/customers/{gone['id']}", headers=admin,
               params={"version": gone["version"]})
    world.note("customer", gone["id"])
    (world.allowed if _reads_all(world)("customer") and own.sees("customer", "notes")
     else world.forbidden).add(gone["notes"])
    # a role whose very name is a canary
    secret_role = _ok(api.post(f"{API}/roles", headers=admin,
                               json={"name": canary(), "description": canary()}))
    world.note("role", secret_role["id"])
    for word in (secret_role["name"], secret_role["description"]):
        (world.allowed if own.can("role", Action.READ) else world.forbidden).add(word)
    audit = api.get(f"{API}/audit", headers=admin, params={"limit": 20}).json()["items"]
    world.ids["audit"] = {row["id"] for row in audit}
    world.allowed -= world.forbidden  # a canary also planted where it is forbidden
    return world


def _role_cases() -> list[str]:
    return [role.key for role in BUILTIN if not role.admin] + ["custom"]


@pytest.fixture(scope="module", params=_role_cases())
def world(request: pytest.FixtureRequest, api: Any, admin: Headers,
          sign_in: Callable[[str], Headers]) -> World:
    roles = api.get(f"{API}/roles", headers=admin, params={"limit": 100}).json()["items"]
    if request.param == "custom":
        made = _ok(api.post(f"{API}/roles", headers=admin, json={
            "name": f"自定义{uuid.uuid4().hex[:6]}",
            "permissions": {"entities": CUSTOM_ROLE}}))
        return _build(api, admin, sign_in, made["id"], made["name"])
    role = next(r for r in roles if r["key"] == request.param)
    return _build(api, admin, sign_in, role["id"], role["name"])


# --- the walker -----------------------------------------------------------------------


def _entity_of(path: str) -> EntitySpec | None:
    first = path.strip("/").split("/")[0]
    return next((spec for spec in REGISTRY.values() if spec.path == first), None)


def _path_ids(world: World, path: str) -> list[int]:
    if "{attachment_id}" in path:
        return sorted(world.ids["attachment"])
    if "{user_id}" in path:
        return sorted(world.ids["user"])
    if "{session_id}" in path:
        return sorted(world.ids["session"])
    spec = _entity_of(path)
    assert spec is not None, f"the canary walker does not know the ids for {path}"
    return sorted(world.ids.get(spec.key, set())) or [1]


def _list_params(world: World, spec: EntitySpec) -> Iterator[dict[str, Any]]:
    yield {}
    yield {"deleted": True}
    yield {"exact_total": True, "limit": 500}
    for name in sorted(spec.sort_fields):
        yield {"sort": name}
        yield {"sort": f"-{name}"}
    for name in sorted(spec.filter_fields):
        field_spec = spec.field(name)
        if field_spec.kind is Kind.REF and field_spec.ref:
            for record_id in sorted(world.ids.get(field_spec.ref, set()))[:3]:
                yield {name: record_id}
        elif field_spec.kind is Kind.CHOICE and field_spec.choices:
            yield {name: field_spec.choices[0].value}
        elif field_spec.kind in (Kind.DATE, Kind.DATETIME):
            yield {f"{name}.from": "2000-01-01"}
        elif field_spec.kind is Kind.BOOL:
            yield {name: True}
        elif field_spec.kind is Kind.INT:
            for record_id in sorted(world.ids.get("customer", set()))[:3]:
                yield {name: record_id}
        else:
            yield {name: "customer"}
    if spec.searchable:
        for q in ("zqx", "139", "021", "9131", "精密", "example"):
            yield {"q": q}


def _calls(world: World, method: str, path: str) -> Iterator[dict[str, Any]]:
    """The requests to make for one route of the OpenAPI."""
    spec = _entity_of(path)
    if method == "get" and "{" not in path:
        if path == "/search":
            for q in ("zqx", "139", "9131", "精密", "example"):
                yield {"params": {"q": q}}
        elif path == "/sessions":
            yield {"params": {"user_id": world.stranger_id}}
            yield {}
        elif spec is not None:
            for params in _list_params(world, spec):
                yield {"params": params}
        else:
            yield {}
        return
    if method == "post" and path == "/customers/duplicates":
        for word in sorted(world.forbidden):
            yield {"json": {"name": word}}
            yield {"json": {"name": "", "uscc": word}}
        return
    if method == "post" and path == "/attachments":
        for record_id in sorted(world.ids["customer"]):
            yield {"data": {"entity": "customer", "record_id": str(record_id)},
                   "files": {"file": ("a.txt", b"x", "text/plain")}}
        return
    if "{" not in path:  # create: whatever the walker sends, nothing planted may come back
        yield {"json": {}}
        return
    for record_id in _path_ids(world, path):
        concrete = re.sub(r"\{[a-z_]+\}", str(record_id), path)
        if method == "get":
            yield {"path": concrete, "params": {"deleted": True}}
            yield {"path": concrete}
        elif method == "patch":
            yield {"path": concrete, "json": {"version": 99999}}
        elif method == "delete":
            yield {"path": concrete, "params": {"version": 99999}}
        elif path.endswith("/reset-password"):
            yield {"path": concrete, "json": {"password": "Zz-123456789"}}
        else:
            yield {"path": concrete, "json": {}}


def _routes(app: Any) -> list[tuple[str, str]]:
    routes = []
    for full, operations in app.openapi()["paths"].items():
        path = full.removeprefix(API)
        routes += [(method, path) for method in operations]
    return routes


WRITES = {"post": Action.CREATE, "patch": Action.UPDATE, "delete": Action.DELETE}


def _may_write(world: World, method: str, path: str) -> bool:
    spec = _entity_of(path)
    if spec is None or path.endswith("/duplicates") or path == "/search":
        return True  # not a write of records
    action = Action.DELETE if path.endswith("/restore") else WRITES[method]
    return world.permissions.can(spec.key, action)


def test_no_forbidden_canary_leaves_the_server(api: Any, app: Any, world: World) -> None:
    # every role but the auditor's (which reads everything) hides something
    assert world.forbidden or not any(
        grant.actions.get(a) for grant in world.permissions.entities.values()
        for a in (Action.CREATE, Action.UPDATE, Action.DELETE))
    forbidden = {word.lower() for word in world.forbidden}
    checked = 0
    statuses: set[int] = set()
    # reads first, then writes (a successful write may change what later reads see)
    order = {"get": 0, "post": 1, "patch": 2, "delete": 3}
    for method, path in sorted(_routes(app), key=lambda r: (order[r[0]], r[1])):
        if (method, path) in SKIPPED:
            continue
        for call in _calls(world, method, path):
            url = API + call.pop("path", path)
            response = api.request(method.upper(), url, headers=world.headers, **call)
            assert response.status_code < 500, (method, url, response.text)
            statuses.add(response.status_code)
            body = response.text.lower()
            headers = " ".join(f"{k}: {v}" for k, v in response.headers.items()).lower()
            leaked = {word for word in forbidden if word in body or word in headers}
            assert not leaked, (world.role_name, method, url, call, leaked, response.text[:500])
            if method != "get" and response.status_code < 300:
                assert _may_write(world, method, path), (world.role_name, method, url)
            checked += 1
    assert checked > 200
    assert {200, 404} <= statuses  # the walker reached records and was refused others


def test_the_walker_really_sees_what_is_allowed(api: Any, world: World) -> None:
    """The test above could pass by seeing nothing: visible canaries do show somewhere."""
    seen = set()
    for key in ("customer", "contact", "activity", "attachment", "role"):
        spec = REGISTRY[key]
        if not world.permissions.can(key, Action.READ):
            continue
        body = api.get(f"{API}/{spec.path}", headers=world.headers,
                       params={"limit": 500, "deleted": False}).text
        seen |= {word for word in world.allowed if word in body}
    assert seen, world.role_name
    assert not seen & world.forbidden


def test_every_route_is_walked_or_skipped_for_a_reason(app: Any) -> None:
    world = World("nobody", {}, Permissions(), ids={key: {1} for key in [*REGISTRY, "session"]})
    world.forbidden = {"x"}
    for method, path in _routes(app):
        if (method, path) not in SKIPPED:
            assert list(_calls(world, method, path)), (method, path)
