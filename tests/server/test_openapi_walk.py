"""Every operation of the OpenAPI gets hostile values, one at a time, in each of its path,
query, header and body slots: integers past 64 bits, Unicode digits, NUL and other control
characters, lone surrogates, times without a zone, numbers as times, wrong types, unknown
fields, malformed bodies, odd headers. Each must be refused with a 4xx and the shared error
body — never a 5xx, never accepted.

The walk reads ``/api/v1/openapi.json``, so a new route is covered without touching this
test; generic list routes (whose query is read by the kit, not declared) get their paging,
search and filter parameters from the entity registry. Every request carries exactly one
invalid value on an otherwise valid request (real record ids, current versions), so the bad
value is what is refused, and the walk changes nothing.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient

from crm_common.entities import REGISTRY, EntitySpec, Kind
from crm_common.errors import ErrorBody

API = "/api/v1"
BIG = 2**63  # one past the largest BIGINT

INTS: list[Any] = [BIG, -BIG - 1, "²", True, 1.5]
TEXTS: list[Any] = ["a\x00b", "\ud800", "a\x1bb", 123]
DATETIMES: list[Any] = ["2026-01-15T08:00:00", "2026-01-15", 1_768_464_000]
DATES: list[Any] = [1_768_464_000, "2026-02-30"]
INT_TEXTS = [str(BIG), str(-BIG - 1), "²", "١٢"]
PREVIEWS: list[str | bytes] = [b"\xb2", str(BIG), "0", "x"]
RAW_BODIES = [(b'{"a": "\xff\xfe"}', "application/json"), (b"[1, 2]", "application/json"),
              (b"name=x", "text/plain")]


class Walker:
    """Builds valid requests from the schema and sends each with one hostile value."""

    def __init__(self, client: TestClient, headers: dict[str, str], ids: dict[str, Any]):
        self.client, self.headers, self.ids = client, headers, ids
        self.openapi: dict[str, Any] = client.get(f"{API}/openapi.json").json()
        self.sent = 0
        self.failures: list[str] = []

    def resolve(self, schema: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in schema:
            schema = self.openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
        options = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
        return self.resolve(options[0]) if options else schema

    def valid(self, schema: dict[str, Any], name: str = "") -> Any:
        """A value the schema accepts (only required properties of objects)."""
        schema = self.resolve(schema)
        if "enum" in schema:
            return schema["enum"][0]
        kind = schema.get("type")
        if kind == "integer":
            return self.ids.get(name, max(schema.get("minimum", 1), 1))
        if kind == "boolean":
            return False
        if kind == "array":
            return []
        if kind == "object":
            return {key: self.valid(prop, key) for key, prop in schema.get("properties", {})
                    .items() if key in schema.get("required", [])}
        if "pattern" in schema:  # user names: ASCII
            return "walker1"
        return {"date-time": "2026-01-15T08:00:00+08:00", "date": "2026-01-15"}.get(
            schema.get("format", ""), "样例ab")

    def hostile(self, schema: dict[str, Any]) -> Iterator[Any]:
        """Invalid values for a JSON slot of this schema (recursing into objects)."""
        schema = self.resolve(schema)
        kind = schema.get("type")
        if kind == "integer":
            yield from INTS
        elif kind == "array":
            yield "not-a-list"
            yield from ([value] for value in self.hostile(schema.get("items", {})))
        elif kind == "object":
            yield "not-an-object"
            yield from self.object_variants(schema)
        elif kind == "boolean":
            yield from ("maybe", 2)
        elif schema.get("format") == "date-time":
            yield from DATETIMES
        elif schema.get("format") == "date":
            yield from DATES
        elif kind == "string" and schema.get("format") != "binary":
            yield from TEXTS

    def object_variants(self, schema: dict[str, Any]) -> Iterator[dict[str, Any]]:
        schema = self.resolve(schema)
        base = self.valid(schema)
        for key, prop in schema.get("properties", {}).items():
            for value in self.hostile(prop):
                yield {**base, key: value}
        extra = schema.get("additionalProperties")
        if isinstance(extra, dict):
            for key in ("\ud800", "a\x00b"):
                yield {**base, key: self.valid(extra)}
        elif schema.get("properties"):
            yield {**base, "zz_unknown": 1}

    def send(self, what: str, method: str, path: str, *, params: Any = None,
             headers: dict[str, Any] | None = None, **body: Any) -> None:
        """Send one request; a failure is any answer but a 4xx with the shared error
        body."""
        response = self.client.request(method, path, params=params,
                                       headers={**self.headers, **(headers or {})}, **body)
        self.sent += 1
        problem = None
        if not 400 <= response.status_code < 500:
            problem = f"{response.status_code}"
        else:
            try:
                ErrorBody.model_validate(response.json())
            except ValueError:
                problem = f"{response.status_code} without the error body"
        if problem:
            self.failures.append(f"{method} {path} {what}: {problem} {response.text[:160]}")


def _collection(template: str) -> str:
    return "/" + template.removeprefix(API).split("/")[1]


def _path_values(walker: Walker, template: str, operation: dict[str, Any]) -> dict[str, str]:
    return {p["name"]: str(walker.ids.get(_collection(template), 1))
            for p in operation.get("parameters", []) if p["in"] == "path"}


def _walk_operation(walker: Walker, template: str, method: str,
                    operation: dict[str, Any]) -> None:
    params = [p for p in operation.get("parameters", []) if p["in"] in ("path", "query")]
    path_values = _path_values(walker, template, operation)
    query = {p["name"]: walker.valid(p["schema"], p["name"]) for p in params
             if p["in"] == "query" and p.get("required")}
    body_schema, form = _body_schema(operation)
    body = walker.valid(body_schema) if body_schema else None
    if isinstance(body, dict) and "version" in body:
        body["version"] = walker.ids.get(f"{_collection(template)}.version", 1)
    if form:
        body = {**body, "entity": "customer", "record_id": walker.ids["customer_id"]}

    def url(values: dict[str, str]) -> str:
        return template.format(**{k: quote(v, safe="") for k, v in values.items()})

    def request(what: str, values: dict[str, str], query_values: dict[str, Any],
                payload: Any, headers: dict[str, Any] | None = None) -> None:
        kwargs: dict[str, Any] = {}
        if payload is not None and form:
            kwargs = {"data": payload, "files": {"file": ("a.txt", b"x", "text/plain")}}
        elif payload is not None:  # escaped: httpx cannot encode a lone surrogate itself
            kwargs = {"content": json.dumps(payload, ensure_ascii=True)}
            headers = {**(headers or {}), "Content-Type": "application/json"}
        walker.send(what, method.upper(), url(values), params=query_values, headers=headers,
                    **kwargs)

    for param in params:
        schema = walker.resolve(param["schema"])
        for value in _query_hostiles(schema):
            if param["in"] == "path":
                request(f"{param['name']}={value!r}", {**path_values, param["name"]: value},
                        query, body)
            else:
                request(f"?{param['name']}={value!r}", path_values,
                        {**query, param["name"]: value}, body)
    if body_schema is not None:
        variants = _form_variants(body) if form else walker.object_variants(body_schema)
        for variant in variants:
            request(f"body {_short(variant)}", path_values, query, variant)
        for raw, kind in RAW_BODIES:
            walker.send(f"raw body {raw!r} as {kind}", method.upper(), url(path_values),
                        params=query, headers={"Content-Type": kind}, content=raw)
    if walker.client.request(method.upper(), url(path_values)).status_code != 401:
        return  # a public route reads no preview header (and sign-in must not be tried)
    for preview in PREVIEWS:
        request(f"X-Preview-Role {preview!r}", path_values, query, body,
                {"X-Preview-Role": preview, "Accept-Language": "zz;q=x,,"})


def _short(value: Any) -> str:
    return json.dumps(value, ensure_ascii=True, default=str)[:120]


def _body_schema(operation: dict[str, Any]) -> tuple[dict[str, Any] | None, bool]:
    content = operation.get("requestBody", {}).get("content", {})
    if "multipart/form-data" in content:
        return content["multipart/form-data"]["schema"], True
    if "application/json" in content:
        return content["application/json"]["schema"], False
    return None, False


def _query_hostiles(schema: dict[str, Any]) -> list[str]:
    if schema.get("type") == "integer":
        return INT_TEXTS
    if schema.get("type") == "boolean":
        return ["maybe", "²"]
    return ["a\x00b", "a\x1bb"]


def _form_variants(base: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for value in INT_TEXTS:
        yield {**base, "record_id": value}
    for value in ("a\x00b", "customer\x00"):
        yield {**base, "entity": value}


def _cursor(*parts: Any) -> str:
    raw = json.dumps(list(parts), ensure_ascii=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _list_hostiles(spec: EntitySpec) -> Iterator[dict[str, str]]:
    """What a generic list reads from its query string, made invalid."""
    for value in ("0", "501", "1000000000", "²", "١٢", str(BIG)):
        yield {"limit": value}
    yield from ({"q": value} for value in ("\x00", "a\x1bb"))
    sort = spec.default_sort
    field = spec.owns(sort.removeprefix("-"))  # None: the id
    keys = {Kind.DATETIME: ["2026-01-15T08:00:00", 1_768_464_000], Kind.DATE: [1_768_464_000],
            Kind.INT: [BIG]}.get(field.kind if field else Kind.INT, ["a\x00"])
    for key, last in [(key, 1) for key in keys] + [(None, BIG), (None, "²"), (None, True)]:
        yield {"after": _cursor(sort, key, last)}
    for name in sorted(spec.filter_fields):
        kind = spec.field(name).kind
        values = {Kind.REF: INT_TEXTS, Kind.INT: INT_TEXTS, Kind.BOOL: ["maybe", "²"],
                  Kind.DATETIME: ["2026-01-15T08:00:00", "2026-01-15", "1768464000"],
                  Kind.DATE: ["1768464000", "2026-02-30"]}.get(kind, ["a\x00b", "a\x1bb"])
        for value in values:
            yield {name: value}
            if kind in (Kind.DATE, Kind.DATETIME):
                yield {f"{name}.from": value}


@pytest.fixture(scope="module")
def walker(app: Any, admin: dict[str, str]) -> Iterator[Walker]:
    with TestClient(app, base_url="https://testserver", raise_server_exceptions=False
                    ) as client:
        ids: dict[str, Any] = {}
        for spec in REGISTRY.values():
            page = client.get(f"{API}/{spec.path}", params={"limit": 1}, headers=admin).json()
            if page.get("items"):
                ids[f"/{spec.path}"] = page["items"][0]["id"]
                ids[f"/{spec.path}.version"] = page["items"][0].get("version", 1)
        ids["customer_id"] = ids["/customers"]
        yield Walker(client, admin, ids)


def test_every_operation_refuses_hostile_values(walker: Walker) -> None:
    walker.failures.clear()
    for template, methods in walker.openapi["paths"].items():
        for method, operation in methods.items():
            _walk_operation(walker, template, method, operation)
    assert walker.sent > 400
    assert walker.failures == []


@pytest.mark.parametrize("key", sorted(REGISTRY))
def test_every_list_refuses_hostile_query_values(walker: Walker, key: str) -> None:
    spec = REGISTRY[key]
    walker.failures.clear()
    for params in _list_hostiles(spec):
        walker.send(f"?{_short(params)}", "GET", f"{API}/{spec.path}", params=params)
    assert walker.failures == []
