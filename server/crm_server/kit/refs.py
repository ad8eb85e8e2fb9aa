"""Titles of referenced records for display (``owner_id`` → ``owner_name``).

One query per reference field per page, never one per row: the page's ids are collected
and fetched together (and titles of users, roles and departments a signed-in session has
read already are not read again until the access version moves).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from crm_common.entities import EntitySpec, Kind
from crm_common.permissions import FieldAccess
from crm_server.db.base import Record
from crm_server.kit.binding import Binding, binding
from crm_server.security import access, versions
from crm_server.security.principal import Principal


def titles(session: Session, key: str, ids: set[int],
           user: Principal | None) -> dict[int, str]:
    """``{id: title}`` of ``ids`` in entity ``key`` (deleted ones included: history stays
    readable). With a ``user``, only titles of records that user may read: an embedded
    reference obeys its own entity's rights. ``None`` is for the system's own use.

    The titles of users, roles and departments are read once per signed-in session and
    access version (``_memo``); the others, once per call."""
    if not ids:
        return {}
    target = binding(key)
    if user is not None and not user.permissions.sees(key, target.spec.title_field):
        return {}
    memo = _memo(session, target, user)
    if memo is None or len(memo) >= MEMO_SIZE:
        return _read(session, target, ids, user)
    missing = ids - memo.keys()
    if missing:
        found = _read(session, target, missing, user)
        memo.update({record_id: found.get(record_id) for record_id in missing})
    return {record_id: title for record_id in ids if (title := memo[record_id]) is not None}


# Titles kept per signed-in session and entity, at most (a company's staff, roles and
# departments; past it, titles are read on every call).
MEMO_SIZE = 5000


def _memo(session: Session, target: Binding, user: Principal | None
          ) -> dict[int, str | None] | None:
    """The memo of ``target``'s titles as the request's signed-in principal may read them,
    kept with that principal (``security.bearer``), when ``user`` is that principal and the
    titles change only with the access version, as the principal does: those of the tables
    a principal is made of (``versions.SHAPING``)."""
    memos = session.info.get("titles")
    if (memos is None or user is None or user is not session.info.get("principal")
            or target.model not in versions.SHAPING):
        return None
    found: dict[int, str | None] = memos.setdefault(target.spec.key, {})
    return found


def _read(session: Session, target: Binding, ids: set[int],
          user: Principal | None) -> dict[int, str]:
    title = getattr(target.model, target.spec.title_field)
    stmt = select(target.model.id, title).where(target.model.id.in_(ids))
    if user is not None:
        stmt = access.scope(stmt, user, target.spec)
    return {row[0]: row[1] for row in session.execute(stmt)}


_COLUMN_KEYS: dict[type[Record], tuple[str, ...]] = {}


def record_values(record: Record) -> dict[str, Any]:
    """The record's column values: as loaded where they are, through the attribute (which
    loads it) where one was expired by a flush (``updated_at``)."""
    keys = _COLUMN_KEYS.get(type(record))
    if keys is None:
        keys = _COLUMN_KEYS[type(record)] = tuple(
            attr.key for attr in inspect(record).mapper.column_attrs)
    loaded = record.__dict__
    return {key: loaded[key] if key in loaded else getattr(record, key) for key in keys}


def with_titles(session: Session, spec: EntitySpec, records: Sequence[Record],
                user: Principal | None) -> list[dict[str, Any]]:
    """The records' column values plus the display title of every reference field (but
    those hidden from ``user``: their titles would be dropped unread)."""
    rows = [record_values(r) for r in records]
    for field in spec.fields:
        if field.kind is not Kind.REF or not field.display or not field.ref:
            continue
        if user is not None and access.field_access(user, spec, field) is FieldAccess.HIDDEN:
            continue
        ids = {row[field.name] for row in rows if row.get(field.name) is not None}
        names = titles(session, field.ref, ids, user)
        for row in rows:
            row[field.display] = names.get(row.get(field.name))  # type: ignore[arg-type]
    return rows
