"""A small fake of the API client for the import wizard's tests: it answers the wizard's
calls (upload, layout, jobs, problems, error report, mapping templates, the list) as the
import API's contract says, in memory, and records what it was asked.

Its file has two sheets: "Notes" and "Customers", whose header is row 2 under a title.
A job moves one step each time it is read (queued → 2 of 4 rows → 4 of 4 → succeeded),
unless ``hold`` keeps it running (until it is cancelled).
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from crm_client.api.client import PageResult
from crm_client.api.imports import ImportFile, MappingTemplate
from crm_common.entities import EntitySpec
from crm_common.errors import PayloadTooLarge
from crm_common.permissions import Permissions
from crm_common.schemas.auth import Me
from crm_common.schemas.imports import Layout, LayoutColumn, LayoutField, Problem, ProblemPage
from crm_common.schemas.job import JobRead, JobState
from crm_common.schemas.user import UserRead

IMPORT_ID = 7
HEADINGS = {1: ["2024 年客户名单", "", "", ""], 2: ["客户名称", "手机", "级别", "备注"]}
AUTOMATIC = {"客户名称": "name", "手机": "mobile", "级别": "level"}
FIELDS = [LayoutField(name=name, label=label, required=name == "name",
                      writable=name != "owner_id")
          for name, label in (("name", "Customer name"), ("mobile", "Mobile"),
                              ("level", "Level"), ("remark", "Remark"), ("owner_id", "Owner"))]
COUNTS = {"new": 2, "update": 1, "skip": 1, "error": 1, "empty": 1}
# A whole column refused first, then a problem in each of 230 rows.
PROBLEMS = [Problem(row=None, column=3, heading="备注", field="owner_id", verdict="error",
                    message="This field cannot be imported", value=None)] + [
    Problem(row=3 + n, column=1, heading="手机", field="mobile",
            verdict=("fixed", "warning", "error")[n % 3], message=f"message {n}",
            value=f"1380013800{n % 10}") for n in range(230)]
PREVIEW = [{"row": 3, "action": "new", "values": {"name": "上海精工", "mobile": "13800138000",
                                                  "level": "A"}},
           {"row": 4, "action": "update", "values": {"name": "北京大地", "mobile": None}},
           {"row": 5, "action": "error", "values": {"name": "广州海通"}}]
UNDO = {"removed": 2, "restored": 1,
        "kept": [{"entity": "customer", "record_id": 12, "fields": ["phone", "level"]}],
        "kept_total": 1}


def admin_me() -> Me:
    return me(Permissions(admin=True))


def me(permissions: Permissions) -> Me:
    now = datetime.now(UTC)
    return Me(user=UserRead(id=1, version=1, created_at=now, updated_at=now, username="admin",
                            name="Admin"), permissions=permissions)


class FakeImportApi:
    """The calls the import wizard and the list make, answered in memory."""

    def __init__(self, me: Me | None = None) -> None:
        self._me = me or admin_me()
        self.calls: list[tuple[str, Any]] = []
        self.jobs: dict[int, JobRead] = {}
        self.templates: dict[int, MappingTemplate] = {}
        self.hold = False
        self._lock = threading.Lock()

    def _record(self, name: str, *args: Any) -> None:
        with self._lock:
            self.calls.append((name, args))

    def called(self, name: str) -> list[Any]:
        with self._lock:
            return [args for called, args in self.calls if called == name]

    # -- what every screen asks --------------------------------------------------------------

    def me(self) -> Me:
        return self._me

    def list(self, spec: EntitySpec, params: Any) -> PageResult:
        return PageResult(items=[], next=None, total=0, total_exact=True)

    # -- the import API ----------------------------------------------------------------------

    def upload_import(self, entity: str, path: Path) -> ImportFile:
        self._record("upload_import", entity, path)
        if path.name.startswith("too-large"):
            raise PayloadTooLarge("The file is larger than the import allows (20 MB)")
        return ImportFile(id=IMPORT_ID, entity=entity, file_name=path.name,
                          size=path.stat().st_size)

    def import_layout(self, import_id: int, sheet: str | None = None,
                      header_row: int | None = None) -> Layout:
        self._record("import_layout", import_id, sheet, header_row)
        sheet = sheet or "Customers"
        header = header_row or (2 if sheet == "Customers" else 1)
        headings = HEADINGS.get(header, ["", "", "", ""]) if sheet == "Customers" else ["备注"]
        columns = [LayoutColumn(index=i, heading=h, field=AUTOMATIC.get(h),
                                samples=[f"{h}样例{n}" for n in range(5)])
                   for i, h in enumerate(headings)]
        return Layout(sheets=["Notes", "Customers"], sheet=sheet, header_row=header,
                            columns=columns, fields=FIELDS)

    def import_problems(self, import_id: int, verdict: str | None = None,
                        after: str | None = None, limit: int = 200) -> ProblemPage:
        self._record("import_problems", import_id, verdict, after, limit)
        chosen = [p for p in PROBLEMS if verdict in (None, p.verdict)]
        start = int(after or 0)
        following = str(start + limit) if start + limit < len(chosen) else None
        return ProblemPage(items=chosen[start:start + limit], next=following,
                           total=len(chosen))

    def import_errors_file(self, import_id: int, target: Path) -> Path:
        self._record("import_errors_file", import_id, target)
        target.write_bytes(b"error report")
        return target

    # -- mapping templates -------------------------------------------------------------------

    def import_mappings(self, entity: str) -> list[MappingTemplate]:
        with self._lock:
            return sorted((t for t in self.templates.values() if t.entity == entity),
                          key=lambda t: t.name)

    def save_import_mapping(self, entity: str, name: str, columns: dict[str, str],
                            replacing: MappingTemplate | None = None) -> MappingTemplate:
        self._record("save_import_mapping", entity, name, dict(columns), replacing)
        with self._lock:
            if replacing is not None:
                saved = replacing.model_copy(update={"columns": dict(columns),
                                                     "version": replacing.version + 1})
            else:
                saved = MappingTemplate(id=len(self.templates) + 1, name=name, entity=entity,
                                        columns=dict(columns))
            self.templates[saved.id] = saved
        return saved

    def delete_import_mapping(self, template: MappingTemplate) -> None:
        with self._lock:
            del self.templates[template.id]

    # -- jobs --------------------------------------------------------------------------------

    def start_job(self, kind: str, params: dict[str, Any]) -> JobRead:
        self._record("start_job", kind, params)
        with self._lock:
            job = JobRead(id=len(self.jobs) + 100, kind=kind, params=params,
                          created_at=datetime.now(UTC))
            self.jobs[job.id] = job
        return job

    def get(self, spec: EntitySpec, record_id: int) -> BaseModel:
        with self._lock:
            job = self.jobs[record_id]
            if not job.finished:
                job = self.jobs[record_id] = self._step(job)
            return job

    def cancel_job(self, job_id: int) -> JobRead:
        self._record("cancel_job", job_id)
        with self._lock:
            job = self.jobs[job_id].model_copy(update={"state": JobState.CANCELLED,
                                                       "cancel_requested": True})
            self.jobs[job_id] = job
            return job

    def _step(self, job: JobRead) -> JobRead:
        now = datetime.now(UTC)
        if job.state is JobState.QUEUED:
            return job.model_copy(update={"state": JobState.RUNNING, "started_at": now,
                                          "done": 2, "total": 4, "rate": Decimal("2.0")})
        if self.hold or job.done < 4:
            done = 2 if self.hold else 4
            return job.model_copy(update={"done": done})
        return job.model_copy(update={"state": JobState.SUCCEEDED, "finished_at": now,
                                      "result": self._result(job.kind)})

    def _result(self, kind: str) -> dict[str, Any]:
        if kind == "import_undo":
            return UNDO
        return {"import_id": IMPORT_ID, "counts": COUNTS, "problems": len(PROBLEMS),
                "preview": PREVIEW}
