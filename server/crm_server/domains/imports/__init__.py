"""导入: spreadsheets into any importable entity of the registry, cleaned, deduplicated,
checked by a dry run, written as a background job and undoable.

``rows`` decides what each row does, ``writing`` writes a page of them, ``run`` drives a
dry run or an import over a file, ``undo`` takes one back, ``report`` writes the error
report and ``routes`` serves the upload and what the wizard reads. The job kinds are
registered here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from crm_common.i18n import N_
from crm_common.schemas.imports import (
    CHECK_JOB,
    IMPORT_JOB,
    UNDO_JOB,
    ImportParams,
    UndoParams,
)
from crm_server.domains.imports.run import check_job, import_job, live_states, may_import
from crm_server.domains.imports.undo import undo_job
from crm_server.kit.jobs import JobKind, register_kind
from crm_server.kit.service import CrudService
from crm_server.security.principal import Principal

CHECK = register_kind(JobKind(name=CHECK_JOB, label=N_("Import dry run"),
                              params=ImportParams, run=check_job, may_start=may_import))
IMPORT = register_kind(JobKind(name=IMPORT_JOB, label=N_("Import"), params=ImportParams,
                               run=import_job, may_start=may_import))
UNDO = register_kind(JobKind(name=UNDO_JOB, label=N_("Undo import"), params=UndoParams,
                             run=undo_job, may_start=may_import))


class ImportService(CrudService):
    """Imports are read through the generic routes, each in its live state (a run whose
    server was killed shows as failed)."""

    def add_values(self, session: Session, user: Principal,
                   rows: list[dict[str, Any]]) -> None:
        states = live_states(session, [(row["state"], row["job_id"]) for row in rows])
        for row, state in zip(rows, states, strict=True):
            row["state"] = state.value
