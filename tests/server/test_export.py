"""Export of a list: the same rows as the list, typed cells, only what the exporter may see
(scope, hidden fields, masks), formulas neutralised, a CSV Excel reads in Chinese, the file
for its starter only, and an audit row."""

from __future__ import annotations

import csv
import io
import os
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select

import builders
from crm_common.entities import REGISTRY
from crm_common.i18n import translate
from crm_server.kit import sheets
from crm_server.models import AuditEntry
from job_gates import finished
from serving import crm_server_cli

API = "/api/v1"
Headers = dict[str, str]
Person = Callable[..., tuple[int, Headers]]


def _export(api: Any, headers: Headers, **params: Any) -> tuple[dict[str, Any], bytes]:
    started = api.post(f"{API}/jobs", headers=headers, json={"kind": "export", "params": params})
    assert started.status_code == 201, started.text
    job = finished(api, headers, started.json()["id"])
    assert job["state"] == "succeeded", job
    got = api.get(f"{API}/jobs/{job['id']}/file", headers=headers)
    assert got.status_code == 200, got.text
    return job, got.content


def _rows(content: bytes) -> list[list[Any]]:
    sheet = openpyxl.load_workbook(io.BytesIO(content)).active
    assert sheet is not None
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def _text(content: bytes) -> str:
    """Every part of a workbook as text: what a canary must not be found in."""
    with zipfile.ZipFile(io.BytesIO(content)) as book:
        return "".join(book.read(name).decode("utf-8") for name in book.namelist())


def _role(api: Any, admin: Headers, person: Person, grants: dict[str, Any]) -> tuple[int, Headers]:
    """A new user whose one role grants ``grants`` and reading their own jobs."""
    jobs = {"job": {"actions": {"read": "own"}}}
    return person(builders.custom_role(api, admin, {**grants, **jobs})["id"])


def zh(text: str) -> str:
    return translate(text, "zh_CN")


def test_the_workbook_holds_the_lists_rows_in_typed_cells(api: Any, admin: Headers) -> None:
    city = f"导出市{builders.unique()}"
    for status in ("potential", "active", "lost"):
        made = api.post(f"{API}/customers", headers=admin,
                        json=builders.customer(city=city, status=status, tags=["重点", "华东"]))
        assert made.status_code == 201, made.text
    listed = api.get(f"{API}/customers", headers=admin,
                     params={"city": city, "sort": "-created_at"}).json()["items"]
    columns = ["name", "status", "city", "owner_id", "tags", "created_at"]
    job, content = _export(api, admin, entity="customer", filters={"city": [city]},
                           sort="-created_at", columns=columns)
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.active
    assert sheet is not None and sheet.freeze_panes == "A2" and sheet.auto_filter.ref
    header, *rows = _rows(content)
    assert header == ["名称", "状态", "城市", "负责人", "标签", "创建时间 (UTC)"]
    assert [row[0] for row in rows] == [item["name"] for item in listed]
    assert job["result"]["rows"] == len(rows) == 3 and job["done"] == 3
    first = listed[0]
    assert rows[0][1] == zh({"potential": "Potential", "active": "Active",
                             "lost": "Lost"}[first["status"]])
    assert rows[0][3] == first["owner_name"] and rows[0][4] == "重点、华东"
    assert rows[0][5].isoformat().startswith(first["created_at"][:16])
    default = _rows(_export(api, admin, entity="customer", filters={"city": [city]})[1])[0]
    spec = REGISTRY["customer"]
    assert default == [sheets.Column(f, "zh_CN").header for f in spec.fields if f.listed]


def test_amounts_are_numbers_with_their_places_and_hidden_fields_no_column(
        api: Any, admin: Headers, person: Person) -> None:
    code = f"EXP-{builders.unique()}"
    made = api.post(f"{API}/products", headers=admin, json={
        "code": code, "name": "数控车床", "list_price": "1200.5678", "cost": "98765.4321",
        "tax_rate": "13"})
    assert made.status_code == 201, made.text
    columns = ["code", "list_price", "cost", "tax_rate", "is_active"]
    _, content = _export(api, admin, entity="product", q=code, columns=columns)
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book.active
    assert sheet is not None
    price = sheet.cell(row=2, column=2)
    assert price.value == pytest.approx(1200.5678) and price.data_type == "n"
    assert price.number_format.endswith("0.0000")
    assert sheet.cell(row=2, column=4).value == 13
    assert sheet.cell(row=2, column=5).value == "是"
    _, rep = _role(api, admin, person, {"product": {
        "actions": {"read": "all", "export": "all"}, "fields": {"cost": "hidden"}}})
    _, content = _export(api, rep, entity="product", q=code, columns=columns)
    header, row = _rows(content)
    assert header == [zh(label) for label in ("Code", "List price", "Tax rate", "Active")]
    assert len(row) == 4 and "98765" not in _text(content)


def test_scope_and_field_rights_hold_in_the_file(api: Any, admin: Headers,
                                                 person: Person) -> None:
    user_id, rep = _role(api, admin, person, {"customer": {
        "actions": {"read": "own", "export": "own"},
        "fields": {"notes": "hidden", "uscc": "masked"}}})
    city = f"范围市{builders.unique()}"
    uscc = builders.valid_uscc()
    mine = api.post(f"{API}/customers", headers=admin, json=builders.customer(
        city=city, owner_id=user_id, uscc=uscc, notes="金丝雀备注ZQX"))
    assert mine.status_code == 201, mine.text
    api.post(f"{API}/customers", headers=admin, json=builders.customer(city=city))
    _, content = _export(api, rep, entity="customer", filters={"city": [city]},
                         columns=["name", "uscc", "notes"])
    header, *rows = _rows(content)
    assert header == [zh("Name"), zh("Unified social credit code")]
    assert rows == [[mine.json()["name"], rows[0][1]]]
    assert "****" in rows[0][1] and uscc not in _text(content)
    assert "ZQX" not in _text(content)


def test_the_export_right_is_required(api: Any, admin: Headers, rep: Headers,
                                      person: Person) -> None:
    refused = api.post(f"{API}/jobs", headers=rep,
                       json={"kind": "export", "params": {"entity": "customer"}})
    assert refused.status_code == 403, refused.text
    _, products_only = _role(api, admin, person, {"product": {
        "actions": {"read": "all", "export": "all"}}, "customer": {"actions": {"read": "all"}}})
    started = api.post(f"{API}/jobs", headers=products_only,
                       json={"kind": "export", "params": {"entity": "customer"}})
    assert started.status_code == 201, started.text
    job = finished(api, products_only, started.json()["id"])
    assert job["state"] == "failed" and job["result"] is None
    for params, field in (({"entity": "audit"}, "params.entity"),
                          ({"entity": "customer", "columns": ["secret"]}, "params"),
                          ({"entity": "customer", "format": "pdf"}, "params.format")):
        answer = api.post(f"{API}/jobs", headers=admin, json={"kind": "export",
                                                               "params": params})
        assert answer.status_code == 422, answer.text
        assert any(key.startswith(field) for key in answer.json()["fields"]), answer.text


FORMULAS = ["=1+2", "+1", "-1+1", "@SUM(A1:A2)", "\t=1", "\r=1", "=HYPERLINK(\"http://x\")"]


def test_formula_like_text_is_never_a_formula(tmp_path: Path) -> None:
    column = sheets.Column(REGISTRY["customer"].field("name"), "zh_CN")
    values = [FORMULAS[n % len(FORMULAS)] + str(n) for n in range(1000)]
    for file_format in sheets.FORMATS:
        path = tmp_path / f"f.{file_format}"
        sheet = sheets.open_sheet(path, file_format, [column], "客户")
        sheet.add([column.cell({"name": value})] for value in values)
        sheet.close()
        if file_format == "csv":
            with path.open(encoding="utf-8-sig", newline="") as file:
                read = [row[0] for row in csv.reader(file)][1:]
            assert read == ["'" + value for value in values]
            continue
        cells = [row[0] for row in openpyxl.load_workbook(path).active.iter_rows(min_row=2)]
        assert len(cells) == 1000
        assert all(cell.data_type == "s" for cell in cells)
        # XlsxWriter escapes a CR as Excel does (_x000D_); openpyxl leaves it so
        read = [str(cell.value).replace("_x000D_", "\r") for cell in cells]
        assert read == ["'" + value for value in values]


def test_a_formula_through_the_api_is_exported_as_text(api: Any, admin: Headers) -> None:
    city = f"公式市{builders.unique()}"
    api.post(f"{API}/customers", headers=admin,
             json=builders.customer(city=city, short_name="=cmd|' /C calc'!A0"))
    _, content = _export(api, admin, entity="customer", filters={"city": [city]},
                         columns=["short_name"])
    assert _rows(content)[1] == ["'=cmd|' /C calc'!A0"]
    assert "<f>" not in _text(content)


def test_csv_has_a_bom_and_chinese_excel_reads(api: Any, admin: Headers) -> None:
    city = f"编码市{builders.unique()}"
    made = api.post(f"{API}/customers", headers=admin, json=builders.customer(city=city))
    _, content = _export(api, admin, entity="customer", format="csv",
                         filters={"city": [city]}, columns=["name", "city", "status"])
    assert content.startswith(b"\xef\xbb\xbf")
    text = content.decode("utf-8-sig")
    assert text.encode("gbk").decode("gbk") == text
    header, row = text.splitlines()
    assert header == "名称,城市,状态"
    assert row == f"{made.json()['name']},{city},{zh('Potential')}"


def test_the_file_is_its_starters_and_audited(api: Any, app: Any, admin: Headers,
                                             sign_in: Callable[[str], Headers]) -> None:
    job, _ = _export(api, admin, entity="contact", filters={"is_primary": ["true"]})
    got = api.get(f"{API}/jobs/{job['id']}/file", headers=admin)
    disposition = got.headers["content-disposition"]
    assert "filename*=UTF-8''%E8%81%94%E7%B3%BB%E4%BA%BA_" in disposition  # 联系人_
    assert disposition.endswith(".xlsx") and "\n" not in disposition
    for other in (sign_in("manager"), sign_in("finance")):
        assert api.get(f"{API}/jobs/{job['id']}/file", headers=other).status_code == 404
    assert api.get(f"{API}/jobs/999999999/file", headers=admin).status_code == 404
    with app.state.session_factory() as session:
        row = session.scalars(select(AuditEntry).where(
            AuditEntry.action == "export", AuditEntry.entity == "contact")
            .order_by(AuditEntry.id.desc())).first()
    assert row is not None and row.user_id == job["started_by_id"]
    changes = {change["field"]: change["new"] for change in row.changes}
    assert changes["filter"]["filters"] == {"is_primary": ["true"]}
    assert changes["rows"] == job["result"]["rows"]


def test_the_command_writes_the_same_file(api: Any, admin: Headers, settings: Any,
                                          tmp_path: Path) -> None:
    city = f"命令市{builders.unique()}"
    api.post(f"{API}/customers", headers=admin, json=builders.customer(city=city))
    out = tmp_path / "客户.xlsx"
    env = {**os.environ, "CRM_DATABASE_URL": settings.database_url}
    done = crm_server_cli("export", "customer", "--out", str(out), "--filter", f"city={city}",
                          "--as", "finance", "--data-dir", str(settings.data_dir), env=env)
    assert done.returncode == 0, done.stderr
    assert "1 customer records written" in done.stdout
    _, content = _export(api, admin, entity="customer", filters={"city": [city]})
    assert _rows(out.read_bytes()) == _rows(content)
    for args, said in ((["audit"], "cannot be exported"),
                       (["customer", "--as", "sales"], "Your role does not allow this"),
                       (["customer", "--filter", "secret=1"], "Unknown filter")):
        refused = crm_server_cli("export", *args, "--out", str(tmp_path / "x.xlsx"),
                                 "--data-dir", str(settings.data_dir), env=env)
        assert refused.returncode == 1 and said in refused.stderr, refused.stderr
    assert not (tmp_path / "x.xlsx").exists()
