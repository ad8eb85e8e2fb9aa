"""Attachments: upload into the content-addressed file store, download with the original
name (or a neutral one, for a role that may not read it). A file is stored once per content
(SHA-256), however often it is attached."""

from __future__ import annotations

import hashlib
import mimetypes
import os
import tempfile
from pathlib import Path
from typing import Annotated, Any, BinaryIO

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse

from crm_common.entities import REGISTRY
from crm_common.errors import BadRequest, NotFound, PayloadTooLarge
from crm_common.i18n import N_
from crm_common.permissions import Action
from crm_common.schemas.scalars import DbId
from crm_server.kit.binding import binding
from crm_server.kit.web import Caller, disposition, settings_of, signed_in, transaction
from crm_server.models import Attachment
from crm_server.security import access
from crm_server.settings import Settings

CHUNK = 1 << 20

router = APIRouter(prefix="/attachments", tags=["Attachments"])


def store_dir(settings: Settings) -> Path:
    return settings.path(settings.attachments_dir)


def content_path(settings: Settings, sha256: str) -> Path:
    return store_dir(settings) / sha256[:2] / sha256


async def receive(upload: UploadFile, settings: Settings, limit_mb: int) -> tuple[str, int]:
    """Stream the upload to the store (``store``), off the event loop."""
    return await run_in_threadpool(store, upload.file, settings, limit_mb)


def store(source: BinaryIO, settings: Settings, limit_mb: int) -> tuple[str, int]:
    """Stream ``source`` to the store, hashing as it goes; refuse it past ``limit_mb``
    without keeping any of it. Its SHA-256 and size."""
    limit = limit_mb * CHUNK
    digest, size = hashlib.sha256(), 0
    store_dir(settings).mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=store_dir(settings), prefix=".upload-")
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := source.read(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise PayloadTooLarge(N_("The file is larger than the allowed size"),
                                          data={"limit_mb": limit_mb})
                digest.update(chunk)
                out.write(chunk)
        target = content_path(settings, digest.hexdigest())
        target.parent.mkdir(exist_ok=True)
        os.replace(temp, target)
        return digest.hexdigest(), size
    finally:
        if os.path.exists(temp):
            os.unlink(temp)


@router.post("", response_model=REGISTRY["attachment"].read, status_code=201)
async def upload(request: Request, caller: Caller, entity: Annotated[str, Form()],
                 record_id: Annotated[DbId, Form()], file: Annotated[UploadFile, File()]) -> Any:
    settings = settings_of(request)
    name = Path(file.filename or "").name.strip()
    with signed_in(request, caller) as (session, user):
        if entity not in REGISTRY or entity == "attachment":
            raise BadRequest(N_("Attachments cannot be added to this kind of record"),
                             {"entity": entity})
        if not name:
            raise BadRequest(N_("The file has no name"), {"file": ""})
        access.may(user, REGISTRY["attachment"], Action.CREATE)
        binding(entity).service.fetch(session, user, record_id)  # 404 when out of reach
    sha256, size = await receive(file, settings, settings.attachment_max_mb)
    with transaction(request, user) as session:
        record = Attachment(entity=entity, record_id=record_id, filename=name[:200], size=size,
                            content_type=file.content_type or "application/octet-stream",
                            sha256=sha256, owner_id=user.user_id)
        session.add(record)
        session.flush()
        return binding("attachment").service.present(session, user, record)


class StoredFile(FileResponse):
    """A file of the store sent with no header of the store's own: the file's modification
    time (and an ETag made of it) belongs to the first upload of that content, which may be
    another record's, out of the viewer's reach."""

    def set_stat_headers(self, stat_result: os.stat_result) -> None:
        self.headers.setdefault("content-length", str(stat_result.st_size))


@router.get("/{attachment_id}/content", response_class=FileResponse)
def download(request: Request, caller: Caller, attachment_id: DbId) -> FileResponse:
    """The file, described by the attachment as the user may see it (``present``): a hidden
    or masked name or type never reaches a header."""
    service = binding("attachment").service
    with signed_in(request, caller) as (session, user):
        record = service.fetch(session, user, attachment_id)
        binding(record.entity).service.fetch(session, user, record.record_id, deleted=True)
        shown = service.present(session, user, record).model_dump()
    path = content_path(settings_of(request), record.sha256)
    if not path.exists():
        raise NotFound(N_("The file is missing from the file store"))
    return StoredFile(path, media_type=shown.get("content_type") or "application/octet-stream",
                      headers={"Content-Disposition": disposition(download_name(shown)),
                               "Cache-Control": "no-store"})


def download_name(shown: dict[str, Any]) -> str:
    """The name to save the file under: its own when the user may read it, else
    ``attachment-<id>`` with the extension of its type when they may read the type (never
    taken from the name they may not read)."""
    if shown.get("filename"):
        return str(shown["filename"])
    kind = shown.get("content_type")
    extension = mimetypes.guess_extension(kind) if kind else None
    return f"attachment-{shown['id']}{extension or ''}"
