"""Typed builders for test data: valid by default, unique where uniqueness matters."""

from __future__ import annotations

import itertools
import random
import string
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Annotated, Any

from pydantic import BaseModel, TypeAdapter, ValidationError

from crm_common.cleansing import uscc_check_char
from crm_common.entities import REGISTRY, EntitySpec, FieldSpec, Kind
from crm_common.entities.spec import NUMERIC_KINDS

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


# --- any registered entity, from its declaration ----------------------------------------

# Inputs a declaration cannot make up: (entity, field of the create schema) → a valid value.
EXTRAS: dict[tuple[str, str], Callable[[], Any]] = {
    ("user", "password"): lambda: PASSWORD,
    ("role", "permissions"): lambda: {"entities": {"customer": {"actions": {"read": "own"}}}},
}
# Chinese characters with distinct pinyin initials: a word's initials are unique too.
HAN = "安白陈邓方高黄金孔李马牛欧彭秦任孙唐王夏杨张"
_USCC_LETTERS = "ABCDEFGHJKLMNPQRTUWXY"


def word() -> str:
    """A unique word with a letters-only run, digits and Chinese characters (so a search
    can be tried with each kind of fragment of it, and with its pinyin initials)."""
    letters = "".join(random.choices(string.ascii_lowercase, k=8))
    return f"Zqx{letters}{uuid.uuid4().hex[:6]}{''.join(random.choices(HAN, k=5))}"


def _texts() -> Iterator[str]:
    """Unique candidates for a text field, plain first, then the shapes that checked
    fields (a username, a mobile, a phone, an e-mail, a USCC) accept."""
    n = unique() * 1000 + uuid.uuid4().int % 1000
    plain = word()
    yield plain
    yield plain[:17].lower()
    yield f"139{n % 10**8:08d}"
    yield f"021-6{n % 10**7:07d}"
    yield f"{plain[:17].lower()}@example.com"
    first17 = "91310000" + "".join(random.choices(_USCC_LETTERS, k=9))
    yield first17 + uscc_check_char(first17)


def _candidates(field: FieldSpec) -> Iterator[Any]:
    """Values of the field's kind, to be tried in turn against its schema's checks."""
    if field.kind in (Kind.TEXT, Kind.LONG_TEXT):
        limit = getattr(field, "max_length", None)
        yield from (text[:limit] if limit else text for text in _texts())
    elif field.kind is Kind.TAGS:
        yield [word()]
    elif field.kind is Kind.CHOICE:
        yield from (choice.value for choice in field.choices)
    elif field.kind is Kind.BOOL:
        yield True
    elif field.kind is Kind.INT:
        yield from (unique() % 1000, 12, 1, 0)
    elif field.kind is Kind.PERCENT:
        yield from ("13", "9", "6", "0")
    elif field.kind in NUMERIC_KINDS:
        places = field.scale or 0
        yield "1200." + "5678"[:places] if places else "1200"
    elif field.kind is Kind.DATE:
        yield "2026-03-01"
    elif field.kind is Kind.DATETIME:
        yield "2026-03-01T09:30:00+08:00"
    elif field.kind is Kind.OBJECT:
        yield {"客户名称": "name", word(): "city"}


def value_for(spec: EntitySpec, field: FieldSpec, schema: type[BaseModel] | None = None
              ) -> Any:
    """A unique valid value of ``field`` (not a reference) as ``schema`` (the create schema)
    accepts it, in the form it is stored (cleaned, normalised)."""
    schema = schema or spec.create
    assert schema is not None
    info = schema.model_fields[field.name]
    shape = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    adapter: TypeAdapter[Any] = TypeAdapter(shape)
    for candidate in _candidates(field):
        try:
            return adapter.dump_python(adapter.validate_python(candidate), mode="json")
        except ValidationError:
            continue
    raise AssertionError(f"builders cannot make a {spec.key}.{field.name}: teach _candidates")


def payload(spec: EntitySpec, api: Any, headers: dict[str, str],
            refs: Mapping[str, int] | None = None, minimal: bool = False) -> dict[str, Any]:
    """A valid create payload for ``spec`` from its declaration: a unique value for every
    declared field the create schema takes (``minimal``: for the required ones only),
    ``EXTRAS`` for the rest. A reference points to ``refs[target]`` when given; else a
    required one to a record made first, an optional one nowhere (the server's default:
    the creator owns it)."""
    assert spec.create is not None, f"{spec.key} is not created through the API"
    refs = refs or {}
    values: dict[str, Any] = {}
    for name, info in spec.create.model_fields.items():
        field = spec.owns(name)
        if (spec.key, name) in EXTRAS:
            values[name] = EXTRAS[spec.key, name]()
        elif field is None:
            assert not info.is_required(), f"{spec.key}.{name}: add it to builders.EXTRAS"
        elif minimal and not field.required:
            continue
        elif field.kind in (Kind.REF, Kind.REFS) and field.ref:
            target = refs.get(field.ref)
            if target is None and field.required and field.ref != spec.key:
                target = int(make(REGISTRY[field.ref], api, headers, refs)["id"])
            if target is not None:
                values[name] = [target] if field.kind is Kind.REFS else target
        else:
            values[name] = value_for(spec, field)
    return values


def make(spec: EntitySpec, api: Any, headers: dict[str, str],
         refs: Mapping[str, int] | None = None, **overrides: Any) -> dict[str, Any]:
    """A new record of ``spec`` through the in-process API (``api``: a TestClient)."""
    body = {**payload(spec, api, headers, refs), **overrides}
    made = api.post(f"/api/v1/{spec.path}", headers=headers, json=body,
                    params={"confirm": True})
    assert made.status_code == 201, made.text
    return dict(made.json())


def change(spec: EntitySpec) -> dict[str, Any]:
    """A valid partial update: a new title."""
    assert spec.update is not None
    return {spec.title_field: value_for(spec, spec.field(spec.title_field), spec.update)}


@contextmanager
def policy(api: Any, admin: dict[str, str], **changes: Any) -> Iterator[None]:
    """The security policy with ``changes`` for the block, restored after it whatever
    happened: the tests of a worker share one database, and a lockout threshold left
    changed would break a later test's sign-ins."""
    before = api.get("/api/v1/security/policy", headers=admin).json()
    changed = api.patch("/api/v1/security/policy", headers=admin,
                        json={"version": before["version"], **changes})
    assert changed.status_code == 200, changed.text
    try:
        yield
    finally:
        now = api.get("/api/v1/security/policy", headers=admin).json()
        restored = api.patch("/api/v1/security/policy", headers=admin, json={
            "version": now["version"], **{name: before[name] for name in changes}})
        assert restored.status_code == 200, restored.text
