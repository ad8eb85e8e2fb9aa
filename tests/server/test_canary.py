"""The canary test: nothing a role may not see leaves the server, on any route.

For each built-in role and two custom roles, a user with that role gets records of their
own and a stranger (another department) gets records too — one of every registered entity
that is created through the API, made from its declaration (``builders.make``), so a new
entity is covered without touching this test. A unique canary string (a letters-only run,
digits, Chinese characters with unique pinyin initials, or the shape a checked field asks
for) is planted in every text field of all of them, and in the name and content of a file
attached to each. Canaries in fields the role may not read (hidden or
masked) and in records outside its scope are "forbidden". Then every route of the OpenAPI
is called as that user — lists with every sort and filter, search, detail, history,
attachments, the audit log, duplicates, and the writes with stale versions (whose 409
carries the current record) — and no forbidden canary may occur in any response body or
header (decoded). Routes are read from the OpenAPI, so a route added later is walked too
(and a route the walker does not know how to call fails the test until it is taught).

A leak need not show the value: a search that finds a record through a field the role may
not read, or a clash check that names the customer holding a code, is an oracle. So each
search route is also asked with terms made from every unreadable value (whole, fragments,
letters only, digits, Chinese, pinyin initials) and must not find its record, while
readable values must; the clash check is asked with real names and codes; a plain list
of a readable entity must answer; a role without a right gets no answer on that entity.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

import pytest

import builders
from crm_common.cleansing import initials
from crm_common.entities import REGISTRY, EntitySpec, FieldSpec, Kind
from crm_common.permissions import SCOPE_ORDER, Action, DataScope, FieldAccess, Permissions
from crm_server.kit.binding import binding
from crm_server.security.ownership import ByOwner, Via
from crm_server.security.roles import BUILTIN
from job_gates import finished

API = "/api/v1"
Headers = dict[str, str]

# Routes not walked, and why. Everything else in the OpenAPI must be callable below.
SKIPPED = {
    ("post", "/auth/login"): "takes a password, returns the caller's own token",
    ("post", "/auth/logout"): "ends the walker's own session",
    ("post", "/auth/password"): "changes the walker's own password",
    ("get", "/tls/ca.pem"): "public certificate",
    ("get", "/health"): "no records",
    ("get", "/client/download/{file_name}"): "a client installer, no records",
}
CUSTOM_ROLES = {
    "custom": {
        "customer": {"actions": {"read": "department", "update": "own", "create": "own"},
                     "fields": {"notes": "hidden", "phone": "masked", "uscc": "hidden",
                                "address": "read", "tags": "hidden"}},
        "contact": {"actions": {"read": "department", "update": "own"},
                    "fields": {"mobile": "hidden", "email": "masked", "wechat": "hidden"}},
        "activity": {"actions": {"read": "all"}, "fields": {"notes": "hidden"}},
        "attachment": {"actions": {"read": "all"}, "fields": {"filename": "hidden"}},
        "audit": {"actions": {"read": "all"}},
        "user": {"actions": {"read": "all"}, "fields": {"mobile": "hidden", "email": "masked"}},
        "department": {"actions": {"read": "all"}},
    },
    # the titles masked (the default order's field), contacts reached more narrowly than
    # their customers, no users readable
    "custom_masked": {
        "customer": {"actions": {"read": "all", "create": "all"},
                     "fields": {"name": "masked", "short_name": "masked", "owner_id": "hidden"}},
        "contact": {"actions": {"read": "own"}, "fields": {"name": "masked"}},
        "attachment": {"actions": {"read": "all"},
                       "fields": {"filename": "masked", "content_type": "hidden"}},
    },
}
CREATABLE = [spec for spec in REGISTRY.values() if spec.create is not None]
TEXT_KINDS = (Kind.TEXT, Kind.LONG_TEXT, Kind.TAGS)


def text_fields(spec: EntitySpec, schema: Any) -> list[FieldSpec]:
    """The text fields of ``spec`` a person fills in through ``schema``: where canaries go."""
    return [f for f in spec.fields
            if f.kind in TEXT_KINDS and f.editable and f.name in schema.model_fields]


def canaries(spec: EntitySpec, values: dict[str, Any]) -> dict[str, str]:
    """The canary in each text field of a record's ``values`` (every such value is unique:
    ``builders.value_for``)."""
    found = {}
    for field_spec in text_fields(spec, spec.read):
        value = values.get(field_spec.name)
        if value:
            found[field_spec.name] = value[0] if isinstance(value, list) else value
    return found


@dataclass
class Planted:
    """A record planted with canaries: its values (as stored), whether the walker may read
    the record, and whether it is in the recycle bin."""

    key: str
    id: int
    values: dict[str, Any]
    readable: bool
    deleted: bool = False


@dataclass
class World:
    """The walker's user, the records planted, and which canaries must never show."""

    role_name: str
    headers: Headers
    permissions: Permissions
    ids: dict[str, set[int]] = field(default_factory=dict)
    forbidden: set[str] = field(default_factory=set)
    allowed: set[str] = field(default_factory=set)
    planted: list[Planted] = field(default_factory=list)
    stranger_id: int = 0
    walker_id: int = 0
    backups: list[str] = field(default_factory=list)

    def note(self, key: str, record_id: int) -> None:
        self.ids.setdefault(key, set()).add(record_id)

    def unseen(self, key: str, name: str) -> bool:
        return self.permissions.access(key, name) in (FieldAccess.HIDDEN, FieldAccess.MASKED)

    def track(self, key: str, values: dict[str, Any], visible: bool) -> None:
        """Sort a record's canaries: forbidden where the field or the record is not readable."""
        for name, word in canaries(REGISTRY[key], values).items():
            (self.forbidden if self.unseen(key, name) or not visible else self.allowed).add(word)


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    return dict(response.json())


def _ok_list(response: Any) -> list[dict[str, Any]]:
    assert response.status_code == 200, response.text
    return list(response.json())


def _plant(api: Any, admin: Headers, world: World, refs: dict[str, int],
           specs: list[EntitySpec], visible: Callable[[str], bool]) -> None:
    """For each of ``specs``, a record on the side ``refs`` names (its references point to
    that side's user, department and records) with canaries in every text field, a later
    change of each (the history and the audit log must hide it too), a deleted twin (the
    recycle bin must hide it too) and an attachment. ``visible(key)``: whether the walker
    may read such a record of the side."""
    for spec in specs:
        live = _record(api, admin, world, spec, refs, visible(spec.key))
        refs.setdefault(spec.key, live.id)
        if spec.soft_delete:
            gone = _record(api, admin, world, spec, refs, visible(spec.key))
            _ok_empty(api.delete(f"{API}/{spec.path}/{gone.id}", headers=admin,
                                 params={"version": gone.values["version"]}))
            gone.deleted = True
        _change(api, admin, world, spec, live)
        _attach(api, admin, world, live)


def _ok_empty(response: Any) -> None:
    assert response.status_code == 204, response.text


def _record(api: Any, admin: Headers, world: World, spec: EntitySpec, refs: dict[str, int],
            visible: bool) -> Planted:
    made = builders.make(spec, api, admin, refs)
    planted = Planted(spec.key, made["id"], made, visible)
    world.note(spec.key, planted.id)
    world.track(spec.key, made, visible)
    world.planted.append(planted)
    return planted


def _change(api: Any, admin: Headers, world: World, spec: EntitySpec, record: Planted) -> None:
    if spec.update is None:
        return
    changes = {f.name: builders.value_for(spec, f, spec.update)
               for f in text_fields(spec, spec.update)}
    url = f"{API}/{spec.path}/{record.id}"
    version = _ok(api.get(url, headers=admin))["version"]  # a later record may have moved it
    record.values = _ok(api.patch(url, headers=admin, json={"version": version, **changes}))
    world.track(spec.key, record.values, record.readable)


def _attach(api: Any, admin: Headers, world: World, record: Planted) -> None:
    """A file on the record: its name and content are canaries, the name readable where
    the record and every attachment (an administrator uploaded it) are, and the field."""
    name, content = builders.word(), builders.word()
    attached = _ok(api.post(f"{API}/attachments", headers=admin,
                            data={"entity": record.key, "record_id": str(record.id)},
                            files={"file": (f"{name}.pdf", f"%PDF-1.4 {content}".encode(),
                                            "application/pdf")}))
    world.note("attachment", attached["id"])
    files = record.readable and world.permissions.scope(
        "attachment", Action.READ) is DataScope.ALL
    (world.allowed if files else world.forbidden).add(content)
    seen = files and not world.unseen("attachment", "filename")
    (world.allowed if seen else world.forbidden).add(name)


def _import(api: Any, stranger: Headers, world: World) -> None:
    """A spreadsheet the stranger imported (checked, so it has problems and an error
    report): its name, cells and problems are theirs, readable only where every import is."""
    name, cell, bad = builders.word(), builders.word(), builders.word()
    content = f"客户名称,手机号码\n{cell}有限公司,{bad}\n".encode()
    batch = _ok(api.post(f"{API}/imports", headers=stranger, data={"entity": "customer"},
                         files={"file": (f"{name}.csv", content, "text/csv")}))
    started = _ok(api.post(f"{API}/jobs", headers=stranger, json={
        "kind": "import_check", "params": {"import_id": batch["id"]}}))
    assert finished(api, stranger, started["id"])["state"] == "succeeded"
    world.note("import_batch", batch["id"])
    for word in (name, cell, bad):
        (world.allowed if _reads_all(world)("import_batch") else world.forbidden).add(word)


BACKUPS: list[str] = []  # one backup of the suite's database, made once for every walker


def _backup_names(api: Any, admin: Headers) -> list[str]:
    if not BACKUPS:
        started = _ok(api.post(f"{API}/jobs", headers=admin, json={"kind": "backup",
                                                                    "params": {}}))
        BACKUPS.append(finished(api, admin, started["id"])["result"]["name"])
    return BACKUPS


def _reads_all(world: World) -> Callable[[str], bool]:
    return lambda key: world.permissions.scope(key, Action.READ) is DataScope.ALL


def _person(api: Any, admin: Headers, department_id: int, role_id: int) -> dict[str, Any]:
    return builders.make(REGISTRY["user"], api, admin, {"department": department_id},
                         role_ids=[role_id])


def _ownable(key: str) -> bool:
    """Whether a record of ``key`` can be a user's own (with any scope but none), not only
    their department's or nobody's: one with an owner, or one of such a record."""
    ownership = binding(key).ownership
    return isinstance(ownership, ByOwner) or (
        isinstance(ownership, Via) and _ownable(ownership.target))


def _build(api: Any, admin: Headers, sign_in: Callable[[str], Headers], role_id: int,
           role_name: str) -> World:
    """The walker (alone in a department) and a stranger (a sales rep of another): the
    stranger's side holds a record of every creatable entity (within the walker's reach
    only with the "all" scope), the walker's a record of every entity a user can own
    (within reach with any scope). The stranger and their department are canaried too; the
    walker's own account and department are not tracked: everyone reads their own account
    in full (``/me``), its department's name included."""
    department = REGISTRY["department"]
    stranger_home = builders.make(department, api, admin)
    walker_home = builders.make(department, api, admin)
    roles = {r["key"]: r["id"] for r in api.get(f"{API}/roles", headers=admin,
                                                params={"limit": 100}).json()["items"]}
    stranger = _person(api, admin, stranger_home["id"], roles["sales_rep"])
    walker = _person(api, admin, walker_home["id"], role_id)
    headers = sign_in(walker["username"])
    sign_in(stranger["username"])
    me = _ok(api.get(f"{API}/me", headers=headers))
    world = World(role_name, headers, Permissions.model_validate(me["permissions"]),
                  stranger_id=stranger["id"], walker_id=walker["id"])
    own = world.permissions
    reads = lambda key: own.scope(key, Action.READ) is not DataScope.NONE  # noqa: E731
    world.note("user", walker["id"])
    for key, record in (("user", stranger), ("department", stranger_home)):
        world.note(key, record["id"])
        world.track(key, record, _reads_all(world)(key))
    for live in _ok_list(api.get(f"{API}/sessions", headers=admin,
                                 params={"user_id": stranger["id"]})):
        world.note("session", live["id"])
    _plant(api, admin, world, {"user": walker["id"], "department": walker_home["id"]},
           [spec for spec in CREATABLE if _ownable(spec.key)], reads)
    _plant(api, admin, world, {"user": stranger["id"], "department": stranger_home["id"]},
           CREATABLE, _reads_all(world))
    _import(api, sign_in(stranger["username"]), world)
    world.backups = _backup_names(api, admin)
    audit = api.get(f"{API}/audit", headers=admin, params={"limit": 100}).json()["items"]
    world.ids["audit"] = {row["id"] for row in audit}
    world.allowed -= world.forbidden  # a canary also planted where it is forbidden
    return world


def _role_cases() -> list[Any]:
    """Each role's tests in one worker's group: the world is built once per role."""
    keys = [role.key for role in BUILTIN if not role.admin] + list(CUSTOM_ROLES)
    return [pytest.param(key, marks=pytest.mark.xdist_group(f"canary-{key}")) for key in keys]


@pytest.fixture(scope="module", params=_role_cases())
def world(request: pytest.FixtureRequest, api: Any, admin: Headers,
          sign_in: Callable[[str], Headers]) -> World:
    roles = api.get(f"{API}/roles", headers=admin, params={"limit": 100}).json()["items"]
    if request.param in CUSTOM_ROLES:
        made = _ok(api.post(f"{API}/roles", headers=admin, json={
            "name": f"自定义{uuid.uuid4().hex[:6]}",
            "permissions": {"entities": CUSTOM_ROLES[request.param]}}))
        return _build(api, admin, sign_in, made["id"], made["name"])
    role = next(r for r in roles if r["key"] == request.param)
    return _build(api, admin, sign_in, role["id"], role["name"])


# --- the walker -----------------------------------------------------------------------


def _entity_of(path: str) -> EntitySpec | None:
    first = path.strip("/").split("/")[0]
    return next((spec for spec in REGISTRY.values() if spec.path == first), None)


def _path_ids(world: World, path: str) -> list[int] | list[str]:
    if path.startswith("/backups/"):
        return world.backups
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
        elif field_spec.kind is Kind.DATE:
            yield {f"{name}.from": "2000-01-01"}
        elif field_spec.kind is Kind.DATETIME:
            yield {f"{name}.from": "2000-01-01T00:00:00+00:00"}
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
        for record in world.planted:  # exact names and codes: real clashes
            if record.key == "customer" and not record.deleted:
                yield {"json": {"name": record.values["name"]}}
                yield {"json": {"uscc": record.values["uscc"]}}
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
    if path.endswith("/duplicates"):  # the clash check: for those who enter customers
        return world.permissions.can("customer", Action.CREATE)
    if spec is None or path == "/search":
        return True  # not a write of records
    action = Action.DELETE if path.endswith("/restore") else WRITES[method]
    return world.permissions.can(spec.key, action)


def _plain_list(world: World, method: str, path: str, call: dict[str, Any]) -> bool:
    """A list of a readable entity asked for without an order or a filter."""
    spec = _entity_of(path)
    plain = {"deleted", "exact_total", "limit", "q"}
    return (method == "get" and spec is not None and path == f"/{spec.path}"
            and set(call.get("params", {})) <= plain
            and world.permissions.can(spec.key, Action.READ))


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
            headers = unquote(" ".join(f"{k}: {v}" for k, v in response.headers.items())
                              ).lower()
            leaked = {word for word in forbidden if word in body or word in headers}
            assert not leaked, (world.role_name, method, url, call, leaked, response.text[:500])
            if _plain_list(world, method, path, call):  # a default order it may not use
                assert response.status_code == 200, (world.role_name, url, response.text)
            if method != "get" and response.status_code < 300:
                assert _may_write(world, method, path), (world.role_name, method, url)
            checked += 1
    assert checked > 200
    assert {200, 404} <= statuses  # the walker reached records and was refused others


# --- search and the clash check: what a match itself tells -------------------------------


def _sources(world: World, record: Planted) -> Iterator[tuple[str, bool | None]]:
    """The values ``record``'s search text is made of, and whether a search by the walker
    must find the record by each: not when the walker may not read it (a related record's
    value also when that record is out of reach). A related record's readable value counts
    only for roles that reach such records as widely as this one (else a search need not
    find by it: which of them the walker reaches is not known when searching)."""
    for name in REGISTRY[record.key].search_fields:
        key, _, field_name = name.rpartition(".")
        if not key:
            yield _text(record.values.get(name)), not world.unseen(record.key, name)
            continue
        as_wide = SCOPE_ORDER.index(world.permissions.scope(key, Action.READ)) >= (
            SCOPE_ORDER.index(world.permissions.scope(record.key, Action.READ)))
        for related in _related(world, record, key):
            readable = related.readable and not world.unseen(key, field_name)
            yield (_text(related.values.get(field_name)),
                   (as_wide or None) if readable else False)


def _text(value: Any) -> str:
    return " ".join(value) if isinstance(value, list) else value or ""


def _related(world: World, record: Planted, key: str) -> list[Planted]:
    """The live planted records of ``key`` that refer to ``record`` (a customer's contacts)."""
    refs = [f.name for f in REGISTRY[key].fields if f.kind is Kind.REF and f.ref == record.key]
    return [p for p in world.planted if p.key == key and not p.deleted
            and any(p.values.get(name) == record.id for name in refs)]


def _probes(value: str) -> set[str]:
    """Search terms made from ``value``: itself, a fragment of its longest letters-only run
    and of its longest digit run, its Chinese characters and their pinyin initials."""
    text = value.lower()
    terms = {text} if text else set()
    for pattern in ("[a-z]+", "[0-9]+"):
        run = max(re.findall(pattern, text), key=len, default="")
        if len(run) >= 6:
            terms.add(run[1:-1])
    han = "".join(re.findall("[\u4e00-\u9fff]", value))
    if len(han) >= 3:
        terms |= {han, initials(han)}
    return terms


def _found(api: Any, world: World, record: Planted, term: str) -> bool:
    """Whether any search route finds ``record`` by ``term`` (the recycle bin included)."""
    path = REGISTRY[record.key].path
    for params in ({}, {"deleted": True}):
        response = api.get(f"{API}/{path}", headers=world.headers,
                           params={"q": term, "limit": 500, **params})
        assert response.status_code in (200, 403), response.text
        if response.status_code == 200 and record.id in {
                row["id"] for row in response.json()["items"]}:
            return True
    hits = api.get(f"{API}/search", headers=world.headers, params={"q": term, "limit": 50})
    return any(hit["entity"] == record.key and hit["id"] == record.id
               for hit in hits.json()["hits"])


def test_search_finds_records_only_by_what_the_role_may_read(api: Any, world: World) -> None:
    """Every search route, with terms built from each value a record is searched by (whole,
    fragments, letters only, digits, Chinese, pinyin initials): a value the role may not read
    (hidden, masked, or on a related record out of reach) must find nothing, a readable one
    must find the record."""
    tried = 0
    for record in (r for r in world.planted if r.readable):
        sources = list(_sources(world, record))
        readable = " ".join(f"{v.lower()} {initials(v)} {''.join(re.findall('[0-9]', v))}"
                            for v, ok in sources if ok is not False and v)
        for value, ok in sources:
            for term in _probes(value):
                if ok is None or (not ok and term in readable):
                    continue  # the record also holds it where the role may read it
                found = _found(api, world, record, term)
                assert found is ok, (world.role_name, record.key, value, term, ok)
                tried += 1
    assert tried or not any(r.readable for r in world.planted)


def test_the_clash_check_names_only_what_the_role_may_read(api: Any, world: World) -> None:
    """An exact name or code of a planted customer: a role without the create right is
    refused; otherwise the match names the record only when the role may read it, its name
    and the field it matched on, and tells the owner only when the owner may be read."""
    creates = world.permissions.can("customer", Action.CREATE)
    for record in (r for r in world.planted if r.key == "customer" and not r.deleted):
        for reason in ("name", "uscc"):
            response = api.post(f"{API}/customers/duplicates", headers=world.headers,
                                json={reason: record.values[reason]})
            if not creates:
                assert response.status_code == 403, (world.role_name, response.text)
                continue
            [match] = [m for m in _ok_list(response) if m["reason"] == reason]
            named = record.readable and not world.unseen("customer", "name") and not (
                world.unseen("customer", reason))
            assert (match["id"] == record.id) is named, (world.role_name, reason, match)
            assert (match["name"] == record.values["name"]) is named, (world.role_name, match)
            assert match["owner_name"] is None or not world.unseen("customer", "owner_id")


def test_the_walker_really_sees_what_is_allowed(api: Any, world: World) -> None:
    """The test above could pass by seeing nothing: visible canaries do show somewhere."""
    seen = set()
    for key, spec in REGISTRY.items():
        if not world.permissions.can(key, Action.READ):
            continue
        body = api.get(f"{API}/{spec.path}", headers=world.headers,
                       params={"limit": 500, "deleted": False}).text
        seen |= {word for word in world.allowed if word in body}
    assert seen, world.role_name
    assert not seen & world.forbidden


def test_every_route_is_walked_or_skipped_for_a_reason(app: Any) -> None:
    world = World("nobody", {}, Permissions(), ids={key: {1} for key in [*REGISTRY, "session"]},
                  backups=["crm-20260101-020000-scheduled-abcd.crmbak"])
    world.forbidden = {"x"}
    for method, path in _routes(app):
        if (method, path) not in SKIPPED:
            assert list(_calls(world, method, path)), (method, path)
