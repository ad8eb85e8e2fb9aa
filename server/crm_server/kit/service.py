"""The generic CRUD service: list, get, create, update, soft delete, restore, history.

Every path goes through the access choke point (``scope``/``present_many``/``accept``).
Entities with behaviour subclass ``CrudService`` and override the hooks (``defaults``,
``derive``, ``check_create``, ``check_delete``, ``after_write``, ``add_values``,
``search_texts``) — never the
flow.
Services never commit; the request boundary does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from crm_common.entities import EntitySpec, Kind
from crm_common.errors import (
    BadRequest,
    Duplicate,
    Forbidden,
    NotFound,
    StaleVersion,
    ValidationFailed,
)
from crm_common.i18n import N_
from crm_common.permissions import Action
from crm_common.schemas.auth import HistoryEntry
from crm_server.db.base import Record
from crm_server.db.types import utcnow
from crm_server.kit import filtering, paging, refs, search
from crm_server.kit.binding import binding
from crm_server.models import AuditEntry
from crm_server.security import access
from crm_server.security.principal import Principal

MAX_LIMIT = 500


@dataclass(frozen=True)
class ListQuery:
    """One page's request. A page size outside 1 to ``MAX_LIMIT`` is refused, never clamped
    (a silent clamp would hide a caller's mistake), whoever asks: a route, a job, an export."""

    sort: str | None = None
    after: str | None = None
    limit: int = 50
    q: str | None = None
    deleted: bool = False
    exact_total: bool = False
    filters: Mapping[str, Sequence[str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= MAX_LIMIT:
            raise BadRequest(N_("limit must be a whole number from 1 to 500"),
                             {"limit": str(self.limit)})


@dataclass(frozen=True)
class Listing:
    """How one list is read, page by page: its order, its narrowed query, and whether its
    sort key may be NULL."""

    sort: paging.Sort
    narrowed: search.Narrowed
    nullable: bool

    def rows(self, session: Session, after: str | None, limit: int) -> list[Any]:
        """Up to ``limit + 1`` rows after the cursor ``after``."""
        return search.read_page(session, self.narrowed, self.sort, after, limit, self.nullable)

    def cursor(self, last: Any) -> str:
        """The cursor of the page after the row ``last``."""
        return paging.encode_cursor(self.sort, getattr(last, self.sort.field), last.id)


class CrudService:
    """Generic behaviour for one entity; ``attach`` pairs it with its spec and model."""

    spec: EntitySpec
    model: type[Record]

    def attach(self, spec: EntitySpec, model: type[Record]) -> None:
        self.spec, self.model = spec, model

    # --- hooks -------------------------------------------------------------------------
    def defaults(self, session: Session, user: Principal, values: dict[str, Any]) -> None:
        """Fill values the creator did not give (e.g. the owner)."""

    def derive(self, session: Session, record: Any) -> None:
        """Recompute derived columns from the record's values before it is written: by
        default a searchable record's search text, from its own search fields."""
        if self.spec.searchable:
            record.search_text = search.record_search_text(self.spec, record)

    def check_create(self, session: Session, user: Principal, values: dict[str, Any],
                     confirm: bool) -> None:
        """Refuse or warn before a create (duplicates)."""

    def check_delete(self, session: Session, user: Principal, record: Any) -> None:
        """Refuse to delete a record that must stay (a built-in role)."""

    def after_write(self, session: Session, user: Principal, record: Any,
                    values: Mapping[str, Any]) -> None:
        """Keep other records in step after this one was written (flushed); ``values`` are
        the accepted changes (everything given, on create)."""

    def add_values(self, session: Session, user: Principal,
                   rows: list[dict[str, Any]]) -> None:
        """Complete the rows of a page before they are presented, with what the records do
        not hold themselves (a user's roles); one query per page, never one per row."""

    def search_texts(self, session: Session, records: Sequence[Any]) -> dict[int, str]:
        """Each record's search text as its values make it now, by id: by default from its
        own search fields (``derive`` writes the same); an entity that gathers fields from
        other records overrides both (a batch costs a few queries, never one per record)."""
        if not self.spec.searchable:
            raise NotImplementedError(f"{self.spec.key} keeps no search text")
        return {record.id: search.record_search_text(self.spec, record) for record in records}

    # --- reading -------------------------------------------------------------------------
    def base_query(self, user: Principal, deleted: bool = False,
                   action: Action = Action.READ) -> Select[Any]:
        stmt = access.scope(select(self.model), user, self.spec, action)
        if not self.spec.soft_delete:
            return stmt
        gone = self.model.deleted_at.is_not(None)
        return stmt.where(gone if deleted else self.model.deleted_at.is_(None))

    def present_many(self, session: Session, user: Principal,
                     records: Sequence[Record]) -> list[BaseModel]:
        """The records as ``user`` may see them, as the entity's read schema: validated once
        here, and written to the wire as they are (``kit.web.json_response``)."""
        rows = refs.with_titles(session, self.spec, records, user)
        self.add_values(session, user, rows)
        return access.present_many(rows, user, self.spec)

    def present(self, session: Session, user: Principal, record: Record) -> BaseModel:
        return self.present_many(session, user, [record])[0]

    def _listing(self, session: Session, user: Principal, query: ListQuery,
                 action: Action) -> Listing:
        """How to read the rows of ``query`` that ``user`` may ``action``: checked, scoped,
        filtered and narrowed by its search, as every page of it is read."""
        access.may(user, self.spec, action)
        sort = paging.parse_sort(self.spec, access.list_order(user, self.spec, query.sort))
        access.require_visible(user, self.spec, [sort.field],
                               N_("Your role may not sort by this field"))
        stmt = self.base_query(user, query.deleted, action)
        stmt = filtering.apply_filters(stmt, self.model, self.spec, user, query.filters)
        narrowed = search.narrow(session, stmt, self.model, self.spec, query.q,
                                 query.exact_total, access.search_segments(user, self.spec),
                                 next_page=query.after is not None)
        nullable = bool(self.model.__table__.c[sort.field].nullable)  # type: ignore[attr-defined]
        return Listing(sort, narrowed, nullable)

    def list_page(self, session: Session, user: Principal, query: ListQuery) -> dict[str, Any]:
        limit = query.limit
        listing = self._listing(session, user, query, Action.READ)
        rows = listing.rows(session, query.after, limit)
        last = rows[limit - 1] if len(rows) > limit else None
        # A first page with room to spare holds every row: it is its own exact total.
        whole = last is None and query.after is None
        total, exact = (len(rows), True) if whole else listing.narrowed.count()
        return {
            "items": self.present_many(session, user, rows[:limit]),
            "next": listing.cursor(last) if last else None,
            "total": total,
            "total_exact": exact,
        }

    def pages(self, session: Session, user: Principal, query: ListQuery,
              action: Action) -> tuple[Iterator[list[Record]], Callable[[], tuple[int, bool]]]:
        """Every row of ``query`` that ``user`` may ``action``, ``query.limit`` at a time in
        the list's order (keyset, as the list pages: never all rows at once), and how to
        count them. Checked at once, not when the first page is read."""
        listing = self._listing(session, user, query, action)

        def walk() -> Iterator[list[Record]]:
            after = query.after
            while True:
                rows = listing.rows(session, after, query.limit)
                if rows[:query.limit]:
                    yield rows[:query.limit]
                if len(rows) <= query.limit:
                    return
                after = listing.cursor(rows[query.limit - 1])

        return walk(), listing.narrowed.count

    def fetch(self, session: Session, user: Principal, record_id: int,
              deleted: bool = False, action: Action = Action.READ) -> Any:
        """The record if ``user`` may read it, else 404 (out of scope looks like absent);
        403 when it may be read but not ``action``-ed."""
        stmt = access.scope(select(self.model), user, self.spec).where(
            self.model.id == record_id)
        if self.spec.soft_delete and not deleted:
            stmt = stmt.where(self.model.deleted_at.is_(None))
        record = session.scalars(stmt).first()
        if record is None:
            raise NotFound(N_("The record does not exist or was deleted"))
        if action is not Action.READ:
            access.may(user, self.spec, action)
            if not self._within(session, user, record, action):
                raise Forbidden(N_("Your role does not allow this for this record"))
        return record

    def _within(self, session: Session, user: Principal, record: Record,
                action: Action) -> bool:
        condition = access.reach(user, self.spec.key, action)
        if condition is None:
            return True
        found = session.scalar(select(self.model.id).where(
            self.model.id == record.id, condition))
        return found is not None

    def get(self, session: Session, user: Principal, record_id: int,
            deleted: bool = False) -> BaseModel:
        return self.present(session, user, self.fetch(session, user, record_id, deleted))

    # --- writing -------------------------------------------------------------------------
    def _check_refs(self, session: Session, user: Principal, values: Mapping[str, Any]) -> None:
        errors: dict[str, str] = {}
        for spec_field in self.spec.fields:
            value = values.get(spec_field.name)
            if spec_field.kind is not Kind.REF or value is None or not spec_field.ref:
                continue
            target = binding(spec_field.ref).service
            exists = session.scalar(target.base_query(user).where(target.model.id == value)
                                    .with_only_columns(target.model.id)) if isinstance(
                value, int) else None
            if exists is None:
                errors[spec_field.name] = N_("The referenced record does not exist")
        if errors:
            raise ValidationFailed(N_("Please correct the marked fields"), errors)

    def _check_unique(self, session: Session, values: Mapping[str, Any],
                      record_id: int | None = None) -> None:
        """Refuse a value of a ``unique`` field another live record holds. It looks past
        the user's scope, as the database's unique index does, and tells no more than it
        would: that the value is taken, not by what."""
        taken: dict[str, str] = {}
        for spec_field in self.spec.fields:
            value = values.get(spec_field.name)
            if not spec_field.unique or value is None:
                continue
            stmt = select(self.model.id).where(getattr(self.model, spec_field.name) == value)
            if self.spec.soft_delete:
                stmt = stmt.where(self.model.deleted_at.is_(None))
            if record_id is not None:
                stmt = stmt.where(self.model.id != record_id)
            if session.scalar(stmt.limit(1)) is not None:
                taken[spec_field.name] = N_("Another record already uses this value")
        if taken:
            raise Duplicate(N_("Another record already uses this value"), taken)

    def _flush(self, session: Session, user: Principal, record: Record,
               values: Mapping[str, Any], action: Action) -> None:
        self.derive(session, record)
        try:
            session.flush()
        except StaleDataError as exc:
            raise StaleVersion(N_("Someone else changed this record meanwhile")) from exc
        except IntegrityError as exc:  # a unique value taken meanwhile, past _check_unique
            if not any(f.unique for f in self.spec.fields):
                raise
            raise Duplicate(N_("Another record already uses this value")) from exc
        if not self._within(session, user, record, action):  # e.g. given to another owner
            raise Forbidden(N_("The record would be outside what your role may change"),
                            {name: N_("Outside what your role may change")
                             for name in values if self.spec.owns(name)} or None)
        self.after_write(session, user, record, values)

    def create(self, session: Session, user: Principal, payload: BaseModel,
               confirm: bool = False) -> BaseModel:
        access.accept({name: None for name in payload.model_fields_set}, user, self.spec,
                      Action.CREATE)
        values = payload.model_dump()
        self.defaults(session, user, values)
        self._check_refs(session, user, values)
        self._check_unique(session, values)
        self.check_create(session, user, values, confirm)
        record = self.model(**self._columns(values))
        session.add(record)
        self._flush(session, user, record, values, Action.CREATE)
        return self.present(session, user, record)

    def _columns(self, values: Mapping[str, Any]) -> dict[str, Any]:
        table = self.model.__table__  # type: ignore[attr-defined]
        return {k: v for k, v in values.items()
                if k in table.c and not (v is None and not table.c[k].nullable)}

    def update(self, session: Session, user: Principal, record_id: int,
               payload: BaseModel) -> BaseModel:
        changes = payload.model_dump(exclude_unset=True)
        version = changes.pop("version")
        record = self.fetch(session, user, record_id, action=Action.UPDATE)
        self._check_version(session, user, record, version)
        changes = access.accept(changes, user, self.spec, Action.UPDATE)
        self._check_refs(session, user, changes)
        self._check_unique(session, changes, record.id)
        for name, value in self._columns(changes).items():
            setattr(record, name, value)
        self._flush(session, user, record, changes, Action.UPDATE)
        return self.present(session, user, record)

    def _check_version(self, session: Session, user: Principal, record: Record,
                       version: int) -> None:
        if record.version != version:
            raise StaleVersion(
                N_("Someone else changed this record meanwhile"),
                data={"current": self.present(session, user, record).model_dump(mode="json")},
            )

    def delete(self, session: Session, user: Principal, record_id: int, version: int) -> None:
        record = self.fetch(session, user, record_id, action=Action.DELETE)
        self.check_delete(session, user, record)
        self._check_version(session, user, record, version)
        record.deleted_at = utcnow()
        self._flush(session, user, record, {}, Action.DELETE)

    def restore(self, session: Session, user: Principal, record_id: int) -> BaseModel:
        record = self.fetch(session, user, record_id, deleted=True, action=Action.DELETE)
        self._check_unique(session, {f.name: getattr(record, f.name) for f in self.spec.fields
                                     if f.unique}, record.id)
        record.deleted_at = None
        self._flush(session, user, record, {}, Action.DELETE)
        return self.present(session, user, record)

    def history(self, session: Session, user: Principal, record_id: int) -> list[HistoryEntry]:
        self.fetch(session, user, record_id, deleted=True)
        entries = list(session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity == self.spec.key, AuditEntry.record_id == record_id)
            .order_by(AuditEntry.id.desc()).limit(500)))
        names = refs.titles(session, "user", {e.user_id for e in entries if e.user_id}, user)
        return [HistoryEntry(
            id=e.id, at=e.at, user_id=e.user_id, user_name=names.get(e.user_id or 0),
            action=e.action, changes=access.present_changes(user, self.spec, e.changes),
        ) for e in entries]
