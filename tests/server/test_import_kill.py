"""A server killed during an import, for real: ``crm-server run`` as a child process on the
suite's database, SIGKILLed while its job writes. Valid-rows mode leaves whole pages of rows
(each page committed with its undo record), all-or-nothing mode leaves nothing; after the
restart the job shows as failed, and importing the same file again creates no duplicate."""

from __future__ import annotations

import io
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from sqlalchemy import func, select

from crm_server import cli
from crm_server.db.engine import make_engine, make_session_factory
from crm_server.models import Customer
from crm_server.models.imports import ImportRow
from crm_server.settings import load_settings as load
from databases import fresh_database
from serving import ServerProcess

ADMIN, PASSWORD = "boss", "correct horse 42"
PAGE = 1000  # crm_server.domains.imports.rows.PAGE


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    directory = tmp_path_factory.mktemp("kill") / "crm"
    with fresh_database() as url, pytest.MonkeyPatch.context() as patch:
        patch.setenv("ADMIN_PW", PASSWORD)
        assert cli.main(["init", str(directory), "--bind", "127.0.0.1", "--admin", ADMIN,
                         "--database-url", url, "--admin-password-env", "ADMIN_PW"]) == 0
        yield directory


class Running(ServerProcess):
    def __init__(self, data_dir: Path) -> None:
        super().__init__(data_dir, ADMIN, PASSWORD)

    def start_import(self, content: bytes, **params: Any) -> int:
        batch = self.client.post("/imports", data={"entity": "customer"},
                                 files={"file": ("big.xlsx", content)})
        assert batch.status_code == 201, batch.text
        job = self.client.post("/jobs", json={"kind": "import", "params": {
            "import_id": batch.json()["id"], **params}})
        assert job.status_code == 201, job.text
        return int(job.json()["id"])


def sheet(tag: str, rows: int) -> bytes:
    book = openpyxl.Workbook(write_only=True)
    page = book.create_sheet("客户")
    page.append(["客户名称", "城市", "详细地址"])
    for n in range(rows):
        page.append([f"断电{tag}测试{n:06d}有限公司", "杭州市", f"文一路{n}号"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def made(data_dir: Path, tag: str) -> tuple[int, int]:
    """Customers of this test's file, and how many have every cell the file gave."""
    engine = make_engine(load(data_dir).effective_database_url)
    try:
        with make_session_factory(engine)() as session:
            mine = Customer.name.like(f"断电{tag}%")
            total = session.scalar(select(func.count()).where(mine)) or 0
            whole = session.scalar(select(func.count()).where(
                mine, Customer.city == "杭州市", Customer.address.like("文一路%"))) or 0
            return total, whole
    finally:
        engine.dispose()


def recorded(data_dir: Path, job_params: dict[str, Any]) -> int:
    engine = make_engine(load(data_dir).effective_database_url)
    try:
        with make_session_factory(engine)() as session:
            return session.scalar(select(func.count()).select_from(ImportRow).where(
                ImportRow.import_id == job_params["import_id"])) or 0
    finally:
        engine.dispose()


def test_valid_rows_mode_leaves_whole_pages_and_a_rerun_no_duplicates(data_dir: Path) -> None:
    tag, rows = str(time.monotonic_ns() % 10**8), 6 * PAGE
    content = sheet(tag, rows)
    server = Running(data_dir)
    job_id = server.start_import(content, mapping={"0": "name", "1": "city", "2": "address"})
    job = server.wait(job_id, lambda j: j["done"] >= PAGE)
    server.kill()
    total, whole = made(data_dir, tag)
    assert 0 < total < rows and total % PAGE == 0 and whole == total
    assert recorded(data_dir, job["params"]) == total  # each page with its undo record

    server = Running(data_dir)
    try:
        assert server.job(job_id)["state"] == "failed"
        got = server.client.get(f"/imports/{job['params']['import_id']}")
        assert got.status_code == 200 and got.json()["state"] == "failed", got.text
        again = server.start_import(content, mapping={"0": "name", "1": "city", "2": "address"})
        done = server.wait(again, lambda j: j["state"] == "succeeded", seconds=300)
        counts = done["result"]["counts"]
        assert (counts["new"], counts["skip"]) == (rows - total, total)
        assert made(data_dir, tag) == (rows, rows)
    finally:
        server.stop()


def test_all_or_nothing_mode_leaves_nothing(data_dir: Path) -> None:
    tag, rows = str(time.monotonic_ns() % 10**8), 20 * PAGE
    server = Running(data_dir)
    job_id = server.start_import(sheet(tag, rows), atomic=True,
                                 mapping={"0": "name", "1": "city", "2": "address"})
    server.wait(job_id, lambda j: j["done"] >= rows)  # checked: now writing
    threading.Event().wait(0.5)
    assert server.job(job_id)["state"] == "running"
    server.kill()
    assert made(data_dir, tag) == (0, 0)
