"""Scheduled tasks as administrators see them: the generic list and form of the
``scheduled_task`` entity, whose rows the scheduler keeps (``kit.scheduler``). The service
adds what the rows do not hold — the task's label and schedules, its next run, how its last
run went — and lets only the schedule change."""

from __future__ import annotations

from datetime import datetime, tzinfo
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from crm_common.errors import Forbidden
from crm_common.i18n import N_
from crm_server.db.types import utcnow
from crm_server.kit.scheduler import TASKS, Task, server_zone
from crm_server.kit.service import CrudService
from crm_server.models import Job
from crm_server.security.principal import Principal


class ScheduledTaskService(CrudService):
    def add_values(self, session: Session, user: Principal,
                   rows: list[dict[str, Any]]) -> None:
        last = {job.id: job for job in session.scalars(select(Job).where(
            Job.id.in_({row["last_job_id"] for row in rows if row["last_job_id"]})))}
        now, zone = utcnow(), server_zone()
        for row in rows:
            task = TASKS.get(row["name"])
            row.update(_planned(task, row["schedule"], now, zone) if task else
                       {"label": row["name"], "enabled": False})  # gone from this version
            job = last.get(row["last_job_id"])
            if job is not None:
                row.update(last_state=job.state, last_finished_at=job.finished_at,
                           last_error=job.error, last_result=job.result)

    def derive(self, session: Session, record: Any) -> None:
        """A changed schedule counts its current slot as done: it first runs at its next
        slot, not at once for a time already past."""
        task = TASKS.get(record.name)
        if task is not None and inspect(record).attrs.schedule.history.has_changes():
            schedule = task.schedule(record.schedule)
            if not schedule.off:
                record.last_slot = schedule.last_slot(utcnow(), server_zone())

    def check_delete(self, session: Session, user: Principal, record: Any) -> None:
        raise Forbidden(N_("A scheduled task cannot be deleted; set its schedule to off"))


def _planned(task: Task, override: str | None, now: datetime,
             zone: tzinfo) -> dict[str, Any]:
    schedule = task.schedule(override)
    return {"label": task.label, "default_schedule": str(task.schedule(None)),
            "effective_schedule": str(schedule), "enabled": not schedule.off,
            "next_run_at": schedule.next_slot(now, zone)}

