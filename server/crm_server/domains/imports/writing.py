"""Writing a page of decided rows: new records in one multi-row INSERT, updates through the
ORM (so the audit listener and the version counter see them), then what undo needs
(``ImportRow``) and the audit trail — all in the caller's transaction.

New records take the entity service's own hooks (``defaults``, ``derive``, ``after_write``)
on their values, as a create through the API would. After the write the records must lie
within the importer's reach for ``Action.IMPORT`` (the choke point's ``reach``): a page
that put one outside (an owner the importer may not give records to) is rolled back to its
savepoint and written again without the offending rows, which become errors.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from crm_common.entities import EntitySpec
from crm_common.i18n import N_
from crm_common.permissions import Action
from crm_common.schemas.imports import RowAction
from crm_server.db import audit
from crm_server.db.types import json_safe, utcnow
from crm_server.domains.imports.rows import Row
from crm_server.kit.binding import binding
from crm_server.models.imports import ImportRow
from crm_server.security import access
from crm_server.security.principal import Principal

OUTSIDE = N_("The record would be outside what your role may change")
SKIPPED_COLUMNS = frozenset({"id", "version", "created_at", "updated_at", "deleted_at"})


class _Outside(Exception):
    def __init__(self, numbers: set[int]) -> None:
        super().__init__(numbers)
        self.numbers = numbers


class Writer:
    """Writes decided rows of ``spec`` for ``user`` as import ``import_id``."""

    def __init__(self, session: Session, user: Principal, spec: EntitySpec,
                 import_id: int) -> None:
        self.session, self.user, self.spec, self.import_id = session, user, spec, import_id
        self.target = binding(spec.key)
        table = self.target.model.__table__
        self.columns = [c.name for c in table.columns if c.name not in SKIPPED_COLUMNS]
        self.excluded = self.target.model.__audit_exclude__ | audit.IGNORED

    def write(self, rows: Sequence[Row]) -> None:
        """Write the ``new`` and ``update`` rows of a page; rows the importer may not write
        become errors and the rest is written."""
        pending = self.session.info.setdefault(audit.PENDING, [])
        while True:
            chosen = [r for r in rows if r.action in (RowAction.NEW, RowAction.UPDATE)]
            if not chosen:
                return
            mark = len(pending)
            try:
                with self.session.begin_nested():
                    self._write(chosen)
                return
            except _Outside as outside:
                del pending[mark:]  # the audit rows of what was just rolled back
                for row in chosen:
                    if row.number in outside.numbers:
                        row.fail(None, None, OUTSIDE)

    def _write(self, rows: list[Row]) -> None:
        created = self._insert([r for r in rows if r.action is RowAction.NEW])
        updated = self._update([r for r in rows if r.action is RowAction.UPDATE])
        self._check_reach({**created, **updated})
        self.session.execute(insert(cast(Table, ImportRow.__table__)), [
            *({"import_id": self.import_id, "row": number, "record_id": record_id,
               "action": RowAction.NEW.value, "version": 1, "before": None, "after": None}
              for record_id, (number, _) in created.items()),
            *({"import_id": self.import_id, "row": number, "record_id": record_id,
               "action": RowAction.UPDATE.value, **change}
              for record_id, (number, change) in updated.items())])

    # --- new records --------------------------------------------------------------------------
    def _insert(self, rows: list[Row]) -> dict[int, tuple[int, Any]]:
        if not rows:
            return {}
        service = self.target.service
        now = utcnow()
        records, values_of = [], []
        for row in rows:
            assert row.checked is not None, "a new row was checked by its create schema"
            values = dict(row.checked)
            service.defaults(self.session, self.user, values)
            record = SimpleNamespace(id=None, deleted_at=None, **values)
            service.derive(self.session, record)
            records.append(record)
            values_of.append(values)
        # The columns the values give (the same for every row); the rest take the
        # column's default, as an ORM insert would.
        given = [name for name in self.columns if hasattr(records[0], name)]
        stored = [{name: getattr(record, name) for name in given}
                  | {"version": 1, "created_at": now, "updated_at": now}
                  for record in records]
        ids = self._insert_rows(stored)
        entries = []
        for record_id, record, values in zip(ids, records, values_of, strict=True):
            record.id = record_id
            service.after_write(self.session, self.user, record, values)
            entries.append(audit.entry(self.session, "create", self.spec.key, record_id, [
                {"field": name, "old": None, "new": json_safe(getattr(record, name, None))}
                for name in self.columns if name not in self.excluded
                and getattr(record, name, None) not in (None, "", [])]))
        audit.append(self.session, entries)
        return {record_id: (row.number, None) for record_id, row in zip(ids, rows, strict=True)}

    def _insert_rows(self, stored: list[dict[str, Any]]) -> list[int]:
        """INSERT the rows in multi-row statements; their ids in the rows' order. SQLite
        (one writer, this transaction) numbers new rows one above the highest id in the
        order given, so its ids sorted are that order; elsewhere the database is asked to
        keep it (a sentinel column)."""
        table = self.target.model.__table__
        sqlite = self.session.get_bind().dialect.name == "sqlite"
        ids = self.session.execute(insert(table).returning(
            table.c.id, sort_by_parameter_order=not sqlite), stored).scalars().all()
        return sorted(ids) if sqlite else list(ids)

    # --- existing records ---------------------------------------------------------------------
    def _update(self, rows: list[Row]) -> dict[int, tuple[int, dict[str, Any]]]:
        if not rows:
            return {}
        service, model = self.target.service, self.target.model
        found = {record.id: record for record in self.session.scalars(
            service.base_query(self.user, action=Action.IMPORT)
            .where(model.id.in_([row.target for row in rows])))}
        changed: dict[int, tuple[int, dict[str, Any]]] = {}
        for row in rows:
            record = found.get(row.target)
            if record is None:  # deleted or moved out of reach since the rows were decided
                row.fail(None, None, OUTSIDE)
                continue
            columns = {k: v for k, v in row.values.items() if k in self.columns}
            before = {k: json_safe(getattr(record, k)) for k, v in columns.items()
                      if getattr(record, k) != v}
            for name in before:
                setattr(record, name, columns[name])
            if before:
                service.derive(self.session, record)
                changed[record.id] = (row.number, {"before": before, "after": {
                    k: json_safe(columns[k]) for k in before}})
        self.session.flush()
        for record_id, (_, change) in changed.items():
            record = found[record_id]
            change["version"] = record.version
            service.after_write(self.session, self.user, record, change["after"])
        return changed

    def _check_reach(self, written: dict[int, Any]) -> None:
        condition = access.reach(self.user, self.spec.key, Action.IMPORT)
        if condition is None or not written:
            return
        model = self.target.model
        within = set(self.session.scalars(select(model.id).where(
            model.id.in_(list(written)), condition)))
        outside = {written[i][0] for i in written if i not in within}
        if outside:
            raise _Outside(outside)
