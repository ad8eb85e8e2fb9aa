"""One run over an uploaded file: a dry run (job ``import_check``) or the import itself
(job ``import``), and the layout the mapping step shows.

The file is read a page at a time (``rows.PAGE``), decided (``rows.Decider``) and, when
importing, written (``writing.Writer``). Valid-rows mode commits each page with its
progress, so a server killed meanwhile leaves whole pages, recorded in ``import_row``: the
same file imported again skips those rows. All-or-nothing mode first checks every row; with
any error it writes nothing, else it writes every row in one transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from itertools import islice
from typing import Any, cast

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

from crm_common.cleansing.values import cell_text
from crm_common.entities import REGISTRY, EntitySpec
from crm_common.entities.headings import HEADER_ROWS, header_row, match_columns
from crm_common.errors import BadRequest, Forbidden, NotFound, ValidationFailed
from crm_common.i18n import N_, translate
from crm_common.permissions import Action
from crm_common.schemas.imports import (
    ImportCounts,
    ImportOutcome,
    ImportParams,
    ImportState,
    Layout,
    LayoutColumn,
    LayoutField,
    PreviewRow,
    RowAction,
)
from crm_common.schemas.job import JobState
from crm_server.db import audit
from crm_server.db.types import json_safe, utcnow
from crm_server.domains.attachments import content_path
from crm_server.domains.imports.rows import (
    Column,
    Decider,
    Row,
    as_written,
    importable_fields,
    pages,
    writable,
)
from crm_server.domains.imports.writing import Writer
from crm_server.kit import workbook
from crm_server.kit.binding import binding
from crm_server.kit.jobs import Progress
from crm_server.models import Job
from crm_server.models.imports import ImportBatch, ImportProblem, ImportRow
from crm_server.security import access
from crm_server.security.principal import Principal
from crm_server.settings import Settings

PREVIEW_ROWS = 20
SAMPLES = 5
NOT_WRITABLE = N_("Your role may not change this field")
NOT_A_FIELD = N_("Not a field this import can fill")
NO_SHEET = N_("The file has no sheet of this name")
WITH_ERRORS = N_("Some rows have errors: nothing was imported (all or nothing)")


def limits(settings: Settings) -> workbook.Limits:
    return workbook.Limits(max_bytes=settings.import_max_mb * 2**20)


def batch_of(session: Session, user: Principal, import_id: int) -> ImportBatch:
    """The import ``import_id`` when ``user`` may see it (their own; an administrator's
    any), locked for the run; 404 otherwise."""
    binding("import_batch").service.fetch(session, user, import_id)
    batch = session.scalars(select(ImportBatch).where(ImportBatch.id == import_id)
                            .with_for_update()).first()
    if batch is None:
        raise NotFound(N_("The record does not exist or was deleted"))
    return batch


def new_batch(session: Session, user: Principal, entity: str, file_name: str, sha256: str,
              size: int) -> ImportBatch:
    """The import of a stored, checked file by ``user`` (state "uploaded"), audited."""
    batch = ImportBatch(entity=entity, file_name=file_name, stored_name=sha256, size=size,
                        sha256=sha256, owner_id=user.user_id, state=ImportState.UPLOADED)
    session.add(batch)
    session.flush()
    audit.append(session, [audit.entry(session, "create", "import_batch", batch.id, [
        {"field": "entity", "old": None, "new": entity},
        {"field": "file_name", "old": None, "new": file_name},
        {"field": "size", "old": None, "new": size}])])
    return batch


def spec_for(user: Principal, entity: str) -> EntitySpec:
    """The entity an import fills, when ``user`` may import it."""
    spec = REGISTRY.get(entity)
    if spec is None or not spec.importable:
        raise BadRequest(N_("Records of this kind cannot be imported"), {"entity": entity})
    access.may(user, spec, Action.IMPORT)
    return spec


@contextmanager
def opened(settings: Settings, batch: ImportBatch) -> Iterator[workbook.Workbook]:
    path = content_path(settings, batch.sha256)
    with workbook.open_workbook(path, batch.file_name, limits(settings)) as book:
        yield book


def _rows(book: workbook.Workbook, sheet: str | None) -> tuple[str, Iterator[list[object]]]:
    name = sheet or book.sheets[0]
    if name not in book.sheets:
        raise BadRequest(NO_SHEET, {"sheet": name})
    return name, book.rows(name)


def _head(spec: EntitySpec, stream: Iterator[list[object]], given: int | None,
          below: int = 0) -> tuple[int, list[object], list[list[object]]]:
    """The header row of a sheet (``given``, else the one among the first ``HEADER_ROWS``
    that names the most fields), its headings, and up to ``below`` rows under it; the rows
    read so far past the header are returned, the stream goes on after them."""
    top = list(islice(stream, HEADER_ROWS))
    found = header_row(spec, top) if given is None else None
    number = given if given is not None else 1 if found is None else found + 1
    top += list(islice(stream, max(number + below - len(top), 0)))
    return number, top[number - 1] if number <= len(top) else [], top[number:]


# --- the mapping step --------------------------------------------------------------------------

def layout(session: Session, user: Principal, settings: Settings, import_id: int,
           sheet: str | None, header: int | None, language: str) -> Layout:
    """The columns of ``sheet`` under its header row (given, or the one that names the most
    fields), each with samples and the field its heading names."""
    batch = batch_of(session, user, import_id)
    spec = spec_for(user, batch.entity)
    with opened(settings, batch) as book:
        name, stream = _rows(book, sheet)
        number, headings, rest = _head(spec, stream, header, SAMPLES)
        below = rest[:SAMPLES]
        fields = importable_fields(spec)
        automatic = match_columns(spec, headings, fields)
        names = {f.name for f in fields}
        return Layout(
            sheets=book.sheets, sheet=name, header_row=number,
            columns=[LayoutColumn(index=i, heading=cell_text(h),
                                  field=automatic.get(i) if automatic.get(i) in names else None,
                                  samples=[as_written(r[i]) for r in below if i < len(r)])
                     for i, h in enumerate(headings)],
            fields=[LayoutField(name=f.name, label=translate(f.label, language),
                                required=f.required and f.default is None,
                                writable=writable(user, spec, f)) for f in fields])


# --- a run -------------------------------------------------------------------------------------

class Run:
    """A dry run (``write`` False) or an import of one uploaded file by ``user``."""

    def __init__(self, session: Session, user: Principal, params: ImportParams,
                 write: bool) -> None:
        self.session, self.user, self.params, self.write = session, user, params, write
        self.settings: Settings = session.info["settings"]
        self.batch = batch_of(session, user, params.import_id)
        self.spec = spec_for(user, self.batch.entity)
        state = live_state(session, self.batch)
        if state in (ImportState.RUNNING, ImportState.CHECKING):
            raise BadRequest(N_("This file is being checked or imported right now"))
        if write and state in (ImportState.DONE, ImportState.UNDONE):
            raise BadRequest(N_("This file was already imported: upload it again to "
                                "import it once more"))
        self.columns: list[Column] = []
        self.counts: Counter[str] = Counter()
        self.preview: list[PreviewRow] = []
        self.problems = 0

    def _map(self, headings: Sequence[object]) -> None:
        """The mapped columns: as asked, or with no mapping given, every column whose
        heading names a field (as the layout proposes)."""
        fields = {f.name: f for f in importable_fields(self.spec)}
        errors: dict[str, str] = {}
        mapping = self.params.mapping or {
            str(index): name for index, name
            in match_columns(self.spec, headings, list(fields.values())).items()}
        for key, name in mapping.items():
            index = int(key)
            spec_field = fields.get(name)
            if spec_field is None:
                errors[f"mapping.{key}"] = NOT_A_FIELD
            elif not writable(self.user, self.spec, spec_field):
                errors[f"mapping.{key}"] = NOT_WRITABLE
            else:
                heading = cell_text(headings[index]) if index < len(headings) else ""
                self.columns.append(Column(index, heading, spec_field))
        if errors:
            raise ValidationFailed(N_("Please correct the marked fields"), errors)
        self.batch.mapping = {"fields": mapping, "headings": {
            str(column.index): column.heading for column in self.columns}}

    def _imported_before(self) -> set[int]:
        """Rows of this same file another import (not undone) already wrote."""
        return set(self.session.scalars(
            select(ImportRow.row).join(ImportBatch, ImportBatch.id == ImportRow.import_id)
            .where(ImportBatch.sha256 == self.batch.sha256,
                   ImportBatch.entity == self.batch.entity,
                   ImportBatch.state != ImportState.UNDONE)))

    def execute(self, progress: Progress) -> dict[str, Any]:
        batch = self.batch
        batch.job_id = getattr(progress, "job_id", None)
        batch.sheet, batch.header_row = self.params.sheet, self.params.header_row
        batch.mapping, batch.mode = {"fields": dict(self.params.mapping)}, self.params.mode.value
        batch.atomic = self.params.atomic
        atomic_write = self.write and self.params.atomic
        if atomic_write:
            self._pass(False, progress)
            if self.counts[RowAction.ERROR]:
                self._finish(ImportState.FAILED)
                self.session.commit()
                raise BadRequest(WITH_ERRORS, {"errors": str(self.counts[RowAction.ERROR])})
        self._pass(self.write, progress, commit=not atomic_write)
        self._finish(ImportState.DONE if self.write else ImportState.CHECKED)
        if self.write:  # the import as one entry, beside those of the records it wrote
            audit.append(self.session, [audit.entry(
                self.session, "import", batch.entity, None, [
                    {"field": "import_batch", "old": None, "new": batch.id},
                    {"field": "file_name", "old": None, "new": batch.file_name},
                    {"field": "counts", "old": None, "new": {
                        a.value: self.counts[a] for a in RowAction}}])])
        return ImportOutcome(import_id=batch.id, counts=ImportCounts(**{
            a.value: self.counts[a] for a in RowAction}), problems=self.problems,
            preview=self.preview).model_dump(mode="json")

    def _pass(self, write: bool, progress: Progress, commit: bool = True) -> None:
        """Read, decide and (``write``) write every row of the sheet once."""
        self.counts.clear()
        self.preview.clear()
        self.problems = 0
        batch = self.batch
        batch.state = ImportState.RUNNING if write else ImportState.CHECKING
        self.session.execute(delete(ImportProblem).where(ImportProblem.import_id == batch.id))
        writer = Writer(self.session, self.user, self.spec, batch.id) if write else None
        with opened(self.settings, batch) as book:
            batch.sheet, stream = _rows(book, self.params.sheet)
            number, headings, rest = _head(self.spec, stream, self.params.header_row)
            batch.header_row = number
            self.columns.clear()
            self._map(headings)
            decider = Decider(self.session, self.user, self.spec, self.columns,
                              self.params.mode, self._imported_before())
            data = self._numbered(rest, stream, number + 1)
            done = 0
            progress(0, None, commit=commit)
            for page in pages(data):
                rows = decider.decide(page)
                if writer is not None:
                    writer.write(rows)
                self._record(rows)
                done += len(page)
                progress(done, None, commit=commit)

    def _numbered(self, buffered: list[list[object]], stream: Iterator[list[object]],
                  first: int) -> Iterator[tuple[int, Sequence[object]]]:
        """The data rows with their sheet row numbers; empty rows counted, not returned."""
        number = first
        for source in (buffered, stream):
            for raw in source:
                if any(cell_text(value) for value in raw):
                    yield number, raw
                else:
                    self.counts[RowAction.EMPTY] += 1
                number += 1

    def _record(self, rows: list[Row]) -> None:
        found = [{"import_id": self.batch.id, "row": p.row,
                  "column": p.column.index if p.column else None, "field": p.field,
                  "verdict": p.verdict.value, "message": p.message, "value": p.value}
                 for row in rows for p in row.problems]
        if found:
            self.session.execute(insert(cast(Table, ImportProblem.__table__)), found)
        self.problems += len(found)
        for row in rows:
            self.counts[row.action] += 1
            if len(self.preview) < PREVIEW_ROWS:
                self.preview.append(PreviewRow(
                    row=row.number, action=row.action.value,
                    values={k: _display(row, k, v) for k, v in row.values.items()
                            if k != "password"}))

    def _finish(self, state: ImportState) -> None:
        batch, counts = self.batch, self.counts
        batch.state = state
        batch.total_rows = sum(counts[a] for a in RowAction if a is not RowAction.EMPTY)
        batch.new_rows, batch.updated_rows = counts[RowAction.NEW], counts[RowAction.UPDATE]
        batch.skipped_rows, batch.error_rows = counts[RowAction.SKIP], counts[RowAction.ERROR]
        batch.empty_rows = counts[RowAction.EMPTY]
        batch.finished_at = utcnow()


def _display(row: Row, name: str, value: Any) -> Any:
    return row.texts.get(name) or json_safe(value)


def live_state(session: Session, batch: ImportBatch) -> ImportState:
    """The import's state, where a run whose job ended without saying so (its server was
    killed) counts as failed or cancelled, as its job."""
    return live_states(session, [(batch.state, batch.job_id)])[0]


def live_states(session: Session,
                batches: Sequence[tuple[str, int | None]]) -> list[ImportState]:
    busy = {job_id for state, job_id in batches
            if state in (ImportState.RUNNING, ImportState.CHECKING) and job_id}
    ended = dict(session.execute(select(Job.id, Job.state).where(
        Job.id.in_(busy), Job.state.in_([JobState.FAILED, JobState.CANCELLED,
                                         JobState.SUCCEEDED]))).tuples().all()) if busy else {}
    return [ImportState.CANCELLED if ended.get(job_id or 0) == JobState.CANCELLED
            else ImportState.FAILED if (job_id or 0) in ended else ImportState(state)
            for state, job_id in batches]


def check_job(session: Session, user: Principal, params: ImportParams,
              progress: Progress) -> dict[str, Any]:
    return Run(session, user, params, write=False).execute(progress)


def import_job(session: Session, user: Principal, params: ImportParams,
               progress: Progress) -> dict[str, Any]:
    return Run(session, user, params, write=True).execute(progress)


def may_import(user: Principal) -> bool:
    return any(user.permissions.refusal(spec, Action.IMPORT) is None
               for spec in REGISTRY.values() if spec.importable)


def forbid_others(user: Principal, batch: ImportBatch) -> None:
    if batch.owner_id != user.user_id and not user.is_admin:
        raise Forbidden(N_("Only whoever imported a file may do this"))
