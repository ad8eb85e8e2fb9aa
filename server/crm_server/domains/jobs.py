"""The jobs API: start a job, cancel one; lists and details come from the generic read
routes of the ``job`` entity (a user sees their own jobs, an administrator everyone's)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from crm_common.entities import REGISTRY
from crm_common.errors import Forbidden
from crm_common.i18n import N_
from crm_common.schemas.job import JobRead, JobStart
from crm_common.schemas.scalars import DbId
from crm_server.kit import jobs
from crm_server.kit.binding import binding
from crm_server.kit.service import CrudService
from crm_server.kit.web import Caller, json_response, signed_in
from crm_server.security.principal import Principal

JOB = REGISTRY["job"]


class JobService(CrudService):
    """Jobs are read through the generic routes; each carries its kind's label."""

    def add_values(self, session: Session, user: Principal,
                   rows: list[dict[str, Any]]) -> None:
        for row in rows:
            kind = jobs.KINDS.get(row["kind"])
            row["kind_label"] = kind.label if kind else row["kind"]


router = APIRouter(prefix="/jobs", tags=[JOB.label_plural])


def _wake_runners(request: Request) -> None:
    for runner in request.app.state.job_runners:
        runner.wake()


@router.post("", response_model=JobRead, status_code=201, summary="Start a job")
def start_job(request: Request, caller: Caller, payload: JobStart) -> Response:
    """Queue a job of ``kind`` with ``params`` for this server's runners; 403 when the kind
    is not the user's to start, 422 for an unknown kind or bad parameters."""
    with signed_in(request, caller) as (session, user):
        job = jobs.start(session, user, payload.kind, payload.params)
        found = binding("job").service.present(session, user, job)  # type: ignore[arg-type]
    _wake_runners(request)
    return json_response(JobRead, found, status_code=201)


@router.post("/{job_id}/cancel", response_model=JobRead, summary="Cancel a job")
def cancel_job(request: Request, caller: Caller, job_id: DbId) -> Response:
    """A queued job is cancelled at once, a running one at its next batch; whoever started
    it and administrators may. 404 for a job out of the user's reach."""
    service = binding("job").service
    with signed_in(request, caller) as (session, user):
        service.fetch(session, user, job_id)
        job = jobs.locked(session, job_id)
        if job.started_by_id != user.user_id and not user.is_admin:
            raise Forbidden(N_("Only whoever started a job may cancel it"))
        jobs.request_cancel(session, job)
        found = service.present(session, user, job)  # type: ignore[arg-type]
    return json_response(JobRead, found)
