"""The import end to end through the API: a messy workbook with an exact expected outcome
for every row, the dry run writing nothing, duplicates within the file and against the
database, update mode, undo, rights (a read-only field, the scope), a GBK CSV, the error
report and the command line giving the same answer."""

from __future__ import annotations

import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import builders
from job_gates import finished
from serving import crm_server_cli

API = "/api/v1"
Headers = dict[str, str]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(api: Any, headers: Headers, entity: str, name: str, content: bytes) -> dict[str, Any]:
    got = api.post(f"{API}/imports", headers=headers, data={"entity": entity},
                   files={"file": (name, content, XLSX)})
    assert got.status_code == 201, got.text
    return dict(got.json())


def run(api: Any, headers: Headers, kind: str, **params: Any) -> dict[str, Any]:
    started = api.post(f"{API}/jobs", headers=headers, json={"kind": kind, "params": params})
    assert started.status_code == 201, started.text
    return finished(api, headers, started.json()["id"])


def layout(api: Any, headers: Headers, import_id: int, **query: Any) -> dict[str, Any]:
    got = api.get(f"{API}/imports/{import_id}/layout", headers=headers, params=query)
    assert got.status_code == 200, got.text
    return dict(got.json())


def problems(api: Any, headers: Headers, import_id: int) -> list[dict[str, Any]]:
    got = api.get(f"{API}/imports/{import_id}/problems", headers=headers,
                  params={"limit": 500})
    assert got.status_code == 200, got.text
    return list(got.json()["items"])


def workbook(rows: list[list[Any]], title: str | None = None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    if title:
        sheet.append([title])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(rows[0]))
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def mapping_of(found: dict[str, Any]) -> dict[str, str]:
    return {str(c["index"]): c["field"] for c in found["columns"] if c["field"]}


def messy(tag: str, existing: str) -> bytes:
    """Six customers written as people write them: row 3 is the header (a merged title
    above it), then a clean row, the same company again with other spacing and brackets,
    a bad credit code, an unknown owner, an empty row, a full-width phone and an existing
    customer's name."""
    return workbook([
        ["客户名称", "统一社会信用代码", "客户级别", "省份", "公司电话", "负责人", "标签"],
        [f" 甲{tag}科技（深圳）有限公司 ", builders.valid_uscc(), "A级", "广东", "0755-8888 1234",
         "sales", "展会,老客户"],
        [f"甲{tag}科技(深圳)有限公司", None, "b类", "广东省", None, None, None],
        [f"乙{tag}机械有限公司", "91110000XXXXXXXXX1", "C", "北京", None, None, None],
        [f"丙{tag}仪器有限公司", None, "重点", "沪", None, "nobody-such", None],
        [None, None, None, None, None, None, None],
        [f"丁{tag}设备有限公司", None, "C级", "粤", "０２０－８７６５４３２１", None, None],
        [existing, None, None, None, None, None, None],
    ], title=f"{tag}客户名单（2024年）")


def test_a_messy_sheet_dry_run_then_import(api: Any, admin: Headers) -> None:
    tag = str(builders.unique())
    existing = api.post(f"{API}/customers", headers=admin,
                        json=builders.customer(name=f"戊{tag}实业有限公司")).json()
    batch = upload(api, admin, "customer", "客户.xlsx", messy(tag, existing["name"]))
    assert batch["state"] == "uploaded" and batch["file_name"] == "客户.xlsx"
    found = layout(api, admin, batch["id"])
    assert found["header_row"] == 2  # the merged title is row 1
    assert mapping_of(found) == {"0": "name", "1": "uscc", "2": "level", "3": "province",
                                 "4": "phone", "5": "owner_id", "6": "tags"}
    assert found["columns"][0]["samples"][0] == f" 甲{tag}科技（深圳）有限公司 "
    params = {"import_id": batch["id"], "sheet": found["sheet"], "header_row": 2,
              "mapping": mapping_of(found), "mode": "skip"}

    check = run(api, admin, "import_check", **params)
    assert check["state"] == "succeeded", check
    counts = check["result"]["counts"]
    assert counts == {"new": 2, "update": 0, "skip": 2, "error": 2, "empty": 1}
    assert api.get(f"{API}/customers", headers=admin,
                   params={"q": f"甲{tag}"}).json()["total"] == 0  # a dry run writes nothing
    by_row = {}
    for problem in problems(api, admin, batch["id"]):
        by_row.setdefault(problem["row"], []).append(problem)
    assert {p["field"] for p in by_row[3] if p["verdict"] == "fixed"} >= {"name", "province"}
    assert [(p["verdict"], p["value"]) for p in by_row[4]] == [
        ("fixed", "b类"), ("warning", "3")]  # the same company as row 3
    errors = {row: [(p["field"], p["value"]) for p in found if p["verdict"] == "error"]
              for row, found in by_row.items()}
    assert errors == {3: [], 4: [], 5: [("uscc", "91110000XXXXXXXXX1")],
                      6: [("owner_id", "nobody-such")], 8: [], 9: []}
    assert [p["message"] for p in by_row[9]] == ["Already exists: skipped"]
    assert 7 not in by_row  # the empty row is counted, not a problem

    done = run(api, admin, "import", **params)
    assert done["state"] == "succeeded", done
    assert done["result"]["counts"] == counts
    made = api.get(f"{API}/customers", headers=admin, params={"q": f"{tag}"}).json()["items"]
    names = {c["name"]: c for c in made}
    first = names[f"甲{tag}科技（深圳）有限公司"]
    assert first["level"] == "A" and first["province"] == "广东省"
    assert first["phone"] == "0755-88881234" and first["tags"] == ["展会", "老客户"]
    assert first["owner_name"] and names[f"丁{tag}设备有限公司"]["province"] == "广东省"
    assert names[f"丁{tag}设备有限公司"]["phone"] == "020-87654321"
    history = api.get(f"{API}/imports/{batch['id']}", headers=admin).json()
    assert (history["state"], history["new_rows"], history["error_rows"]) == ("done", 2, 2)
    logged = api.get(f"{API}/audit", headers=admin, params={
        "action": "import", "entity": "customer", "limit": 500}).json()["items"]
    assert any({"field": "import_batch", "old": None, "new": batch["id"]} in entry["changes"]
               for entry in logged)
    created = api.get(f"{API}/customers/{first['id']}/history", headers=admin).json()
    assert [entry["action"] for entry in created] == ["create"]
    again = run(api, admin, "import", **params)
    assert again["state"] == "failed" and "already imported" in again["error"]


def test_the_same_file_again_creates_no_duplicates_and_undo_takes_it_back(
        api: Any, admin: Headers) -> None:
    tag = builders.word()  # a number alone is found inside other tests' phones and names
    content = workbook([["客户名称", "城市"], [f"己{tag}有限公司", "杭州"],
                        [f"庚{tag}有限公司", "宁波"]])
    first = upload(api, admin, "customer", "a.xlsx", content)
    params = {"mapping": {"0": "name", "1": "city"}, "mode": "create"}
    assert run(api, admin, "import", import_id=first["id"], **params)["result"][
        "counts"]["new"] == 2
    second = upload(api, admin, "customer", "a.xlsx", content)  # the same bytes again
    again = run(api, admin, "import", import_id=second["id"], **params)
    assert again["result"]["counts"]["new"] == 0 and again["result"]["counts"]["skip"] == 2
    found = api.get(f"{API}/customers", headers=admin, params={"q": tag}).json()
    assert found["total"] == 2
    mover = found["items"][0]
    api.patch(f"{API}/customers/{mover['id']}", headers=admin,
              json={"version": mover["version"], "city": "温州"})
    undone = run(api, admin, "import_undo", import_id=first["id"])
    assert undone["state"] == "succeeded", undone
    assert undone["result"]["removed"] == 1
    assert [k["record_id"] for k in undone["result"]["kept"]] == [mover["id"]]
    left = api.get(f"{API}/customers", headers=admin, params={"q": tag}).json()["items"]
    assert [c["id"] for c in left] == [mover["id"]]
    assert api.get(f"{API}/imports/{first['id']}", headers=admin).json()["state"] == "undone"


def test_update_mode_changes_only_mapped_non_empty_cells_and_undo_restores(
        api: Any, admin: Headers) -> None:
    tag = str(builders.unique())
    made = api.post(f"{API}/customers", headers=admin, json=builders.customer(
        name=f"辛{tag}有限公司", city="苏州", address="工业园区1号")).json()
    content = workbook([["公司名称", "城市", "详细地址"], [f"辛{tag}有限公司", "无锡", None]])
    batch = upload(api, admin, "customer", "u.xlsx", content)
    done = run(api, admin, "import", import_id=batch["id"], mode="update",
               mapping={"0": "name", "1": "city", "2": "address"})
    assert done["result"]["counts"]["update"] == 1, done
    now = api.get(f"{API}/customers/{made['id']}", headers=admin).json()
    assert (now["city"], now["address"]) == ("无锡市", "工业园区1号")
    history = api.get(f"{API}/customers/{made['id']}/history", headers=admin).json()
    assert any(c["field"] == "city" and c["new"] == "无锡市" for e in history
               for c in e["changes"])
    run(api, admin, "import_undo", import_id=batch["id"])
    back = api.get(f"{API}/customers/{made['id']}", headers=admin).json()
    assert (back["city"], back["address"]) == ("苏州", "工业园区1号")


def test_a_read_only_field_in_the_mapping_is_refused_and_scope_holds(
        api: Any, admin: Headers, sign_in: Callable[[str], Headers]) -> None:
    rep = sign_in("sales")
    tag = str(builders.unique())
    others = api.post(f"{API}/customers", headers=admin,
                      json=builders.customer(name=f"壬{tag}有限公司")).json()
    content = workbook([["客户名称", "负责人", "城市"], [f"壬{tag}有限公司", "manager", "广州"]])
    batch = upload(api, rep, "customer", "r.xlsx", content)
    refused = run(api, rep, "import", import_id=batch["id"],
                  mapping={"0": "name", "1": "owner_id"})
    assert refused["state"] == "failed" and "correct" in refused["error"].lower()
    found = layout(api, rep, batch["id"])
    assert {f["name"]: f["writable"] for f in found["fields"]}["owner_id"] is False
    done = run(api, rep, "import", import_id=batch["id"], mode="update",
               mapping={"0": "name", "2": "city"})
    assert done["result"]["counts"]["error"] == 1  # another's customer: not the rep's to change
    assert api.get(f"{API}/customers/{others['id']}", headers=admin).json()["city"] != "广州"
    assert api.get(f"{API}/imports/{batch['id']}", headers=sign_in("finance")).status_code == 404


def test_a_gbk_csv_and_the_error_report(api: Any, admin: Headers) -> None:
    tag = str(builders.unique())
    text = f"联系人,客户名称,手机\n张三{tag},不存在{tag}公司,13800138000\n李四{tag},,1380013\n"
    batch = upload(api, admin, "contact", "联系人.csv", text.encode("gbk"))
    found = layout(api, admin, batch["id"])
    assert [c["heading"] for c in found["columns"]] == ["联系人", "客户名称", "手机"]
    assert mapping_of(found) == {"0": "name", "1": "customer_id", "2": "mobile"}
    done = run(api, admin, "import_check", import_id=batch["id"], mapping=mapping_of(found))
    assert done["result"]["counts"]["error"] == 2
    report = api.get(f"{API}/imports/{batch['id']}/errors",
                     headers={**admin, "Accept-Language": "zh-CN"})
    assert report.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(report.content)).active
    assert sheet is not None
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == ["联系人", "客户名称", "手机", "错误"]
    assert rows[1][:3] == [f"张三{tag}", f"不存在{tag}公司", "13800138000"]
    assert sheet.cell(2, 2).comment is not None and sheet.cell(2, 2).fill.fgColor.rgb.endswith(
        "FFC7CE")
    assert rows[2][0] == f"李四{tag}" and rows[2][3]


def test_the_command_line_gives_the_same_counts(api: Any, admin: Headers, settings: Any,
                                                tmp_path: Path) -> None:
    tag = str(builders.unique())
    source = tmp_path / "产品.xlsx"
    source.write_bytes(workbook([
        ["产品编码", "名称", "单价", "保修月数"],
        [f"P{tag}-1", "主机", "1.5万", 12], [f"P{tag}-2", "配件", "¥1,200.50", "十二"],
        [f"P{tag}-1", "主机又一次", 100, 12]]))
    env = {**os.environ, "CRM_DATABASE_URL": settings.database_url}
    done = crm_server_cli("import", "product", str(source), "--json", "--dry-run",
                          "--data-dir", str(settings.data_dir), env=env)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert summary["counts"] == {"new": 1, "update": 0, "skip": 1, "error": 1, "empty": 0}
    assert any(p["field"] == "warranty_months" and p["verdict"] == "error"
               for p in summary["problems"])
    batch = upload(api, admin, "product", "产品.xlsx", source.read_bytes())
    found = layout(api, admin, batch["id"])
    checked = run(api, admin, "import_check", import_id=batch["id"], mapping=mapping_of(found))
    assert checked["result"]["counts"] == summary["counts"]
    atomic = crm_server_cli("import", "product", str(source), "--json", "--all-or-nothing",
                            "--data-dir", str(settings.data_dir), env=env)
    assert atomic.returncode == 1 and json.loads(atomic.stdout)["error"]
    assert api.get(f"{API}/products", headers=admin,
                   params={"q": f"P{tag}"}).json()["total"] == 0
    valid = crm_server_cli("import", "product", str(source), "--json",
                           "--data-dir", str(settings.data_dir), env=env)
    assert valid.returncode == 0, valid.stderr
    made = api.get(f"{API}/products", headers=admin, params={"q": f"P{tag}"}).json()["items"]
    assert [(p["code"], p["list_price"]) for p in made] == [(f"P{tag}-1", "15000.0000")]


@pytest.mark.parametrize("content", [b"", b"%PDF-1.4 not a sheet\x00\x01"])
def test_not_a_spreadsheet_is_refused_and_nothing_kept(api: Any, admin: Headers,
                                                       content: bytes) -> None:
    got = api.post(f"{API}/imports", headers=admin, data={"entity": "customer"},
                   files={"file": ("x.xlsx", content, XLSX)})
    assert 400 <= got.status_code < 500, got.text
    assert got.json()["detail"]


def test_formula_like_cells_come_back_as_text_never_formulas(api: Any, admin: Headers) -> None:
    """1,000 formula-like names through the import, then the export: not one formula cell
    in the exported workbook (openpyxl reads a formula as a cell of type "f")."""
    tag = str(builders.unique())
    starts = ["=", "+", "-", "@", "=HYPERLINK(", "+cmd|", "-2+3", "@SUM("]
    names = [f"{starts[n % len(starts)]}{n}{tag}公司" for n in range(1000)]
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["客户名称", "城市"])
    for name in names:
        sheet.cell(sheet.max_row + 1, 1).value = name
        sheet.cell(sheet.max_row, 1).data_type = "s"  # text as typed, not a formula
        sheet.cell(sheet.max_row, 2).value = f"城{tag}"
    out = io.BytesIO()
    book.save(out)
    batch = upload(api, admin, "customer", "formulas.xlsx", out.getvalue())
    done = run(api, admin, "import", import_id=batch["id"], mapping={"0": "name", "1": "city"})
    assert done["result"]["counts"]["new"] == 1000, str(done["result"]["counts"])
    started = api.post(f"{API}/jobs", headers=admin, json={"kind": "export", "params": {
        "entity": "customer", "filters": {"city": [f"城{tag}"]}, "columns": ["name", "city"]}})
    job = finished(api, admin, started.json()["id"])
    content = api.get(f"{API}/jobs/{job['id']}/file", headers=admin).content
    exported = openpyxl.load_workbook(io.BytesIO(content)).active
    assert exported is not None
    cells = [cell for row in exported.iter_rows(min_row=2) for cell in row]
    assert len(cells) == 2000 and not [c for c in cells if c.data_type == "f"]
    assert sorted(str(c.value).removeprefix("'") for c in cells[::2]) == sorted(names)


def test_users_are_imported_by_administrators_only(api: Any, admin: Headers,
                                                    sign_in: Callable[[str], Headers]) -> None:
    tag = str(builders.unique())
    text = ("用户名,姓名,部门,角色,手机,初始密码\n"
            f"u{tag}a,张{tag},销售部,销售代表、财务,138 0013 8000,Start-{tag}-pass\n"
            f"u{tag}b,李{tag},不存在的部门,销售代表,,Start-{tag}-pass\n")
    refused = api.post(f"{API}/imports", headers=sign_in("sales"), data={"entity": "user"},
                       files={"file": ("users.csv", text.encode(), "text/csv")})
    assert refused.status_code == 403
    batch = upload(api, admin, "user", "users.csv", text.encode())
    found = layout(api, admin, batch["id"])
    assert mapping_of(found) == {"0": "username", "1": "name", "2": "department_id",
                                 "3": "role_ids", "4": "mobile", "5": "password"}
    done = run(api, admin, "import", import_id=batch["id"], mapping=mapping_of(found))
    assert done["result"]["counts"]["new"] == 1 and done["result"]["counts"]["error"] == 1
    made = [u for u in api.get(f"{API}/users", headers=admin, params={
        "sort": "-created_at", "limit": 500}).json()["items"] if tag in u["username"]]
    assert [(u["name"], u["mobile"], sorted(u["role_names"])) for u in made] == [
        (f"张{tag}", "13800138000", sorted(["销售代表", "财务"]))]
    signed = api.post(f"{API}/auth/login", json={"username": f"u{tag}a",
                                                  "password": f"Start-{tag}-pass"})
    assert signed.status_code == 200, signed.text


def test_a_header_row_given_far_down_is_read_with_its_samples(api: Any, admin: Headers) -> None:
    rows: list[list[Any]] = [[f"说明第{n}行", None] for n in range(1, 18)]
    rows += [["客户名称", "城市"], ["某某有限公司", "杭州"]]
    batch = upload(api, admin, "customer", "far.xlsx", workbook(rows))
    found = layout(api, admin, batch["id"], header_row=18)
    assert [(c["heading"], c["field"], c["samples"]) for c in found["columns"]] == [
        ("客户名称", "name", ["某某有限公司"]), ("城市", "city", ["杭州"])]
