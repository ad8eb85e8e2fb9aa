"""From a sheet's rows to what each will do: its cells cleaned (``entities.cells``), its
references looked up, duplicates found within the file and among the records already there,
and its values checked by the entity's own wire schema — so an import accepts exactly what
the API would. Nothing here writes; ``writing`` does, for the rows decided ``new`` and
``update``.

A page of rows (``PAGE``) is decided at once: one query per reference field and match key
per page, never one per row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_common.cleansing import Industry, industry_reader
from crm_common.cleansing.values import Cleaned, cell_text
from crm_common.entities import REGISTRY, EntitySpec, FieldSpec, Kind
from crm_common.entities.cells import Verdict, clean_listed, clean_row
from crm_common.i18n import N_
from crm_common.permissions import Action, FieldAccess
from crm_common.schemas.imports import ImportMode, RowAction
from crm_server.domains.imports.refs import References, is_reference, split
from crm_server.kit.binding import binding
from crm_server.security import access
from crm_server.security.principal import Principal

PAGE = 1000
REQUIRED = N_("Required")
SAME_AS_ROW = N_("Same as an earlier row of the file: skipped")
EXISTS = N_("Already exists: skipped")
SEVERAL_EXIST = N_("Matches several existing records")
OUT_OF_REACH = N_("Exists, but outside what your role may change")
ALREADY_IMPORTED = N_("Already imported from this file by an earlier import")
TAKEN = N_("Another record already uses this value")


@dataclass(frozen=True)
class Column:
    """A mapped column: its position, heading and field."""

    index: int
    heading: str
    field: FieldSpec


@dataclass(frozen=True)
class Problem:
    row: int
    column: Column | None
    field: str | None
    verdict: Verdict
    message: str
    value: str | None


@dataclass
class Row:
    """One data row of the sheet (``number``: 1-based, as Excel shows it) and what it will
    do: its values by field, the record it updates, its problems."""

    number: int
    values: dict[str, Any] = field(default_factory=dict)
    texts: dict[str, str] = field(default_factory=dict)  # references as written
    action: RowAction = RowAction.NEW
    target: int | None = None
    problems: list[Problem] = field(default_factory=list)
    checked: dict[str, Any] | None = None  # a new record's values as its create schema made them

    @property
    def failed(self) -> bool:
        return self.action is RowAction.ERROR

    def fail(self, column: Column | None, name: str | None, message: str,
             value: object = None) -> None:
        self.action = RowAction.ERROR
        self.problems.append(Problem(self.number, column, name, Verdict.ERROR, message,
                                     _shown(value)))

    def note(self, column: Column | None, name: str | None, verdict: Verdict, message: str,
             value: object = None) -> None:
        self.problems.append(Problem(self.number, column, name, verdict, message,
                                     _shown(value)))


def _shown(value: object) -> str | None:
    return None if value is None else as_written(value)[:200]


def as_written(value: object) -> str:
    """A cell's value as the sheet shows it (a whole number without ".0", a date as
    2024-01-02), unchanged otherwise: what problems and samples quote."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def importable_fields(spec: EntitySpec) -> list[FieldSpec]:
    """The fields a sheet may fill: the editable stored ones, and what a create takes
    besides (a new user's initial password)."""
    fields = [f for f in spec.fields
              if f.editable and f.stored and f.kind is not Kind.OBJECT]
    if spec.inputs is not None:
        for name, info in spec.inputs.model_fields.items():
            fields.append(FieldSpec(name, info.title or name, required=info.is_required(),
                                    max_length=128, form=False))
    return fields


def list_reader(session: Session, user: Principal,
                field: FieldSpec) -> Callable[[object], Cleaned[str]]:
    """The reader of a field offered from a list of records (``choices_from``): over the
    live, active entries the importer may read, by code, name or English name."""
    assert field.choices_from is not None
    service = binding(field.choices_from).service
    model, title = service.model, REGISTRY[field.choices_from].title_field
    stmt = service.base_query(user)
    if hasattr(model, "is_active"):
        stmt = stmt.where(model.is_active.is_(True))
    return industry_reader(Industry(str(getattr(r, "code", "") or ""), getattr(r, title),
                                    getattr(r, "english_name", None))
                           for r in session.scalars(stmt))


def writable(user: Principal, spec: EntitySpec, field: FieldSpec) -> bool:
    if spec.owns(field.name) is None:
        return True  # an input such as the initial password: the create right covers it
    return access.field_access(user, spec, field) is FieldAccess.EDIT


class Decider:
    """Decides pages of rows for one import by ``user`` of ``spec`` in ``mode``."""

    def __init__(self, session: Session, user: Principal, spec: EntitySpec,
                 columns: Sequence[Column], mode: ImportMode, imported: set[int]) -> None:
        self.session, self.user, self.spec = session, user, spec
        self.columns, self.mode, self.imported = columns, mode, imported
        self.references = References(session, user)
        # hash((match field, key)) → the first row holding it: a number, not the key, so a
        # million rows' keys fit in a few tens of megabytes (a clash of two 64-bit hashes
        # in one file is too unlikely to matter).
        self.seen: dict[int, int] = {}
        self.mapped = {column.field.name for column in columns}
        self.required = [f for f in importable_fields(spec)
                         if f.required and f.default is None]
        # Columns by how they are read: looked up (references), from a list of records
        # (an industry), or as their declaration says (the address parts together).
        self.reference_at = [i for i, c in enumerate(columns) if is_reference(c.field)]
        self.referenced = [columns[i] for i in self.reference_at]
        self.listed_at = [i for i, c in enumerate(columns)
                          if c.field.choices_from and i not in self.reference_at]
        self.plain_at = [i for i in range(len(columns))
                         if i not in self.reference_at and i not in self.listed_at]
        self.plain_fields = [columns[i].field for i in self.plain_at]
        self.readers = {i: list_reader(session, user, columns[i].field) for i in self.listed_at}

    def decide(self, page: Sequence[tuple[int, Sequence[object]]]) -> list[Row]:
        rows = [self._clean(number, raw) for number, raw in page]
        self._resolve(rows)
        for row in rows:
            if row.action is not RowAction.ERROR and row.number in self.imported:
                row.action = RowAction.SKIP
                row.note(None, None, Verdict.WARNING, ALREADY_IMPORTED)
        self._match(rows)
        for row in rows:
            self._check(row)
        return rows

    # --- cells ------------------------------------------------------------------------------
    def _clean(self, number: int, raw: Sequence[object]) -> Row:
        row = Row(number)
        values = [raw[c.index] if c.index < len(raw) else None for c in self.columns]
        for column, value in zip(self.referenced, (values[i] for i in self.reference_at),
                                 strict=True):
            text = cell_text(value)
            if text:
                row.texts[column.field.name] = text
        cells = clean_row(self.plain_fields, [values[i] for i in self.plain_at])
        cells += [clean_listed(self.columns[i].field, values[i], self.readers[i])
                  for i in self.listed_at]
        for index, cell in zip(self.plain_at + self.listed_at, cells, strict=True):
            column, value = self.columns[index], values[index]
            name = column.field.name
            if cell.verdict is Verdict.ERROR:
                row.fail(column, name, cell.message or "", value)
            elif cell.value is not None:
                row.values[name] = cell.value
                if cell.verdict is not Verdict.CLEAN:
                    row.note(column, name, cell.verdict, cell.message or "", value)
        return row

    def _resolve(self, rows: list[Row]) -> None:
        for column in self.columns:
            spec_field, name = column.field, column.field.name
            if not is_reference(spec_field):
                continue
            texts = {row.texts[name] for row in rows if name in row.texts}
            many = spec_field.kind is Kind.REFS
            found = (self.references.resolve_many(spec_field, texts) if many
                     else self.references.resolve(spec_field, texts))
            for row in rows:
                text = row.texts.get(name)
                if not text:
                    continue
                parts = split(text) if many else [text]
                ids = []
                for part in parts:
                    hit = found[part]
                    if hit.record_id is None:
                        row.fail(column, name, hit.error or "", part)
                    else:
                        ids.append(hit.record_id)
                row.values[name] = ids if many else (ids[0] if ids else None)

    # --- duplicates ---------------------------------------------------------------------------
    def _match(self, rows: list[Row]) -> None:
        live = [row for row in rows if row.action is RowAction.NEW]
        for match in self.spec.match_keys:
            if match.field not in self.mapped:
                continue
            keys = {}
            for row in live:
                value = row.values.get(match.field)
                if value is not None:
                    keys[row.number] = match.key(str(value)) if match.key else value
            found = access.existing(self.session, self.spec, match.stored, keys.values())
            for row in live:
                key = keys.get(row.number)
                if key is None or row.action is not RowAction.NEW or row.target:
                    continue
                first = self.seen.setdefault(hash((match.field, key)), row.number)
                if first != row.number and self.mode is not ImportMode.CREATE:
                    row.action = RowAction.SKIP
                    row.note(None, match.field, Verdict.WARNING, SAME_AS_ROW, first)
                elif found.get(key):
                    self._existing(row, match.field, found[key])
        self._reachable([row for row in live if row.target])

    def _existing(self, row: Row, name: str, ids: list[int]) -> None:
        if self.mode is ImportMode.SKIP:
            row.action = RowAction.SKIP
            row.note(None, name, Verdict.WARNING, EXISTS, row.values.get(name))
        elif self.mode is ImportMode.UPDATE:
            if len(ids) > 1:
                row.fail(None, name, SEVERAL_EXIST, row.values.get(name))
            else:
                row.action, row.target = RowAction.UPDATE, ids[0]
        elif self.spec.owns(name) and self.spec.field(name).unique:
            row.fail(None, name, TAKEN, row.values.get(name))

    def _reachable(self, rows: list[Row]) -> None:
        """Rows to update whose record the importer may not change become errors."""
        condition = access.reach(self.user, self.spec.key, Action.IMPORT)
        if condition is None or not rows:
            return
        model = binding(self.spec.key).model
        within = set(self.session.scalars(select(model.id).where(
            model.id.in_([row.target for row in rows]), condition)))
        for row in rows:
            if row.target not in within:
                row.target = None
                row.fail(None, None, OUT_OF_REACH)

    # --- the entity's own rules -----------------------------------------------------------
    def _check(self, row: Row) -> None:
        if row.action is RowAction.NEW:
            for spec_field in self.required:
                if row.values.get(spec_field.name) in (None, "", []):
                    row.fail(self._column(spec_field.name), spec_field.name, REQUIRED)
            schema = self.spec.create
        elif row.action is RowAction.UPDATE:
            for name in [n for n in row.values if self._create_only(n)]:
                del row.values[name]  # the record keeps what it was created with
            schema = self.spec.update
        else:
            return
        if row.failed or schema is None:
            return
        payload = dict(row.values)
        if row.action is RowAction.UPDATE:
            payload["version"] = 1
        try:
            valid = schema.model_validate(payload)
        except ValidationError as error:
            for detail in error.errors():
                key = str(detail["loc"][0]) if detail["loc"] else None
                row.fail(self._column(key), key, detail["msg"], row.values.get(key or ""))
            return
        if row.action is RowAction.NEW:
            row.checked = valid.model_dump()

    def _create_only(self, name: str) -> bool:
        spec_field = self.spec.owns(name)
        return spec_field is not None and spec_field.create_only

    def _column(self, name: str | None) -> Column | None:
        for column in self.columns:
            if column.field.name == name:
                return column
        return None


def pages(rows: Iterable[tuple[int, Sequence[object]]],
          size: int = PAGE) -> Iterator[list[tuple[int, Sequence[object]]]]:
    page: list[tuple[int, Sequence[object]]] = []
    for item in rows:
        page.append(item)
        if len(page) >= size:
            yield page
            page = []
    if page:
        yield page
