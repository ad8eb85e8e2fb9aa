"""Backups for administrators: the list and the download here, the work as jobs.

``backup`` makes one (and verifies its integrity), ``backup_verify`` verifies one (with a
restore test on request), ``backup_restore`` verifies one, arms it and restarts the server
into it (``serve.run`` applies an armed restore before serving). Started by the scheduler
they run as the system; started by an administrator, as that administrator. Every act is in
the audit trail (the job's creation, and each download).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request, Response
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from crm_common.errors import Conflict, Forbidden, NotFound, ValidationFailed
from crm_common.i18n import N_, translate
from crm_common.schemas.backups import (
    BACKUP_JOB,
    NAME_PATTERN,
    RESTORE_JOB,
    RESTORE_TEST_JOB,
    VERIFY_JOB,
    BackupKind,
    BackupList,
    BackupParams,
    RestoreParams,
    VerifyParams,
)
from crm_server.db import audit
from crm_server.domains.backups import service
from crm_server.kit.jobs import JobKind, Progress, administrators, register_kind
from crm_server.kit.scheduler import Task, register_task
from crm_server.kit.web import Caller, disposition, json_response, settings_of, signed_in
from crm_server.security.principal import Principal
from crm_server.settings import Settings

log = logging.getLogger(__name__)

RESTART_DELAY = 2.0  # seconds: the restore job's end is recorded first
PROGRESS_SECONDS = 1.0

router = APIRouter(prefix="/backups", tags=["Backups"])
BackupName = Annotated[str, Path(pattern=NAME_PATTERN)]


def _admin(user: Principal) -> None:
    if not user.is_admin:
        raise Forbidden(N_("Only administrators may do this"))


@router.get("", response_model=BackupList, summary="The backups and their state")
def list_backups(request: Request, caller: Caller) -> Response:
    """Every backup of the backup directory, newest first, with the free space there and
    the backups' health (failed, stale, none, ok)."""
    with signed_in(request, caller) as (_, user):
        _admin(user)
    return json_response(BackupList, service.listing(settings_of(request)))


@router.get("/{name}/file", response_class=FileResponse, summary="Download a backup")
def download(request: Request, caller: Caller, name: BackupName) -> FileResponse:
    """The archive itself (encrypted: useless without the backup key)."""
    settings = settings_of(request)
    with signed_in(request, caller) as (session, user):
        _admin(user)
        path = _existing(settings, name)
        audit.append(session, [audit.entry(session, "download", "backup", None, [
            {"field": "name", "old": None, "new": name}])])
    return FileResponse(path, media_type="application/octet-stream",
                        headers={"Content-Disposition": disposition(name)})


def _existing(settings: Settings, name: str) -> Any:
    try:
        return service.archive_path(settings, name)
    except service.BackupError:
        raise NotFound(N_("The record does not exist or was deleted")) from None


# --- the jobs --------------------------------------------------------------------------------

def _step(progress: Progress) -> service.Step:
    """The job's progress at most once a second (each report is two short transactions)."""
    last = [0.0]

    def step(done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_SECONDS or (total is not None and done >= total):
            last[0] = now
            progress(done, total)

    return step


def _failed(user: Principal | None, error: service.BackupError) -> Conflict:
    """A job's failure in the starter's language, the technical reason after it."""
    language = user.language if user is not None else "zh_CN"
    return Conflict(f"{translate(N_('The backup work failed'), language)}: {error}")


def _guarded(run: Callable[[Settings, Principal | None, Any, service.Step], dict[str, Any]]
             ) -> Callable[[Session, Principal, Any, Progress], dict[str, Any]]:
    def job(session: Session, user: Principal, params: Any,
            progress: Progress) -> dict[str, Any]:
        session.commit()  # hold no transaction while the work runs (SQLite: one writer)
        try:
            return run(session.info["settings"], user, params, _step(progress))
        except service.BackupError as error:
            raise _failed(user, error) from error

    return job


def _backup(settings: Settings, user: Principal | None, params: BackupParams,
            step: service.Step) -> dict[str, Any]:
    scheduled = user is None
    made = service.make(settings, BackupKind.SCHEDULED if scheduled else BackupKind.MANUAL,
                        settings.backup_include_tls_keys if scheduled
                        else params.include_tls_keys, step)
    return {"name": made.name, "size": made.size, "state": made.state}


def _verify(settings: Settings, user: Principal | None, params: VerifyParams,
            step: service.Step) -> dict[str, Any]:
    checked = service.verify(settings, service.archive_path(settings, params.name),
                             params.restore_test, step=step)
    return {"name": checked.name, "state": checked.state}


def _restore_test(settings: Settings, user: Principal | None, params: BackupParams,
                  step: service.Step) -> dict[str, Any]:
    """The scheduled proof: restore the newest backup into a scratch database."""
    newest = next((item for item in service.catalogue(settings)
                   if item.state != "failed"), None)
    if newest is None:
        raise service.BackupError("there is no backup to restore-test")
    return _verify(settings, user, VerifyParams(name=newest.name, restore_test=True), step)


def _restore(settings: Settings, user: Principal | None, params: RestoreParams,
             step: service.Step) -> dict[str, Any]:
    if params.confirm != params.name:
        raise ValidationFailed(N_("Please correct the marked fields"),
                               {"confirm": N_("Type the backup's name to confirm")})
    path = service.archive_path(settings, params.name)
    checked = service.verify(settings, path, step=step)
    service.check_restorable(settings, service.header_of(path))
    service.request_restore(settings, checked.name, user.username if user else "system")
    restarts = _restart_later()
    return {"name": checked.name, "restart": restarts}


def _restart_later() -> bool:
    """Stop the serving process a moment from now (``serve.run`` then applies the armed
    restore and serves again); False when this process was not started by ``serve.run``
    (the restore then happens at the next start)."""
    pid = os.environ.get(service.SERVE_PID, "")
    if not pid.isdigit():
        return False
    timer = threading.Timer(RESTART_DELAY, os.kill, (int(pid), service.RESTART_SIGNAL))
    timer.daemon = True
    timer.start()
    return True


BACKUP = register_kind(JobKind(BACKUP_JOB, N_("Backup"), BackupParams, _guarded(_backup),
                               administrators, schedulable=True))
VERIFY = register_kind(JobKind(VERIFY_JOB, N_("Backup verification"), VerifyParams,
                               _guarded(_verify), administrators))
RESTORE_TEST = register_kind(JobKind(RESTORE_TEST_JOB, N_("Backup restore test"),
                                     BackupParams, _guarded(_restore_test), administrators,
                                     schedulable=True))
RESTORE = register_kind(JobKind(RESTORE_JOB, N_("Restore from a backup"), RestoreParams,
                                _guarded(_restore), administrators))

# Scheduled by default: a backup every night, a restore test of the newest every week
# (administrators change both under Scheduled tasks).
register_task(Task(BACKUP_JOB, N_("Backup"), "daily 02:00", BACKUP_JOB))
register_task(Task(RESTORE_TEST_JOB, N_("Backup restore test"), "weekly sun 03:00",
                   RESTORE_TEST_JOB))
