"""Imports of spreadsheets (导入): what an import is asked to do, what it answers, and the
states it goes through. The pipeline is ``crm_server.domains.imports``; the client's wizard
and ``crm-server import`` speak these shapes."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, RootModel, StringConstraints, field_validator

from crm_common.i18n import N_
from crm_common.schemas.scalars import Checked


class ImportState(StrEnum):
    UPLOADED = "uploaded"
    CHECKING = "checking"  # a dry run is reading it
    CHECKED = "checked"  # dry run done: nothing written
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNDONE = "undone"


class ImportMode(StrEnum):
    """What happens to a row that duplicates a record already there (or an earlier row)."""

    SKIP = "skip"
    UPDATE = "update"  # the existing record takes the row's mapped, non-empty cells
    CREATE = "create"  # a new record anyway


class RowAction(StrEnum):
    NEW = "new"
    UPDATE = "update"
    SKIP = "skip"
    ERROR = "error"
    EMPTY = "empty"


MAX_COLUMNS = 1000
# The files an import reads, by extension, and what each holds.
FILE_FORMATS = {".xlsx": "xlsx", ".xlsm": "xlsx", ".xls": "xls", ".csv": "csv"}
# The job kinds of an import: the dry run, the import itself and its undo.
CHECK_JOB, IMPORT_JOB, UNDO_JOB = "import_check", "import", "import_undo"


class ImportParams(BaseModel):
    """A dry run (job ``import_check``) or an import (job ``import``) of an uploaded file:
    its sheet, the 1-based row of its header, which column (0-based index, as text) goes
    into which field, what to do with duplicates, and whether one bad row stops it all
    (``atomic``) or only that row."""

    model_config = ConfigDict(extra="forbid")

    import_id: int = Field(ge=1)
    sheet: str | None = Field(default=None, max_length=255)
    header_row: int | None = Field(default=None, ge=1, le=1_048_576)
    mapping: dict[str, str] = Field(default_factory=dict)
    mode: ImportMode = ImportMode.SKIP
    atomic: bool = False

    @field_validator("mapping")
    @classmethod
    def _columns(cls, value: dict[str, str]) -> dict[str, str]:
        for column, name in value.items():
            if not column.isascii() or not column.isdigit() or int(column) >= MAX_COLUMNS:
                raise ValueError(N_("Not one of the allowed values"))
            if not name or len(name) > 64:
                raise ValueError(N_("Not one of the allowed values"))
        if len(set(value.values())) != len(value):
            raise ValueError(N_("A field is mapped from more than one column"))
        return value


Heading = Annotated[Checked, StringConstraints(min_length=1, max_length=200)]
FieldName = Annotated[Checked, StringConstraints(min_length=1, max_length=64)]


class HeadingMap(RootModel[dict[Heading, FieldName]]):
    """A mapping template's columns: heading text → field name."""

    root: dict[Heading, FieldName] = Field(default_factory=dict, max_length=MAX_COLUMNS)


class UndoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    import_id: int = Field(ge=1)


class LayoutColumn(BaseModel):
    index: int
    heading: str
    field: str | None
    samples: list[str]


class LayoutField(BaseModel):
    name: str
    label: str
    required: bool
    writable: bool


class Layout(BaseModel):
    """A sheet as the mapping step sees it: its columns under the header row, each with
    sample values and the field it maps to automatically (header synonyms)."""

    sheets: list[str]
    sheet: str
    header_row: int
    columns: list[LayoutColumn]
    fields: list[LayoutField]


class Problem(BaseModel):
    row: int | None  # the sheet's 1-based row; None: a whole column
    column: int | None
    heading: str | None
    field: str | None
    verdict: str  # fixed / warning / error
    message: str
    value: str | None


class ProblemPage(BaseModel):
    items: list[Problem]
    next: str | None
    total: int


# --- what the jobs answer (their ``result``) --------------------------------------------

class PreviewRow(BaseModel):
    """A data row as it will be stored: its action and its values as display text."""

    row: int
    action: str
    values: dict[str, Any] = Field(default_factory=dict)


class ImportCounts(BaseModel):
    new: int = 0
    update: int = 0
    skip: int = 0
    error: int = 0
    empty: int = 0


class ImportOutcome(BaseModel):
    """The result of a dry run or a commit."""

    import_id: int
    counts: ImportCounts = Field(default_factory=ImportCounts)
    problems: int = 0
    preview: list[PreviewRow] = Field(default_factory=list)


class KeptRecord(BaseModel):
    """A record the undo left as it is: these fields changed since the import."""

    entity: str
    record_id: int
    fields: list[str] = Field(default_factory=list)


class UndoOutcome(BaseModel):
    """What the undo did; ``kept`` may be the first of ``kept_total``."""

    import_id: int | None = None
    removed: int = 0
    restored: int = 0
    kept: list[KeptRecord] = Field(default_factory=list)
    kept_total: int | None = None
