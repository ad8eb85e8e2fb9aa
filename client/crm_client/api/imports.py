"""The import API's answers as the client reads them (issue 10) beside the shared ones
(``crm_common.schemas.imports``: the layout of a sheet, the problems of a run, the results
of the jobs): the uploaded file and mapping templates.

Extra keys are ignored, so a newer server that says more does not break an older client.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from crm_common.schemas.imports import FILE_FORMATS, ImportMode

# What to do with duplicates, and the files the import reads.
MODES = tuple(mode.value for mode in ImportMode)
SUFFIXES = tuple(FILE_FORMATS)


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
