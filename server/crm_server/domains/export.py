"""Export of a list: the records a list shows for a filter, order and search, in the chosen
columns, as .xlsx or .csv (``kit.sheets``). Anyone with an entity's export right starts the
"export" job; its file lives in the data directory for a day, for its starter to download
(``GET /jobs/{id}/file``). IT runs the same with ``crm-server export``.

Permission-aware through the choke point only: the export right (``access.may``), the rows
within its scope (the service's keyset pages, ``Action.EXPORT``), the values as the user
may see them (``present_many``: hidden fields are no column, masked ones stay masked). Each
export is audited: who, what entity, what filter, how many rows.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from fastapi import APIRouter, Request, Response
from fastapi.responses import FileResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy.orm import Session

from crm_common.entities import REGISTRY, EntitySpec
from crm_common.errors import NotFound
from crm_common.i18n import N_, normalise_language, translate
from crm_common.permissions import Action, FieldAccess
from crm_common.schemas.scalars import DbId
from crm_server.db import audit
from crm_server.kit import sheets
from crm_server.kit.binding import binding
from crm_server.kit.jobs import JobKind, Progress, register_kind
from crm_server.kit.service import ListQuery
from crm_server.kit.unit import console_user
from crm_server.kit.web import Caller, disposition, settings_of, signed_in
from crm_server.models import Job
from crm_server.security import access
from crm_server.security.principal import Principal
from crm_server.settings import Settings

BATCH = 500  # rows per page read, presented and written; a progress call each
KEEP_SECONDS = 24 * 3600  # an export's file is downloadable for a day
FOLDER = "exports"
MEDIA_TYPES = {"xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
               "csv": "text/csv; charset=utf-8"}


def exportable() -> list[str]:
    return [key for key, spec in REGISTRY.items() if spec.exportable]


class ExportParams(BaseModel):
    """What to export: the entity, the list's filters (``field`` or ``field.from``/``.to``
    to their values), order, search text and columns (field names; none: the listed ones),
    the file's format and the language of its headers and labels."""

    model_config = ConfigDict(extra="forbid")

    entity: str
    format: Literal["xlsx", "csv"] = "xlsx"
    filters: dict[str, list[str]] = Field(default_factory=dict)
    sort: str | None = None
    q: str | None = None
    columns: list[str] | None = None
    language: str = "zh_CN"

    @field_validator("entity")
    @classmethod
    def _exportable(cls, value: str) -> str:
        if value not in exportable():
            raise ValueError(N_("Not a kind of record that can be exported"))
        return value

    @field_validator("language")
    @classmethod
    def _language(cls, value: str) -> str:
        return normalise_language(value)

    @model_validator(mode="after")
    def _declared_columns(self) -> ExportParams:
        names = {field.name for field in REGISTRY[self.entity].fields}
        if self.columns is not None and (not self.columns or set(self.columns) - names):
            raise ValueError(N_("Not one of the allowed values"))
        return self


def may_export(user: Principal) -> bool:
    """Whether ``user`` may export some kind of record (the entity is checked as it runs)."""
    return any(user.permissions.refusal(REGISTRY[key], Action.EXPORT) is None
               for key in exportable())


def columns_for(user: Principal, spec: EntitySpec, names: list[str] | None,
                language: str) -> list[sheets.Column]:
    """The columns asked for (else the listed fields), less the fields hidden from ``user``:
    a masked field stays, and is written masked."""
    chosen = names or [field.name for field in spec.fields if field.listed]
    return [sheets.Column(spec.field(name), language) for name in chosen
            if access.field_access(user, spec, spec.field(name))is not FieldAccess.HIDDEN]


def write_export(session: Session, user: Principal, params: ExportParams, path: Path,
                 progress: Progress) -> int:
    """Write the rows of ``params`` that ``user`` may export to ``path``, page by page,
    and audit it; the number of rows. A failed export leaves no file behind."""
    spec = REGISTRY[params.entity]
    service = binding(spec.key).service
    query = ListQuery(sort=params.sort, q=params.q, limit=BATCH, filters=params.filters)
    pages, count = service.pages(session, user, query, Action.EXPORT)
    columns = columns_for(user, spec, params.columns, params.language)
    total, _ = count()
    progress(0, total)
    done = 0
    sheet = sheets.open_sheet(path, params.format, columns,
                              translate(spec.label_plural, params.language))
    try:
        for records in pages:
            items = [item.model_dump() for item in service.present_many(session, user, records)]
            sheet.add([column.cell(item) for column in columns] for item in items)
            done += len(items)
            session.expunge_all()  # the page is written: its records are not needed again
            progress(done, max(total, done))
        sheet.close()
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    audit.append(session, [audit.entry(session, "export", spec.key, None, [
        {"field": "filter", "old": None, "new": params.model_dump(
            include={"filters", "sort", "q", "columns", "format"})},
        {"field": "rows", "old": None, "new": done}])])
    return done


def folder(settings: Settings) -> Path:
    """Where exports wait for their download; files older than a day are removed."""
    path = settings.data_dir / FOLDER
    path.mkdir(parents=True, exist_ok=True)
    cutoff = time.time() - KEEP_SECONDS
    for old in path.iterdir():
        if old.is_file() and old.stat().st_mtime < cutoff:
            old.unlink(missing_ok=True)
    return path


def export_job(session: Session, user: Principal, params: ExportParams,
               progress: Progress) -> dict[str, Any]:
    """The "export" job: the file in the data directory, named in the job's result."""
    name = f"{uuid.uuid4().hex}.{params.format}"
    rows = write_export(session, user, params, folder(session.info["settings"]) / name,
                        progress)
    return {"entity": params.entity, "format": params.format, "file": name, "rows": rows}


EXPORT = register_kind(JobKind(name="export", label=N_("Export"), params=ExportParams,
                               run=export_job, may_start=may_export))


def download(settings: Settings, job: Job | None, user: Principal) -> tuple[Path, str, str]:
    """The file of ``user``'s own succeeded export ``job`` still kept: its path, media type
    and download name (the entity's Chinese label and the day); ``FileNotFoundError``
    for another's job, one of another kind or unfinished, or a file no longer kept."""
    result = job.result if job is not None else None
    if (job is None or job.kind != EXPORT.name or job.started_by_id != user.user_id
            or not result or "file" not in result):
        raise FileNotFoundError
    path = settings.data_dir / FOLDER / Path(str(result["file"])).name
    if not path.is_file() or time.time() - path.stat().st_mtime > KEEP_SECONDS:
        raise FileNotFoundError
    label = translate(REGISTRY[str(result["entity"])].label_plural, "zh_CN")
    day = (job.finished_at or job.created_at).date()
    file_format = str(result["format"])
    return path, MEDIA_TYPES[file_format], f"{label}_{day:%Y%m%d}.{file_format}"


router = APIRouter(prefix="/jobs", tags=[REGISTRY["job"].label_plural])


@router.get("/{job_id}/file", summary="Download an export job's file")
def job_file(request: Request, caller: Caller, job_id: DbId) -> Response:
    """The file an export job wrote, for whoever started it (404 for anyone else, and once
    the file is no longer kept), named by its entity and day (RFC 5987)."""
    with signed_in(request, caller) as (session, user):
        try:
            path, media_type, name = download(settings_of(request), session.get(Job, job_id),
                                              user)
        except FileNotFoundError:
            raise NotFound(N_("The record does not exist or was deleted")) from None
    return FileResponse(path, media_type=media_type,
                        headers={"Content-Disposition": disposition(name, "export")})


def run_in_console(settings: Settings, params: ExportParams, out: Path,
                   username: str | None, say: Callable[[str], None]) -> int:
    """``write_export`` for ``crm-server export``, as ``username`` (default: the first
    administrator); the number of rows. ``ValueError`` for an unknown user."""
    with console_user(settings, username) as (session, user):
        return write_export(session, user, params, out,
                            lambda done, total=None, commit=True: say(f"{done} / {total}"))
