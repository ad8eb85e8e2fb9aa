"""Titles of referenced records for display (``owner_id`` → ``owner_name``).

One query per reference field per page, never one per row: the page's ids are collected
and fetched together.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.orm import Session

from crm_common.entities import EntitySpec, Kind
from crm_common.permissions import FieldAccess
from crm_server.db.base import Record
from crm_server.kit.binding import binding
from crm_server.security import access
from crm_server.security.principal import Principal


def titles(session: Session, key: str, ids: set[int],
           user: Principal | None) -> dict[int, str]:
    """``{id: title}`` of ``ids`` in entity ``key`` (deleted ones included: history stays
    readable). With a ``user``, only titles of records that user may read: an embedded
    reference obeys its own entity's rights. ``None`` is for the system's own use."""

    if not ids:
        return {}
    target = binding(key)
    if user is not None and not user.permissions.sees(key, target.spec.title_field):
        return {}
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
