"""Backups as the client and the API see them (``/backups``; the work is done by jobs).

A backup is one encrypted archive file in the server's backup directory. Its state says how
far it was proven good: ``written`` (the archive was finished), ``verified`` (every chunk
decrypted and authenticated, the manifest and every SHA-256 checked, the database dump
readable), ``restored`` (restored into a scratch database whose per-table row counts and
checksums matched the manifest), or ``failed`` (the backup or a verification failed; see
``error``).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, Field

BACKUP_JOB = "backup"  # params: BackupParams
VERIFY_JOB = "backup_verify"  # params: VerifyParams
RESTORE_JOB = "backup_restore"  # params: RestoreParams; verifies, then restarts the server
RESTORE_TEST_JOB = "backup_restore_test"  # the newest good backup restore-tested (scheduled)
# A backup's name: what the server wrote, never a path.
NAME_PATTERN = r"^crm-[0-9]{8}-[0-9]{6}-[a-z0-9-]{1,40}\.crmbak$"


class BackupState(StrEnum):
    WRITTEN = "written"
    VERIFIED = "verified"
    RESTORED = "restored"
    FAILED = "failed"


class BackupKind(StrEnum):
    SCHEDULED = "scheduled"
    MANUAL = "manual"
    PRE_UPGRADE = "pre-upgrade"  # taken by `crm-server migrate` / upgrade.sh
    SAFETY = "safety"  # taken by a restore before it replaced anything


class BackupHealth(StrEnum):
    """The backups' state in ``/health`` and the backup screen: ``failed`` when the newest
    backup or verification failed, ``stale`` when no good backup is younger than two days,
    ``none`` before the first."""

    OK = "ok"
    FAILED = "failed"
    STALE = "stale"
    NONE = "none"


class BackupInfo(BaseModel):
    name: str
    created_at: datetime
    size: int  # bytes
    kind: BackupKind
    database: str  # "sqlite" or "postgresql"
    version: str  # the product version that wrote it
    migration: str | None  # the database's migration level
    includes_tls_keys: bool
    state: BackupState
    verified_at: datetime | None = None
    restore_tested_at: datetime | None = None
    error: str | None = None


class BackupList(BaseModel):
    items: list[BackupInfo]  # newest first
    directory: str
    free_bytes: int | None  # free space where backups are written
    health: BackupHealth
    detail: str | None = None  # why health is not ok


class BackupParams(BaseModel):
    include_tls_keys: bool = False


class VerifyParams(BaseModel):
    name: str = Field(pattern=NAME_PATTERN)
    restore_test: bool = False


class RestoreParams(BaseModel):
    name: str = Field(pattern=NAME_PATTERN)
    confirm: str  # the backup's name typed again: a restore replaces every record
