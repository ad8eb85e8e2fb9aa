"""Roles at work: data scopes, refused writes, sorting/filtering/searching by unseen fields,
totals, preview, permission changes taking effect at once, admin-only role writes."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

import builders
from crm_common.entities import REGISTRY, Kind
from crm_common.permissions import Action, FieldAccess, Permissions

API = "/api/v1"
Headers = dict[str, str]


def _ok(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()


def _roles(api: Any, admin: Headers) -> dict[str, dict[str, Any]]:
    rows = _ok(api.get(f"{API}/roles", headers=admin, params={"limit": 100}))["items"]
    return {row["key"] or row["name"]: row for row in rows}


def _customer(api: Any, admin: Headers, owner_id: int, **values: Any) -> dict[str, Any]:
    return dict(_ok(api.post(f"{API}/customers", headers=admin, params={"confirm": True},
                             json=builders.customer(owner_id=owner_id, **values)), 201))


# --- writes ------------------------------------------------------------------------------


def _value(kind: Kind, name: str, api: Any, admin: Headers) -> Any:
    if kind is Kind.REF:
        return 1
    if kind is Kind.BOOL:
        return True
    if kind is Kind.INT:
        return 1
    if kind is Kind.TAGS:
        return ["标签"]
    if kind is Kind.CHOICE:
        return None
    if kind is Kind.DATE:
        return "2026-12-01"
    if kind is Kind.DATETIME:
        return "2026-12-01T09:00:00+08:00"
    return {"mobile": "13900001111", "phone": "021-61234567", "email": "a@example.com",
            "uscc": builders.valid_uscc()}.get(name, "改动")


@pytest.mark.parametrize("role_key", ["sales_rep", "custom"])
def test_every_field_a_role_may_not_edit_is_refused_with_a_field_error(
        api: Any, admin: Headers, person: Callable[..., tuple[int, Headers]],
        role_key: str) -> None:
    ref: str | int = role_key
    if role_key == "custom":
        ref = builders.custom_role(api, admin, {
            "customer": {"actions": {"read": "own", "update": "own", "create": "own"},
                         "fields": {"notes": "hidden", "phone": "masked", "address": "read",
                                    "level": "read"}},
            "contact": {"actions": {"read": "own", "update": "own"},
                        "fields": {"mobile": "read", "wechat": "hidden",
                                   "is_primary": "read"}},
            "activity": {"actions": {"read": "own", "update": "own"},
                         "fields": {"next_follow_up_on": "read", "notes": "masked"}}})["id"]
    user_id, headers = person(ref)
    permissions = Permissions.model_validate(_ok(api.get(f"{API}/me",
                                                         headers=headers))["permissions"])
    refused = 0
    for key in ("customer", "contact", "activity"):
        spec = REGISTRY[key]
        if not permissions.can(key, Action.UPDATE):
            continue
        customer = _customer(api, admin, user_id)
        record = customer if key == "customer" else _ok(api.post(
            f"{API}/{spec.path}", headers=admin, json={
                "contact": builders.contact, "activity": builders.activity}[key](
                customer["id"]) | ({"owner_id": user_id} if key == "activity" else {})),
            201)
        for field in spec.form_fields:
            if permissions.access(key, field.name) is FieldAccess.EDIT:
                continue
            value = _value(field.kind, field.name, api, admin)
            if value is None:
                value = field.choices[-1].value
            response = api.patch(f"{API}/{spec.path}/{record['id']}", headers=headers,
                                 json={"version": record["version"], field.name: value})
            assert response.status_code == 403, (key, field.name, response.text)
            assert field.name in response.json()["fields"], (key, field.name)
            refused += 1
            if permissions.can(key, Action.CREATE) and key == "customer":
                made = api.post(f"{API}/customers", headers=headers,
                                json=builders.customer(**{field.name: value}))
                assert made.status_code == 403 and field.name in made.json()["fields"]
    assert refused >= (1 if role_key == "sales_rep" else 9)


def test_out_of_scope_update_and_delete_look_like_absent(
        api: Any, admin: Headers, person: Callable[..., tuple[int, Headers]]) -> None:
    owner_id, _ = person("sales_rep")
    _, rep = person("sales_rep")
    theirs = _customer(api, admin, owner_id)
    url = f"{API}/customers/{theirs['id']}"
    assert api.get(url, headers=rep).status_code == 404
    changed = api.patch(url, headers=rep, json={"version": theirs["version"], "city": "无锡市"})
    assert changed.status_code == 404 and "无锡" not in changed.text
    assert api.delete(url, headers=rep, params={"version": theirs["version"]}).status_code == 404
    assert api.get(f"{API}/customers/{theirs['id']}/history", headers=rep).status_code == 404
    assert _ok(api.get(url, headers=admin))["version"] == theirs["version"]


def test_readable_but_not_writable_is_forbidden(api: Any, admin: Headers,
                                                person: Callable[..., tuple[int, Headers]]
                                                ) -> None:
    _, finance = person("finance")
    record = _customer(api, admin, 1)
    url = f"{API}/customers/{record['id']}"
    assert api.get(url, headers=finance).status_code == 200
    refused = api.patch(url, headers=finance, json={"version": record["version"], "city": "x"})
    assert refused.status_code == 403
    assert api.post(f"{API}/customers", headers=finance,
                    json=builders.customer()).status_code == 403


def test_a_rep_cannot_give_a_customer_away_but_a_manager_can_within_the_team(
        api: Any, admin: Headers, person: Callable[..., tuple[int, Headers]]) -> None:
    team = builders.department(api, admin)
    rep_id, rep = person("sales_rep", department_id=builders.department(api, admin, team))
    colleague_id, _ = person("sales_rep", department_id=team)
    manager_id, manager = person("sales_manager", department_id=team)
    outsider_id, _ = person("sales_rep")
    record = _customer(api, admin, rep_id)
    url = f"{API}/customers/{record['id']}"
    given = api.patch(url, headers=rep, json={"version": 1, "owner_id": colleague_id})
    assert given.status_code == 403 and "owner_id" in given.json()["fields"]
    # the manager reaches the rep's customer (a department below theirs) and may move it
    moved = _ok(api.patch(url, headers=manager, json={"version": 1, "owner_id": colleague_id}))
    assert moved["owner_id"] == colleague_id
    away = api.patch(url, headers=manager, json={"version": moved["version"],
                                                 "owner_id": outsider_id})
    assert away.status_code == 403
    assert _ok(api.get(url, headers=admin))["owner_id"] == colleague_id
    assert manager_id != rep_id


# --- reads -------------------------------------------------------------------------------


def test_scopes_own_department_and_below(api: Any, admin: Headers,
                                         person: Callable[..., tuple[int, Headers]]) -> None:
    top = builders.department(api, admin)
    below = builders.department(api, admin, top)
    rep_id, rep = person("sales_rep", department_id=below)
    peer_id, _ = person("sales_rep", department_id=below)
    boss_id, _ = person("sales_rep", department_id=top)
    dept_role = builders.custom_role(api, admin, {"customer": {"actions": {"read": "department"}}})
    tree_role = builders.custom_role(api, admin, {"customer": {"actions": {"read": "subtree"}}})
    _, dept_viewer = person(dept_role["id"], department_id=top)
    _, tree_viewer = person(tree_role["id"], department_id=top)
    mine, peers, bosses = (_customer(api, admin, owner)["id"] for owner in (rep_id, peer_id,
                                                                           boss_id))

    def seen(headers: Headers) -> set[int]:
        rows = _ok(api.get(f"{API}/customers", headers=headers, params={"limit": 500}))
        return {row["id"] for row in rows["items"]} & {mine, peers, bosses}

    assert seen(rep) == {mine}
    assert seen(dept_viewer) == {bosses}
    assert seen(tree_viewer) == {mine, peers, bosses}


def test_totals_count_only_what_is_in_scope(api: Any, admin: Headers,
                                            person: Callable[..., tuple[int, Headers]]) -> None:
    rep_id, rep = person("sales_rep")
    for _ in range(3):
        _customer(api, admin, rep_id)
    for exact in (True, False):
        page = _ok(api.get(f"{API}/customers", headers=rep, params={"exact_total": exact}))
        assert page["total"] == 3 and len(page["items"]) == 3


def test_contacts_and_attachments_follow_their_customer(
        api: Any, admin: Headers, person: Callable[..., tuple[int, Headers]]) -> None:
    owner_id, owner = person("sales_rep")
    _, other = person("sales_rep")
    record = _customer(api, admin, owner_id)
    contact = _ok(api.post(f"{API}/contacts", headers=owner,
                           json=builders.contact(record["id"])), 201)
    attached = _ok(api.post(f"{API}/attachments", headers=owner,
                            data={"entity": "customer", "record_id": str(record["id"])},
                            files={"file": ("合同.pdf", b"%PDF", "application/pdf")}), 201)
    assert api.get(f"{API}/contacts/{contact['id']}", headers=other).status_code == 404
    listed = _ok(api.get(f"{API}/contacts", headers=other,
                         params={"customer_id": record["id"]}))
    assert listed["items"] == [] and listed["total"] == 0
    assert api.get(f"{API}/attachments/{attached['id']}/content",
                   headers=other).status_code == 404
    assert _ok(api.get(f"{API}/attachments", headers=other, params={
        "entity": "customer", "record_id": record["id"]}))["items"] == []
    upload = api.post(f"{API}/attachments", headers=other,
                      data={"entity": "customer", "record_id": str(record["id"])},
                      files={"file": ("x.txt", b"x", "text/plain")})
    assert upload.status_code == 404
    assert api.get(f"{API}/attachments/{attached['id']}/content",
                   headers=owner).content == b"%PDF"


def test_hidden_fields_cannot_be_sorted_filtered_or_searched(
        api: Any, admin: Headers, person: Callable[..., tuple[int, Headers]]) -> None:
    role = builders.custom_role(api, admin, {"customer": {
        "actions": {"read": "all"},
        "fields": {"province": "hidden", "level": "masked", "uscc": "hidden",
                   "phone": "hidden"}}})
    _, viewer = person(role["id"])
    uscc = builders.valid_uscc()
    record = _customer(api, admin, 1, uscc=uscc, phone="0512-62223333")
    for params in ({"sort": "province"}, {"sort": "-level"}, {"province": "江苏省"},
                   {"level": "A"}):
        refused = api.get(f"{API}/customers", headers=viewer, params=params)
        assert refused.status_code == 403, params
        assert refused.json()["fields"], params
    for q in (uscc[8:16], "62223333"):  # the hidden code and phone find nothing
        found = _ok(api.get(f"{API}/customers", headers=viewer, params={"q": q}))
        assert record["id"] not in {row["id"] for row in found["items"]}, q
        assert record["id"] not in {hit["id"] for hit in _ok(api.get(
            f"{API}/search", headers=viewer, params={"q": q}))["hits"]}
    by_name = _ok(api.get(f"{API}/customers", headers=viewer,
                          params={"q": record["short_name"]}))
    assert record["id"] in {row["id"] for row in by_name["items"]}
    assert _ok(api.get(f"{API}/customers", headers=admin, params={"q": uscc[8:16]}))["items"]


def test_masked_values_and_redacted_history(api: Any, admin: Headers,
                                            person: Callable[..., tuple[int, Headers]]) -> None:
    _, engineer = person("service_engineer")
    uscc = builders.valid_uscc()
    record = _customer(api, admin, 1, uscc=uscc, notes="报价底线 88 万")
    _ok(api.patch(f"{API}/customers/{record['id']}", headers=admin,
                  json={"version": record["version"], "notes": "底线改为 80 万"}))
    shown = _ok(api.get(f"{API}/customers/{record['id']}", headers=engineer))
    assert shown["uscc"] is None and shown["notes"] is None
    assert shown["masked"]["uscc"] == f"{uscc[:8]}****{uscc[-4:]}"
    history = api.get(f"{API}/customers/{record['id']}/history", headers=engineer)
    assert "万" not in history.text and uscc not in history.text
    fields = {c["field"] for entry in history.json() for c in entry["changes"]}
    assert "notes" not in fields and "uscc" in fields


def test_every_row_of_a_list_page_is_shown_as_the_role_may_see_it(
        api: Any, admin: Headers, person: Callable[..., tuple[int, Headers]]) -> None:
    """Hidden fields come empty on every row, masked ones empty with their masked form (a
    masked time or id shows nothing of itself), readable ones as they are."""
    role = builders.custom_role(api, admin, {"customer": {
        "actions": {"read": "all"},
        "fields": {"notes": "hidden", "owner_id": "masked", "last_activity_at": "masked",
                   "phone": "masked"}}, "user": {"actions": {"read": "all"}}})
    _, viewer = person(role["id"])
    tag = uuid.uuid4().hex[:8]
    made = [_customer(api, admin, 1, name=f"掩码列表{tag}{n}有限公司", notes="底价 88 万",
                      phone="0512-62223333") for n in range(3)]
    for record in made:
        _ok(api.post(f"{API}/activities", headers=admin, json={
            "customer_id": record["id"], "subject": "电话回访", "type": "call"}), 201)
    owner = _ok(api.get(f"{API}/users/1", headers=admin))["name"]
    page = _ok(api.get(f"{API}/customers", headers=viewer, params={"q": tag, "limit": 2}))
    rows = page["items"] + _ok(api.get(f"{API}/customers", headers=viewer, params={
        "q": tag, "after": page["next"]}))["items"]
    assert sorted(row["id"] for row in rows) == sorted(record["id"] for record in made)
    for row in rows:
        assert row["name"].startswith("掩码列表") and row["level"] == "C"
        assert row["notes"] is None and "notes" not in row["masked"]
        assert row["owner_id"] is row["owner_name"] is row["last_activity_at"] is None
        assert row["phone"] is None
        assert row["masked"] == {"owner_id": "****", "owner_name": f"{owner[0]}****",
                                 "last_activity_at": "****", "phone": "051****3333"}
    full = _ok(api.get(f"{API}/customers", headers=admin, params={"q": tag}))["items"]
    assert all(row["last_activity_at"] and row["owner_name"] == owner and not row["masked"]
               for row in full)


# --- roles ------------------------------------------------------------------------------


def test_a_permission_change_applies_on_the_next_request_and_is_audited(
        api: Any, admin: Headers, person: Callable[..., tuple[int, Headers]]) -> None:
    role = builders.custom_role(api, admin, {"customer": {"actions": {"read": "all"}}})
    _, viewer = person(role["id"])
    assert api.get(f"{API}/customers", headers=viewer).status_code == 200
    grants = {"entities": {"customer": {"actions": {}}}}
    changed = _ok(api.patch(f"{API}/roles/{role['id']}", headers=admin,
                            json={"version": role["version"], "permissions": grants}))
    assert api.get(f"{API}/customers", headers=viewer).status_code == 403
    me = _ok(api.get(f"{API}/me", headers=viewer))
    assert not Permissions.model_validate(me["permissions"]).can("customer", Action.READ)
    audit = _ok(api.get(f"{API}/audit", headers=admin, params={
        "entity": "role", "record_id": role["id"], "action": "permission"}))["items"]
    assert audit and audit[0]["changes"][0]["field"] == "permissions"
    assert changed["version"] == role["version"] + 1


def test_roles_merge_to_the_most_permissive(api: Any, admin: Headers,
                                            person: Callable[..., tuple[int, Headers]]) -> None:
    narrow = builders.custom_role(api, admin, {"customer": {"actions": {"read": "own"},
                                                    "fields": {"notes": "hidden",
                                                               "phone": "masked"}}})
    wide = builders.custom_role(api, admin, {"customer": {"actions": {"read": "all"},
                                                  "fields": {"notes": "read"}}})
    _, viewer = person(narrow["id"], wide["id"])
    grants = Permissions.model_validate(_ok(api.get(f"{API}/me",
                                                    headers=viewer))["permissions"])
    assert grants.scope("customer", Action.READ).value == "all"
    assert grants.access("customer", "notes") is FieldAccess.READ
    assert grants.access("customer", "phone") is FieldAccess.EDIT


def test_only_administrators_write_roles_and_assign_them(
        api: Any, admin: Headers, person: Callable[..., tuple[int, Headers]]) -> None:
    keeper = builders.custom_role(api, admin, {"role": {"actions": {"read": "all", "update": "all",
                                                            "create": "all"}},
                                       "user": {"actions": {"read": "all", "update": "all"}}})
    keeper_id, headers = person(keeper["id"])
    roles = _roles(api, admin)
    assert api.post(f"{API}/roles", headers=headers, json={"name": "越权"}).status_code == 403
    me = _ok(api.get(f"{API}/users/{keeper_id}", headers=admin))
    escalate = api.patch(f"{API}/users/{keeper_id}", headers=headers, json={
        "version": me["version"], "role_ids": [roles["administrator"]["id"]]})
    assert escalate.status_code == 403
    builtin = roles["sales_rep"]
    assert api.delete(f"{API}/roles/{builtin['id']}", headers=admin,
                      params={"version": builtin["version"]}).status_code == 409


def test_unknown_entities_or_fields_in_a_role_are_refused(api: Any, admin: Headers) -> None:
    for grants in ({"nothing": {"actions": {"read": "all"}}},
                   {"customer": {"fields": {"no_such_field": "hidden"}}}):
        response = api.post(f"{API}/roles", headers=admin,
                            json={"name": f"坏{uuid.uuid4().hex[:6]}",
                                  "permissions": {"entities": grants}})
        assert response.status_code == 422 and "permissions" in response.json()["fields"]


def test_preview_as_a_role_reads_as_that_role_and_changes_nothing(
        api: Any, admin: Headers, person: Callable[..., tuple[int, Headers]]) -> None:
    roles = _roles(api, admin)
    engineer = roles["service_engineer"]["id"]
    record = _customer(api, admin, 1, notes="内部备注")
    preview = {**admin, "X-Preview-Role": str(engineer)}
    shown = _ok(api.get(f"{API}/customers/{record['id']}", headers=preview))
    assert shown["notes"] is None and shown["uscc"] is None
    me = _ok(api.get(f"{API}/me", headers=preview))
    assert me["preview_role_id"] == engineer and not me["permissions"]["admin"]
    refused = api.patch(f"{API}/customers/{record['id']}", headers=preview,
                        json={"version": record["version"], "city": "无锡市"})
    assert refused.status_code == 403
    _, rep = person("sales_rep")
    assert api.get(f"{API}/customers", headers={**rep, "X-Preview-Role": str(engineer)}
                   ).status_code == 403


def test_users_without_roles_see_nothing_but_themselves(
        api: Any, admin: Headers, person: Callable[..., tuple[int, Headers]]) -> None:
    user_id, nobody = person()
    assert api.get(f"{API}/customers", headers=nobody).status_code == 403
    assert _ok(api.get(f"{API}/me", headers=nobody))["user"]["id"] == user_id
    assert _ok(api.get(f"{API}/search", headers=nobody, params={"q": "精密"}))["hits"] == []


def test_a_hidden_contact_phone_does_not_find_its_customer(
        api: Any, admin: Headers, person: Callable[..., tuple[int, Headers]]) -> None:
    role = builders.custom_role(api, admin, {"customer": {"actions": {"read": "all"}},
                                     "contact": {"actions": {"read": "all"},
                                                 "fields": {"mobile": "hidden"}}})
    _, viewer = person(role["id"])
    record = _customer(api, admin, 1)
    _ok(api.post(f"{API}/contacts", headers=admin,
                 json=builders.contact(record["id"], mobile="13977771234")), 201)
    assert record["id"] in {r["id"] for r in _ok(api.get(
        f"{API}/customers", headers=admin, params={"q": "77771234"}))["items"]}
    assert record["id"] not in {r["id"] for r in _ok(api.get(
        f"{API}/customers", headers=viewer, params={"q": "77771234"}))["items"]}


def test_a_preview_changes_nothing_on_any_route(api: Any, admin: Headers,
                                                sign_in: Callable[[str], Headers]) -> None:
    roles = _roles(api, admin)
    preview = {**admin, "X-Preview-Role": str(roles["administrator"]["id"])}
    sign_in("sales")
    sessions = _ok(api.get(f"{API}/sessions", headers=admin))
    other = next(s for s in sessions if not s["current"])
    assert api.post(f"{API}/sessions/{other['id']}/revoke", headers=preview).status_code == 403
    assert any(s["id"] == other["id"] for s in _ok(api.get(f"{API}/sessions", headers=admin)))


def test_own_department_scope_on_departments_is_the_own_department_only(
        api: Any, admin: Headers, person: Callable[..., tuple[int, Headers]]) -> None:
    top = builders.department(api, admin)
    below = builders.department(api, admin, top)
    role = builders.custom_role(api, admin, {"department": {"actions": {"read": "own"}}})
    _, viewer = person(role["id"], department_id=top)
    seen = {row["id"] for row in _ok(api.get(f"{API}/departments", headers=viewer,
                                             params={"limit": 500}))["items"]}
    assert seen == {top} and below not in seen


def test_the_audit_log_names_records_only_to_those_who_may_read_them(
        api: Any, admin: Headers, person: Callable[..., tuple[int, Headers]]) -> None:
    """"上海华晨…" instead of "客户 #193", through the same rights as the record itself:
    no title of a record out of reach, nor one whose name the role sees masked."""
    audit = {"audit": {"actions": {"read": "all"}}}
    reader = builders.custom_role(api, admin, {**audit, "customer": {"actions": {"read": "all"}}})
    masked = builders.custom_role(api, admin, {**audit, "customer": {
        "actions": {"read": "all"}, "fields": {"name": "masked"}}})
    owned = builders.custom_role(api, admin, {**audit, "customer": {"actions": {"read": "own"}}})
    record = _customer(api, admin, 1)

    def title(headers: Headers) -> Any:
        entries = _ok(api.get(f"{API}/audit", headers=headers, params={
            "entity": "customer", "record_id": record["id"]}))["items"]
        assert entries and {entry["record_id"] for entry in entries} == {record["id"]}
        return {entry.get("record_title") for entry in entries}

    assert title(admin) == {record["name"]}
    assert title(person(reader["id"])[1]) == {record["name"]}
    assert title(person(masked["id"])[1]) == {None}
    assert title(person(owned["id"])[1]) == {None}
    assert title(person(builders.custom_role(api, admin, audit)["id"])[1]) == {None}


def test_names_of_people_follow_their_changes_and_the_readers_reach(
        api: Any, app: Any, admin: Headers, person: Callable[..., tuple[int, Headers]]) -> None:
    """Owners' names are read once per session (not again on the next page) and still show
    a rename, and a move into or out of the reader's reach, on the very next request."""
    from sqlalchemy import event

    role = builders.custom_role(api, admin, {"customer": {"actions": {"read": "all"}},
                                             "user": {"actions": {"read": "department"}}})
    here, there = builders.department(api, admin), builders.department(api, admin)
    _, viewer = person(role["id"], department_id=here)
    near, _ = person("sales_rep", department_id=here)
    far, _ = person("sales_rep", department_id=there)
    tag = uuid.uuid4().hex[:8]
    ids = {_customer(api, admin, owner, name=f"名字缓存{tag}{n}有限公司")["id"]: owner
           for n, owner in enumerate((near, far))}

    def owner_names() -> dict[int, Any]:
        rows = _ok(api.get(f"{API}/customers", headers=viewer, params={"q": tag}))["items"]
        assert {row["id"] for row in rows} == set(ids)
        return {ids[row["id"]]: row["owner_name"] for row in rows}

    def rename(user_id: int, **changes: Any) -> None:
        record = _ok(api.get(f"{API}/users/{user_id}", headers=admin))
        _ok(api.patch(f"{API}/users/{user_id}", headers=admin,
                      json={"version": record["version"], **changes}))

    first = owner_names()
    assert first[near] and first[far] is None
    statements: list[str] = []
    listener = (app.state.engine, "before_cursor_execute",
                lambda _c, _k, statement, *_a: statements.append(statement))
    event.listen(*listener)
    try:
        assert owner_names() == first
    finally:
        event.remove(*listener)
    assert not [s for s in statements if "FROM user_account" in s]
    rename(near, name="改名之后")
    assert owner_names() == {near: "改名之后", far: None}
    rename(far, department_id=here)
    assert owner_names()[far] is not None


def test_built_in_role_descriptions_name_only_what_exists_and_keep_an_admins_text(
        app: Any) -> None:
    """An upgrade replaces a built-in role's former description (商机 and 金额 do not
    exist yet) but keeps one an administrator wrote."""
    from sqlalchemy import select

    from crm_server.models import Role
    from crm_server.security import roles

    def described(key: str, text: str) -> str:
        with app.state.session_factory.begin() as session:
            role = session.scalars(select(Role).where(Role.key == key)).one()
            role.description = text
            session.flush()
            roles.ensure_builtin(session)
            return str(role.description)

    assert described("sales_manager", "管理本部门及下级部门的客户与商机") == \
        "管理本部门及下级部门的客户、联系人与跟进记录"
    assert "金额" not in described("finance", "查看全部客户与金额，不能修改客户")
    assert described("finance", "财务部门专用") == "财务部门专用"
    described("finance", "")
