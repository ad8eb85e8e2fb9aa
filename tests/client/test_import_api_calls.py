"""The import calls of ``ApiClient`` ask what the import API's contract says and read its
answers (a stand-in transport answers; the real server's test comes with its import)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from crm_client.api.client import ApiClient
from crm_client.api.imports import MappingTemplate
from crm_common.errors import NotFound

LAYOUT = {"sheets": ["客户"], "sheet": "客户", "header_row": 2,
          "columns": [{"index": 0, "heading": "客户名称", "field": "name", "samples": ["甲"]}],
          "fields": [{"name": "name", "label": "客户名称", "required": True, "writable": True}]}
TEMPLATE = {"id": 3, "version": 2, "name": "标准", "entity": "customer",
            "columns": {"客户名称": "name"}}


class Recorder:
    """Answers each request with the next of ``answers`` and keeps the requests."""

    def __init__(self, *answers: httpx.Response) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return self.answers.pop(0)


def _client(recorder: Recorder) -> ApiClient:
    api = ApiClient("http://crm.test", None, language="en", retry_budget=0)
    api._http = httpx.Client(base_url=api._http.base_url, transport=httpx.MockTransport(recorder))
    return api


def _asked(request: httpx.Request) -> tuple[str, str, str]:
    return request.method, request.url.path, request.url.query.decode()


def test_upload_sends_the_entity_and_the_file_by_name(tmp_path: Path) -> None:
    path = tmp_path / "客户.xlsx"
    path.write_bytes(b"workbook bytes")
    answer = {"id": 7, "version": 1, "entity": "customer", "file_name": "客户.xlsx",
              "size": 14, "state": "uploaded", "owner_id": 1}
    recorder = Recorder(httpx.Response(201, json=answer))
    upload = _client(recorder).upload_import("customer", path)
    assert (upload.id, upload.file_name, upload.state) == (7, "客户.xlsx", "uploaded")
    request = recorder.requests[0]
    assert _asked(request) == ("POST", "/api/v1/imports", "")
    body = request.content.decode()
    assert 'name="entity"\r\n\r\ncustomer\r\n' in body
    assert 'name="file"; filename="客户.xlsx"' in body and "workbook bytes" in body


def test_layout_and_problems_ask_with_their_parameters() -> None:
    problems = {"items": [{"row": 5, "column": 2, "heading": "手机", "field": "mobile",
                           "verdict": "error", "message": "Not a mobile", "value": "123"}],
                "next": "c2", "total": 9}
    recorder = Recorder(httpx.Response(200, json=LAYOUT), httpx.Response(200, json=LAYOUT),
                        httpx.Response(200, json=problems))
    api = _client(recorder)
    assert api.import_layout(7).columns[0].field == "name"
    assert api.import_layout(7, "客户", 3).header_row == 2
    page = api.import_problems(7, "error", "c1", 50)
    assert (page.items[0].heading, page.next, page.total) == ("手机", "c2", 9)
    assert [_asked(r) for r in recorder.requests] == [
        ("GET", "/api/v1/imports/7/layout", ""),
        ("GET", "/api/v1/imports/7/layout", "sheet=%E5%AE%A2%E6%88%B7&header_row=3"),
        ("GET", "/api/v1/imports/7/problems", "verdict=error&after=c1&limit=50")]


def test_mapping_templates_are_the_generic_crud_of_import_mappings() -> None:
    recorder = Recorder(httpx.Response(200, json={"items": [TEMPLATE], "next": None}),
                        httpx.Response(201, json=TEMPLATE),
                        httpx.Response(200, json={**TEMPLATE, "version": 3}),
                        httpx.Response(204))
    api = _client(recorder)
    [found] = api.import_mappings("customer")
    assert found == MappingTemplate(**TEMPLATE)
    api.save_import_mapping("customer", "标准", {"客户名称": "name"})
    assert api.save_import_mapping("customer", "标准", {"手机": "mobile"}, found).version == 3
    api.delete_import_mapping(found)
    asked = [_asked(r) for r in recorder.requests]
    assert asked == [("GET", "/api/v1/import-mappings", "entity=customer&sort=name&limit=500"),
                     ("POST", "/api/v1/import-mappings", ""),
                     ("PATCH", "/api/v1/import-mappings/3", ""),
                     ("DELETE", "/api/v1/import-mappings/3", "version=2")]
    bodies = [json.loads(r.content) for r in recorder.requests[1:3]]
    assert bodies == [{"name": "标准", "entity": "customer", "columns": {"客户名称": "name"}},
                      {"columns": {"手机": "mobile"}, "version": 2}]


def test_the_error_report_is_saved_whole_or_not_at_all(tmp_path: Path) -> None:
    target = tmp_path / "错误.xlsx"
    missing: dict[str, Any] = {"error": "not_found", "detail": "No error report"}
    recorder = Recorder(httpx.Response(200, content=b"xlsx bytes"),
                        httpx.Response(404, json=missing))
    api = _client(recorder)
    assert api.import_errors_file(7, target) == target
    assert target.read_bytes() == b"xlsx bytes"
    with pytest.raises(NotFound):
        api.import_errors_file(8, tmp_path / "none.xlsx")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["错误.xlsx"]
    assert _asked(recorder.requests[0]) == ("GET", "/api/v1/imports/7/errors", "")
