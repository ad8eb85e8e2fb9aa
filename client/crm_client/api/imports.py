"""The import API's answers as the client reads them (issue 10) beside the shared ones
(``crm_common.schemas.imports``: the layout of a sheet, the problems of a run): the uploaded
file, mapping templates and the results of the ``import_check`` / ``import`` /
``import_undo`` jobs.

Extra keys are ignored, so a newer server that says more does not break an older client.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from crm_common.schemas.imports import ImportMode

# The job kinds: dry run, commit, undo (their results are the models below).
IMPORT_CHECK, IMPORT, IMPORT_UNDO = "import_check", "import", "import_undo"
# What to do with duplicates, and the files the import reads.
MODES = tuple(mode.value for mode in ImportMode)
SUFFIXES = (".xlsx", ".xls", ".xlsm", ".csv")


class ImportFile(BaseModel):
    """An uploaded file (a record of the "import" entity: the import history)."""

    id: int
    version: int = 1
    entity: str
    file_name: str
    size: int = 0
    state: str = "uploaded"
    sheet: str | None = None
    header_row: int | None = None


class MappingTemplate(BaseModel):
    """A saved mapping: headings (not positions) to field names."""

    id: int
    version: int = 1
    name: str
    entity: str
    columns: dict[str, str] = Field(default_factory=dict)


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

    removed: int = 0
    restored: int = 0
    kept: list[KeptRecord] = Field(default_factory=list)
    kept_total: int | None = None
