"""The import's routes beside the generic reads of the ``import_batch`` entity (the import
history): upload a file, see its layout for the mapping step, page through the problems of
its last run, download its error report and its original. Runs and undo are jobs
(``POST /jobs`` with ``import_check``, ``import``, ``import_undo``)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, File, Form, Query, Request, Response, UploadFile
from fastapi.responses import FileResponse
from sqlalchemy import exists, func, select

from crm_common.errors import BadRequest, NotFound
from crm_common.i18n import N_, translate
from crm_common.schemas.imports import Layout, Problem, ProblemPage
from crm_common.schemas.scalars import DbId, parse_int
from crm_server.domains.attachments import content_path, receive
from crm_server.domains.imports.report import write_report
from crm_server.domains.imports.run import (
    batch_of,
    forbid_others,
    layout,
    limits,
    new_batch,
    spec_for,
)
from crm_server.kit import workbook
from crm_server.kit.binding import binding
from crm_server.kit.web import (
    Caller,
    disposition,
    json_response,
    language_of,
    settings_of,
    signed_in,
    transaction,
)
from crm_server.models import Attachment
from crm_server.models.imports import ImportBatch, ImportProblem

router = APIRouter(prefix="/imports", tags=["Imports"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.post("", status_code=201, summary="Upload a spreadsheet to import")
async def upload(request: Request, caller: Caller, entity: Annotated[str, Form()],
                 file: Annotated[UploadFile, File()]) -> Any:
    """Store the file (within the import size limit) once it proves a spreadsheet the
    import can read (``kit.workbook.check_file``); the new import, state "uploaded"."""
    settings = settings_of(request)
    name = Path(file.filename or "").name.strip()[:255]
    with signed_in(request, caller) as (session, user):
        spec_for(user, entity)
        if not name:
            raise BadRequest(N_("The file has no name"), {"file": ""})
        workbook.check_name(name)
    sha256, size = await receive(file, settings, settings.import_max_mb)
    path = content_path(settings, sha256)
    try:
        workbook.check_file(path, name, limits(settings))
    except Exception:
        with transaction(request, user) as session:
            if not _referenced(session, sha256):
                path.unlink(missing_ok=True)
        raise
    with transaction(request, user) as session:
        batch = new_batch(session, user, entity, name, sha256, size)
        service = binding("import_batch").service
        found = service.present(session, user, batch)
        return json_response(service.spec.read, found, status_code=201)


def _referenced(session: Any, sha256: str) -> bool:
    return bool(session.scalar(select(
        exists().where(Attachment.sha256 == sha256)
        | exists().where(ImportBatch.sha256 == sha256))))


@router.get("/{import_id}/layout", response_model=Layout, summary="A sheet's columns")
def sheet_layout(request: Request, caller: Caller, import_id: DbId,
                 sheet: Annotated[str | None, Query(max_length=255)] = None,
                 header_row: Annotated[int | None, Query(ge=1, le=1_048_576)] = None) -> Any:
    with signed_in(request, caller) as (session, user):
        found = layout(session, user, settings_of(request), import_id, sheet, header_row,
                       language_of(request))
    return json_response(Layout, found)


@router.get("/{import_id}/problems", response_model=ProblemPage,
            summary="The problems of an import's last run")
def problems(request: Request, caller: Caller, import_id: DbId,
             verdict: Annotated[str | None, Query(pattern="^(fixed|warning|error)$")] = None,
             after: Annotated[str | None, Query(max_length=20)] = None,
             limit: Annotated[int, Query(ge=1, le=500)] = 100) -> Any:
    """Fixes, warnings and errors by row and column, in row order, ``limit`` at a time
    (``next`` is the cursor of the following page)."""
    language = language_of(request)
    with signed_in(request, caller) as (session, user):
        batch = batch_of(session, user, import_id)
        stmt = select(ImportProblem).where(ImportProblem.import_id == batch.id)
        if verdict:
            stmt = stmt.where(ImportProblem.verdict == verdict)
        total = session.scalar(stmt.with_only_columns(func.count()).order_by(None)) or 0
        if after is not None:
            try:
                stmt = stmt.where(ImportProblem.id > parse_int(after))
            except ValueError:
                raise BadRequest(N_("Not one of the allowed values"), {"after": after}) from None
        found = list(session.scalars(stmt.order_by(ImportProblem.id).limit(limit + 1)))
        headings = _headings(batch)
        items = [Problem(row=p.row, column=p.column,
                         heading=headings.get(str(p.column)) if p.column is not None else None,
                         field=p.field, verdict=p.verdict,
                         message=translate(p.message, language), value=p.value)
                 for p in found[:limit]]
        return json_response(ProblemPage, ProblemPage(
            items=items, next=str(found[limit - 1].id) if len(found) > limit else None,
            total=total))


def _headings(batch: ImportBatch) -> dict[str, str]:
    """Column index → its heading in the file, as the last run read it."""
    return {key: str(value) for key, value in (batch.mapping or {}).get("headings", {}).items()}


def _download(path: Path, media_type: str, name: str, background: BackgroundTasks | None
              ) -> FileResponse:
    return FileResponse(path, media_type=media_type, background=background,
                        headers={"Content-Disposition": disposition(name, "import")})


@router.get("/{import_id}/errors", summary="The error report of an import's last run")
def error_report(request: Request, caller: Caller, import_id: DbId,
                 background: BackgroundTasks) -> Response:
    settings = settings_of(request)
    language = language_of(request)
    with signed_in(request, caller) as (session, user):
        batch = batch_of(session, user, import_id)
        forbid_others(user, batch)
        descriptor, name = tempfile.mkstemp(suffix=".xlsx")
        os.close(descriptor)
        out = Path(name)
        try:
            write_report(session, settings, batch, out, language)
        except BaseException:
            out.unlink(missing_ok=True)
            raise
        stem = Path(batch.file_name).stem
    background.add_task(out.unlink, missing_ok=True)
    return _download(out, XLSX, f"{stem}_{translate(N_('Errors'), language)}.xlsx", background)


@router.get("/{import_id}/file", summary="The original file of an import")
def original(request: Request, caller: Caller, import_id: DbId) -> Response:
    settings = settings_of(request)
    with signed_in(request, caller) as (session, user):
        batch = batch_of(session, user, import_id)
        path = content_path(settings, batch.sha256)
        name = batch.file_name
    if not path.is_file():
        raise NotFound(N_("The record does not exist or was deleted"))
    return _download(path, "application/octet-stream", name, None)
