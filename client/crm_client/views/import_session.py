"""``ImportSession``: what the import wizard's pages have chosen and learnt so far — the
uploaded file, the sheet's layout, the mapping, the options and the dry run — and the job
parameters that follow from it (the contract of the ``import_check`` and ``import`` jobs)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from crm_client.api.imports import ImportFile
from crm_common.entities import EntitySpec
from crm_common.schemas.imports import ImportOutcome, Layout, LayoutField


@dataclass
class ImportSession:
    spec: EntitySpec
    upload: ImportFile | None = None
    layout: Layout | None = None
    mapping: dict[int, str] = field(default_factory=dict)  # column index → field name
    mode: str = "skip"  # duplicates: skip, update or create
    atomic: bool = False  # all or nothing, else the valid rows
    check: ImportOutcome | None = None

    @property
    def fields(self) -> dict[str, LayoutField]:
        return {f.name: f for f in self.layout.fields} if self.layout else {}

    def automatic_mapping(self) -> dict[int, str]:
        """The server's mapping of the current layout (by header synonyms)."""
        columns = self.layout.columns if self.layout else []
        return {c.index: c.field for c in columns if c.field and c.field in self.fields}

    def mapped_fields(self) -> list[LayoutField]:
        """The mapped fields in column order, each once."""
        names = dict.fromkeys(self.mapping[index] for index in sorted(self.mapping))
        return [self.fields[name] for name in names if name in self.fields]

    def missing_required(self) -> list[LayoutField]:
        mapped = set(self.mapping.values())
        return [f for f in self.fields.values() if f.required and f.name not in mapped]

    def mapped_twice(self) -> list[LayoutField]:
        names = list(self.mapping.values())
        return [f for f in self.fields.values() if names.count(f.name) > 1]

    def job_params(self) -> dict[str, Any]:
        """The parameters of the dry run and of the commit."""
        assert self.upload is not None and self.layout is not None
        return {"import_id": self.upload.id, "sheet": self.layout.sheet,
                "header_row": self.layout.header_row,
                "mapping": {str(index): name for index, name in sorted(self.mapping.items())},
                "mode": self.mode, "atomic": self.atomic}
