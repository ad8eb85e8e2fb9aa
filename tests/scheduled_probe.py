"""Imported by a ``crm-server run`` process of tests/server/test_scheduler_processes.py
(never by the suite itself): a schedulable job kind and a task that queues it, declared as
a product module would, and a tick every round of the runner instead of every 30 seconds
(test-only, so the test need not wait for real slots). The job says which process ran it."""

from __future__ import annotations

import os
from typing import Any

from pydantic import BaseModel
from sqlalchemy.orm import Session

from crm_server.kit import job_runner, jobs, scheduler

TASK = "probe"
KIND = "probe_run"


class Nothing(BaseModel):
    pass


def _run(session: Session, user: Any, params: Nothing, progress: jobs.Progress) -> dict[str, Any]:
    progress(1, 1)
    return {"pid": os.getpid(), "ran_as": user}


jobs.register_kind(jobs.JobKind(KIND, "Probe", Nothing, _run, jobs.administrators,
                                schedulable=True))
scheduler.register_task(scheduler.Task(TASK, "Probe", "every 5m", KIND))
job_runner.TICK_SECONDS = 0.0
