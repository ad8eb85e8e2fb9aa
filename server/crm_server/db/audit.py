"""The audit trail, written by a flush listener rather than by services.

After every flush, each new, changed or soft-deleted ``Record`` yields one ``audit_log`` row
(field, old, new), attributed to the principal stored in ``session.info`` and queued until
the transaction commits. Rows are hash-chained: each hash covers the previous row's hash and
this row's content. Appends are serialised so the chain has no forks when several server
processes write at once: on PostgreSQL by an advisory transaction lock, on SQLite by the
database's single write lock, taken before the previous hash is read — as the transaction
commits, so that writers queue for the commit only, not for the whole unit of work.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from sqlalchemy import event, insert, inspect, select
from sqlalchemy.orm import Session

from crm_server.db.base import Record
from crm_server.db.engine import serialise
from crm_server.db.types import json_safe, utcnow
from crm_server.models.audit import AuditEntry

AUDIT_LOCK_KEY = 7_240_001  # arbitrary, fixed: the advisory lock that serialises the chain
IGNORED = frozenset({"id", "version", "created_at", "updated_at", "deleted_at"})
REDACTED = "***"


def _entity_of(record: Record) -> str:
    return str(record.__tablename__).removesuffix("_account")  # type: ignore[attr-defined]


def _field_changes(record: Record, is_new: bool) -> list[dict[str, Any]]:
    state = inspect(record)
    changes: list[dict[str, Any]] = []
    for attr in state.mapper.column_attrs:
        name = attr.key
        if name in IGNORED or name in record.__audit_exclude__:
            continue
        history = state.attrs[name].history
        if not history.has_changes() and not is_new:
            continue
        new = state.attrs[name].value
        old = None if is_new else (history.deleted[0] if history.deleted else None)
        if is_new and new in (None, "", []):
            continue
        if name in record.__audit_redact__:
            old, new = (None if is_new else REDACTED), REDACTED
        changes.append({"field": name, "old": json_safe(old), "new": json_safe(new)})
    return changes


def _action(record: Record, is_new: bool, changes: list[dict[str, Any]]) -> str:
    if is_new:
        return "create"
    deleted = inspect(record).attrs["deleted_at"].history
    if deleted.has_changes():
        return "delete" if record.deleted_at is not None else "restore"
    if any(change["field"] in record.__audit_permission_fields__ for change in changes):
        return "permission"
    return "update"


def _chain_hash(prev_hash: str, row: dict[str, Any]) -> str:
    body = json.dumps({k: json_safe(v) for k, v in row.items()}, sort_keys=True,
                      ensure_ascii=False)
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


PENDING = "audit_pending"  # session.info key: rows waiting for the commit


def append(session: Session, rows: list[dict[str, Any]]) -> None:
    """Queue audit rows for the session's transaction: they join the chain as it commits
    (``_before_commit``), so the chain's lock, which every writer waits for, is held only for
    the commit and not for the rest of the unit of work (re-reads, answers)."""
    if rows:
        install()  # whoever appends, the commit writes the queue
        session.connection()  # in a transaction, so that its rollback drops the queue
        session.info.setdefault(PENDING, []).extend(rows)


def _write(session: Session, rows: list[dict[str, Any]]) -> None:
    """Append ``rows`` to the chain, stamped with this moment: the chain's order."""
    connection = session.connection()
    serialise(connection, AuditEntry, AUDIT_LOCK_KEY)  # before the last hash is read
    prev = connection.execute(
        select(AuditEntry.hash).order_by(AuditEntry.id.desc()).limit(1)
    ).scalar() or ""
    now = utcnow()
    for row in rows:
        row["at"] = now
        row["prev_hash"] = prev
        row["hash"] = prev = _chain_hash(prev, row)
    connection.execute(insert(AuditEntry), rows)


def entry(session: Session, action: str, entity: str | None, record_id: int | None,
          changes: list[dict[str, Any]] | None = None,
          user_id: int | None = None) -> dict[str, Any]:
    """One audit row, attributed to the session's principal unless ``user_id`` is given."""
    principal = session.info.get("principal")
    return {
        "at": utcnow(),
        "user_id": user_id if user_id is not None else getattr(principal, "user_id", None),
        "action": action,
        "entity": entity,
        "record_id": record_id,
        "changes": changes or [],
        "client_address": session.info.get("client_address"),
    }


def _after_flush(session: Session, _context: Any) -> None:
    rows: list[dict[str, Any]] = []
    for obj, is_new in [(o, True) for o in session.new] + [(o, False) for o in session.dirty]:
        if not isinstance(obj, Record):
            continue
        changes = _field_changes(obj, is_new)
        action = _action(obj, is_new, changes)
        if changes or action != "update":
            rows.append(entry(session, action, _entity_of(obj), obj.id, changes))
    append(session, rows)


def verify_chain(session: Session) -> int | None:
    """The id of the first row whose hash does not match, or None when the chain is intact."""
    prev = ""
    for row in session.scalars(select(AuditEntry).order_by(AuditEntry.id)):
        content = {c: getattr(row, c) for c in (
            "at", "user_id", "action", "entity", "record_id", "changes", "client_address")}
        content["prev_hash"] = prev
        if row.prev_hash != prev or row.hash != _chain_hash(prev, content):
            return row.id
        prev = row.hash
    return None


def _before_commit(session: Session) -> None:
    session.flush()  # the last changes queue their rows first
    rows = session.info.pop(PENDING, None)
    if rows:
        _write(session, rows)


def _after_soft_rollback(session: Session, previous: Any) -> None:
    if not previous.nested:  # the unit of work is undone: so are its rows
        session.info.pop(PENDING, None)


def install() -> None:
    """Listen on every ORM session (idempotent)."""
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "before_commit", _before_commit)
        event.listen(Session, "after_soft_rollback", _after_soft_rollback)
