"""定时任务: the state of one periodic task declared in code (``kit.scheduler``).

The task itself (what it runs, its label and default schedule) lives in code; the row holds
what changes: the administrator's schedule (None: the declared default), the last slot
claimed — the conditional UPDATE on it is what makes each run happen once across server
processes — and the job that slot queued."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_server.db.base import Base, Id, Record


class ScheduledTask(Record, Base):
    __tablename__ = "scheduled_task"
    __audit_exclude__ = frozenset({"last_slot", "last_job_id"})  # the scheduler's, not people's
    __table_args__ = (Index("ix_scheduled_task_name", "name", unique=True),)

    name: Mapped[str] = mapped_column(String(64))
    schedule: Mapped[str | None] = mapped_column(String(32), default=None)
    last_slot: Mapped[datetime | None] = mapped_column(default=None)
    last_job_id: Mapped[int | None] = mapped_column(Id, ForeignKey("job.id"), default=None)
