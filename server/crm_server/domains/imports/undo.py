"""Undoing an import (job ``import_undo``): the records it created are deleted (to the
recycle bin where the entity has one) and the fields it updated get their old values back —
except where someone changed them since: a created record whose version moved on stays, an
updated field whose value is no longer the imported one stays, and the result lists them.

Everything goes through the ORM, so the audit trail records each removal and restore, and
only records within the importer's reach for the import are touched (the choke point).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_common.errors import BadRequest
from crm_common.i18n import N_
from crm_common.permissions import Action
from crm_common.schemas.imports import (
    ImportState,
    KeptRecord,
    RowAction,
    UndoOutcome,
    UndoParams,
)
from crm_server.db.types import json_safe, utcnow
from crm_server.domains.imports.run import batch_of, forbid_others, live_state, spec_for
from crm_server.kit.binding import binding
from crm_server.kit.jobs import Progress
from crm_server.models.imports import ImportRow
from crm_server.security.principal import Principal

PAGE = 500


def undo_job(session: Session, user: Principal, params: UndoParams,
             progress: Progress) -> dict[str, Any]:
    batch = batch_of(session, user, params.import_id)
    forbid_others(user, batch)
    spec = spec_for(user, batch.entity)
    if live_state(session, batch) in (ImportState.UNDONE, ImportState.UPLOADED,
                                      ImportState.CHECKED, ImportState.CHECKING,
                                      ImportState.RUNNING):
        raise BadRequest(N_("Only a finished import can be undone"))
    target = binding(spec.key)
    model, service = target.model, target.service
    total = session.scalar(select(func.count()).select_from(ImportRow)
                           .where(ImportRow.import_id == batch.id)) or 0
    removed = restored = done = 0
    kept: list[KeptRecord] = []
    after = 0
    progress(0, None)
    while True:
        page = list(session.scalars(select(ImportRow).where(
            ImportRow.import_id == batch.id, ImportRow.id > after)
            .order_by(ImportRow.id).limit(PAGE)))
        if not page:
            break
        after, done = page[-1].id, done + len(page)
        records = {r.id: r for r in session.scalars(
            service.base_query(user, action=Action.IMPORT)
            .where(model.id.in_([row.record_id for row in page])))}
        for row in page:
            record = records.get(row.record_id)
            if record is None:
                kept.append(KeptRecord(entity=spec.key, record_id=row.record_id))
            elif row.action == RowAction.NEW:
                if record.version != row.version:
                    kept.append(KeptRecord(entity=spec.key, record_id=record.id))
                    continue
                if spec.soft_delete:
                    record.deleted_at = utcnow()
                else:
                    session.delete(record)
                removed += 1
            else:
                changed = [name for name, value in (row.after or {}).items()
                           if json_safe(getattr(record, name)) != value]
                for name, value in (row.before or {}).items():
                    if name not in changed:
                        setattr(record, name, _column_value(model, name, value))
                if changed:
                    kept.append(KeptRecord(entity=spec.key, record_id=record.id,
                                           fields=changed))
                service.derive(session, record)
                restored += 1
        session.flush()
        progress(done, total)
    batch.state = ImportState.UNDONE
    batch.finished_at = utcnow()
    return UndoOutcome(import_id=batch.id, removed=removed, restored=restored,
                       kept=kept[:1000], kept_total=len(kept)).model_dump(mode="json")


def _column_value(model: Any, name: str, value: Any) -> Any:
    """A value from its JSON form back to the column's type (a date, a decimal)."""
    if value is None:
        return None
    column = model.__table__.c[name]
    python_type = getattr(column.type, "python_type", None)
    try:
        if python_type is not None and not isinstance(value, python_type):
            converter = getattr(python_type, "fromisoformat", python_type)
            return converter(value)
    except (TypeError, ValueError, NotImplementedError):
        return value
    return value
