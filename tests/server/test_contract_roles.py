"""The generic contract, per built-in role (ARCHITECTURE §6): for every creatable entity and
every built-in role, what the role's own grants say, derived from them and not hand-listed —
403 for an action the role lacks, 404 for a record outside its read scope, hidden and masked
fields left out of what it reads, and fields it may not edit refused with a field error.

Each role's member sits in a department of their own; a stranger (a sales rep of another
department) holds one record of every entity. A stranger's record is within a scope only
when that scope is "all".
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

import builders
from crm_common.entities import REGISTRY, EntitySpec
from crm_common.permissions import Action, DataScope, FieldAccess, Permissions
from crm_server.security.access import ENVELOPE
from crm_server.security.roles import BUILTIN

API = "/api/v1"
Headers = dict[str, str]
CREATABLE = [spec for spec in REGISTRY.values() if spec.create is not None]
UNREACHED = 99999  # a version no record has: a write that gets that far is a 409


def _side(user_id: int, department_id: int, **more: int) -> dict[str, int]:
    """References for records of one side: to its user, its department, its records."""
    return {"user": user_id, "department": department_id, **more}


def _person(api: Any, admin: Headers, sign_in: Callable[[str], Headers],
            role_id: int) -> tuple[int, int, Headers]:
    """A new user with the role, alone in a new department: (user id, department, headers)."""
    department = builders.department(api, admin)
    username = f"m{uuid.uuid4().hex[:10]}"
    made = builders.make(REGISTRY["user"], api, admin, {"department": department},
                         username=username, role_ids=[role_id])
    return int(made["id"]), department, sign_in(username)


def _records(api: Any, admin: Headers, refs: dict[str, int]) -> dict[str, dict[str, Any]]:
    """One record of every creatable entity on the side ``refs`` names (its references point
    to that side's user, department and records, which ``refs`` gains as they are made)."""
    made = {}
    for spec in CREATABLE:
        made[spec.key] = builders.make(spec, api, admin, refs)
        refs.setdefault(spec.key, int(made[spec.key]["id"]))
    return made


def _role_ids(api: Any, admin: Headers) -> dict[str, int]:
    rows = api.get(f"{API}/roles", headers=admin, params={"limit": 100}).json()["items"]
    return {row["key"]: row["id"] for row in rows if row["key"]}


@pytest.fixture(scope="module")
def strangers(api: Any, admin: Headers, sign_in: Callable[[str], Headers],
              ) -> dict[str, dict[str, Any]]:
    """One record of every creatable entity, each the stranger's."""
    user_id, department, _ = _person(api, admin, sign_in, _role_ids(api, admin)["sales_rep"])
    return _records(api, admin, _side(user_id, department))


@dataclass
class Member:
    """A user holding one built-in role, and what they tried to create."""

    role: str
    headers: Headers
    permissions: Permissions
    created: dict[str, Any] = field(default_factory=dict)  # key → the create's response


def _editable(permissions: Permissions, spec: EntitySpec, body: dict[str, Any]
              ) -> dict[str, Any]:
    """``body`` without the fields the role may not set."""
    return {name: value for name, value in body.items()
            if spec.owns(name) is None
            or permissions.access(spec.key, spec.owns(name).name) is FieldAccess.EDIT}


@pytest.fixture(scope="module", params=[  # a role's tests in one worker: one member each
    pytest.param(role.key, marks=pytest.mark.xdist_group(f"roles-{role.key}"))
    for role in BUILTIN])
def member(request: pytest.FixtureRequest, api: Any, admin: Headers,
           sign_in: Callable[[str], Headers]) -> Member:
    """The role's member, who has tried to create a record of every creatable entity
    (its references pointing to records of theirs)."""
    user_id, department, headers = _person(api, admin, sign_in,
                                           _role_ids(api, admin)[request.param])
    me = api.get(f"{API}/me", headers=headers).json()
    found = Member(request.param, headers, Permissions.model_validate(me["permissions"]))
    refs = _side(user_id, department)
    _records(api, admin, refs)
    for spec in CREATABLE:
        body = builders.payload(spec, api, admin, refs)
        if found.permissions.refusal(spec, Action.CREATE) is None:
            body = _editable(found.permissions, spec, body)
        found.created[spec.key] = api.post(f"{API}/{spec.path}", headers=headers, json=body,
                                           params={"confirm": True})
    return found


@pytest.fixture(params=CREATABLE, ids=lambda spec: spec.key)
def spec(request: pytest.FixtureRequest) -> EntitySpec:
    return request.param  # type: ignore[no-any-return]


def _refused(response: Any, reason: str | None) -> bool:
    return response.status_code == 403 and response.json()["detail"] == reason


def test_reading_and_creating_as_the_role_grants(api: Any, member: Member,
                                                 spec: EntitySpec) -> None:
    read = member.permissions.refusal(spec, Action.READ)
    listed = api.get(f"{API}/{spec.path}", headers=member.headers)
    assert (listed.status_code == 200) is (read is None), (member.role, listed.text)
    assert read is None or _refused(listed, read)
    create = member.permissions.refusal(spec, Action.CREATE)
    made = member.created[spec.key]
    assert (made.status_code == 201) is (create is None), (member.role, made.text)
    assert create is None or _refused(made, create)


def _expected(permissions: Permissions, spec: EntitySpec, action: Action) -> int:
    """The answer to ``action`` on a stranger's record (with a version no record has)."""
    if permissions.scope(spec.key, Action.READ) is not DataScope.ALL:
        return 404  # out of scope looks like absent
    if action is Action.READ:
        return 200
    reaches = permissions.refusal(spec, action) is None and (
        permissions.scope(spec.key, action) is DataScope.ALL)
    return 409 if reaches else 403


def test_a_record_out_of_scope_is_absent_and_one_out_of_reach_forbidden(
        api: Any, member: Member, strangers: dict[str, dict[str, Any]],
        spec: EntitySpec) -> None:
    url = f"{API}/{spec.path}/{strangers[spec.key]['id']}"
    calls = {Action.READ: lambda: api.get(url, headers=member.headers),
             Action.UPDATE: lambda: api.patch(url, headers=member.headers,
                                              json={"version": UNREACHED}),
             Action.DELETE: lambda: api.delete(url, headers=member.headers,
                                               params={"version": UNREACHED})}
    for action, call in calls.items():
        response = call()
        expected = _expected(member.permissions, spec, action)
        assert response.status_code == expected, (member.role, action, response.text)
    listed = api.get(f"{API}/{spec.path}", headers=member.headers,
                     params={"sort": "-id", "limit": 500})
    if listed.status_code == 200:
        ids = {row["id"] for row in listed.json()["items"]}
        reached = member.permissions.scope(spec.key, Action.READ) is DataScope.ALL
        assert (strangers[spec.key]["id"] in ids) is reached, member.role


def test_fields_are_read_as_the_role_may(api: Any, admin: Headers, member: Member,
                                         strangers: dict[str, dict[str, Any]],
                                         spec: EntitySpec) -> None:
    """A readable stranger's record: hidden fields empty, masked ones only masked, the
    rest as an administrator reads them."""
    if member.permissions.scope(spec.key, Action.READ) is not DataScope.ALL:
        return
    url = f"{API}/{spec.path}/{strangers[spec.key]['id']}"
    full, seen = (api.get(url, headers=h).json() for h in (admin, member.headers))
    empty = spec.read.model_validate({name: full[name] for name in ENVELOPE if name in full})
    for declared in spec.fields:
        if declared.name in ENVELOPE:
            continue
        access = member.permissions.access(spec.key, declared.name)
        for key in filter(None, (declared.name, declared.display)):
            if access in (FieldAccess.HIDDEN, FieldAccess.MASKED):
                assert seen[key] == getattr(empty, key), (member.role, key)
                assert access is FieldAccess.MASKED or key not in seen["masked"]
                assert access is FieldAccess.HIDDEN or not full[key] or seen["masked"][key]
            else:
                assert seen[key] == full[key], (member.role, key)


def test_fields_the_role_may_not_edit_are_refused(api: Any, member: Member,
                                                  strangers: dict[str, dict[str, Any]],
                                                  spec: EntitySpec) -> None:
    """On a record the role may change (its own, or a stranger's with the "all" scope),
    each field it may not edit is refused with a field error, and nothing changes."""
    if spec.update is None or member.permissions.refusal(spec, Action.UPDATE) is not None:
        return
    if member.permissions.scope(spec.key, Action.UPDATE) is DataScope.ALL:
        record = strangers[spec.key]
    elif member.created[spec.key].status_code == 201:
        record = member.created[spec.key].json()
    else:
        return
    url = f"{API}/{spec.path}/{record['id']}"
    for declared in spec.fields:
        access = member.permissions.access(spec.key, declared.name)
        if access is FieldAccess.EDIT or declared.name not in spec.update.model_fields:
            continue
        current = api.get(url, headers=member.headers).json()
        changed = api.patch(url, headers=member.headers, json={
            "version": current["version"], declared.name: record[declared.name]})
        assert changed.status_code == 403, (member.role, declared.name, changed.text)
        assert declared.name in changed.json()["fields"]
