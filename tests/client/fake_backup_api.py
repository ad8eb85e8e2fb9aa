"""A fake of the backup API for the backup screen's tests of what the real test server must
not do (restore its shared database and restart) or cannot be made to do on cue (fail, hold
a download half-way): the list, the backup, verify and restore jobs and ``/health``
answered in memory as ``crm_common.schemas.backups`` says, recording what it was asked.
Downloads go through a real ``ApiClient`` to a real HTTPS server (``downloads``), so
streaming, hashing and clean-up are the product's own.

A job moves one step each time it is read (2 of 4 → 4 of 4 → succeeded, or failed when
``fail_jobs``). After a restore job the server is away for ``restart_polls`` health checks.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from crm_client.api.client import ApiClient, PageResult
from crm_client.api.errors import ServerUnreachable
from crm_common.entities import EntitySpec
from crm_common.permissions import Permissions
from crm_common.schemas.auth import Health, Me
from crm_common.schemas.backups import (
    BACKUP_JOB,
    RESTORE_JOB,
    VERIFY_JOB,
    BackupHealth,
    BackupInfo,
    BackupKind,
    BackupList,
    BackupState,
)
from crm_common.schemas.job import JobRead, JobState
from crm_common.schemas.user import UserRead

DIRECTORY = "/srv/crm/backups"
NOW = datetime(2026, 12, 5, 2, 0, tzinfo=UTC)


def backup(name: str, state: BackupState, days_ago: int = 0, error: str | None = None,
           size: int = 5 << 20) -> BackupInfo:
    return BackupInfo(name=name, created_at=NOW - timedelta(days=days_ago), size=size,
                      kind=BackupKind.SCHEDULED, database="sqlite", version="0.1.0",
                      migration="0014", includes_tls_keys=False, state=state, error=error)


def me(admin: bool = True) -> Me:
    return Me(user=UserRead(id=1, version=1, created_at=NOW, updated_at=NOW,
                            username="admin", name="Admin"),
              permissions=Permissions(admin=admin))


class FakeBackupApi:
    """The calls of the backup screen, answered in memory."""

    def __init__(self, items: list[BackupInfo], downloads: ApiClient | None = None) -> None:
        self.items = list(items)
        self.health_state = BackupHealth.OK
        self.downloads = downloads
        self.fail_jobs = False
        self.restart_polls = 0
        self.restarts = True  # the restore job restarts the server (``crm-server run``)
        self.started: list[tuple[str, dict[str, Any]]] = []
        self.jobs: dict[int, JobRead] = {}
        self.after_chunk: Callable[[int], None] = lambda _received: None
        self._lock = threading.Lock()

    def me(self) -> Me:
        return me()

    def list(self, spec: EntitySpec, params: Any) -> PageResult:
        return PageResult(items=[], next=None, total=0, total_exact=True)

    def backups(self) -> BackupList:
        with self._lock:
            return BackupList(items=list(self.items), directory=DIRECTORY,
                              free_bytes=42 << 30, health=self.health_state)

    def health(self, retry: bool = True) -> Health:
        with self._lock:
            if self.restart_polls > 0:
                self.restart_polls -= 1
                raise ServerUnreachable("https://crm.example", "connection refused")
        return Health(status="ok", database="ok", migration="0014",
                      expected_migration="0014", version="0.1.0", backup=self.health_state)

    def start_job(self, kind: str, params: dict[str, Any]) -> JobRead:
        with self._lock:
            self.started.append((kind, dict(params)))
            job = JobRead(id=len(self.jobs) + 1, kind=kind, kind_label=kind, params=params,
                          state=JobState.RUNNING, total=4)
            self.jobs[job.id] = job
            return job

    def get(self, spec: EntitySpec, record_id: int) -> JobRead:
        with self._lock:
            job = self.jobs[record_id]
            if job.done < (job.total or 0):
                job = job.model_copy(update={"done": job.done + 2})
            elif self.fail_jobs:
                job = job.model_copy(update={"state": JobState.FAILED, "error": "Disk full"})
            else:
                job = job.model_copy(update={"state": JobState.SUCCEEDED,
                                             "result": {"restart": self.restarts}})
                self._finished(job)
            self.jobs[record_id] = job
            return job

    def _finished(self, job: JobRead) -> None:
        if job.kind == BACKUP_JOB:
            self.items.insert(0, backup("crm-20261205-030000-manual.crmbak",
                                        BackupState.VERIFIED))
        elif job.kind == VERIFY_JOB:
            state = BackupState.RESTORED if job.params["restore_test"] else BackupState.VERIFIED
            self.items = [item.model_copy(update={"state": state})
                          if item.name == job.params["name"] else item for item in self.items]
        elif job.kind == RESTORE_JOB and self.restarts:
            self.restart_polls = 3

    def download_backup(self, name: str, target: Path, progress: Callable[[int], None],
                        cancelled: threading.Event) -> str:
        assert self.downloads is not None

        def told(received: int) -> None:
            progress(received)
            self.after_chunk(received)

        return self.downloads.download_backup(name, target, told, cancelled)
