"""后台任务: one background job — what it does, who started it, where it is.

Not a ``Record``: its rows change with every progress report, which is neither a business
change to audit nor a version to check. ``claimed_by`` names the runner (process) working
on it; ``heartbeat_at`` is refreshed by that runner while the job runs, so a job whose
runner died is recognised as such (``domains.jobs.runner``)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ForeignKey, Index, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_server.db.base import Base, Id
from crm_server.db.types import PortableJSON, utcnow


class Job(Base):
    __tablename__ = "job"
    __table_args__ = (
        Index("ix_job_state_id", "state", "id"),  # the queue, and the running ones
        Index("ix_job_started_by_id_id", "started_by_id", "id"),  # a user's own jobs
    )

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(64))
    params: Mapped[dict[str, Any]] = mapped_column(PortableJSON, default=dict)
    # None: queued by the scheduler, run as the system (``kit.scheduler``).
    started_by_id: Mapped[int | None] = mapped_column(Id, ForeignKey("user_account.id"))
    state: Mapped[str] = mapped_column(String(16), default="queued")
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int | None] = mapped_column(default=None)
    rate: Mapped[Decimal | None] = mapped_column(Numeric(18, 1), default=None)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    heartbeat_at: Mapped[datetime | None] = mapped_column(default=None)
    cancel_requested: Mapped[bool] = mapped_column(default=False)
    result: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(128), default=None)
