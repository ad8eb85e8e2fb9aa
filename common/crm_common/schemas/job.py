"""Background jobs: long work (recomputing search texts, later imports, exports, backups)
that runs on the server off the request path, with progress the client polls."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field

from crm_common.schemas.base import Input


class JobState(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


# The states a job never leaves.
FINISHED = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.CANCELLED})


class JobStart(Input):
    """``POST /jobs``: which kind of job, with its parameters (checked by the kind)."""

    kind: str = Field(min_length=1, max_length=64)
    params: dict[str, Any] = Field(default_factory=dict)


class JobRead(BaseModel):
    """One job. ``kind_label`` is the kind's English label (the client translates it);
    ``rate`` is items per second so far (one place); ``total`` is None until the job knows it."""

    id: int
    kind: str
    kind_label: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    state: JobState = JobState.QUEUED
    started_by_id: int | None = None
    started_by_name: str | None = None
    done: int = 0
    total: int | None = None
    rate: Decimal | None = None
    created_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    heartbeat_at: datetime | None = None
    cancel_requested: bool = False
    result: dict[str, Any] | None = None
    error: str | None = None

    @property
    def finished(self) -> bool:
        return self.state in FINISHED
