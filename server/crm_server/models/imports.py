"""导入: one import of a spreadsheet, what each of its rows did, its problems, and the
mapping templates people keep.

``ImportBatch`` is changed only by its jobs (check, import, undo), never edited.
``ImportRow`` is what undo needs: the record a row created or updated, the record's version
after the import, and for an update the fields' values before and after.
``ImportProblem`` holds every fix, warning and error of the last run by row and column.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from crm_server.db.base import Base, Id, Record
from crm_server.db.types import PortableJSON


class ImportBatch(Record, Base):
    __tablename__ = "import_batch"
    __table_args__ = (
        Index("ix_import_batch_owner_id_id", "owner_id", "id"),  # a user's own imports
        Index("ix_import_batch_sha256", "sha256"),  # the same file again
    )

    entity: Mapped[str] = mapped_column(String(32))
    file_name: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default="uploaded")
    sheet: Mapped[str | None] = mapped_column(String(255), default=None)
    header_row: Mapped[int | None] = mapped_column(default=None)
    mapping: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON, default=None)
    mode: Mapped[str | None] = mapped_column(String(16), default=None)
    atomic: Mapped[bool] = mapped_column(default=False)
    total_rows: Mapped[int] = mapped_column(default=0)
    new_rows: Mapped[int] = mapped_column(default=0)
    updated_rows: Mapped[int] = mapped_column(default=0)
    skipped_rows: Mapped[int] = mapped_column(default=0)
    error_rows: Mapped[int] = mapped_column(default=0)
    empty_rows: Mapped[int] = mapped_column(default=0)
    job_id: Mapped[int | None] = mapped_column(Id, ForeignKey("job.id"), default=None)
    owner_id: Mapped[int] = mapped_column(Id, ForeignKey("user_account.id"))
    finished_at: Mapped[datetime | None] = mapped_column(default=None)


class ImportRow(Base):
    __tablename__ = "import_row"
    __table_args__ = (Index("ix_import_row_import_id_row", "import_id", "row"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    import_id: Mapped[int] = mapped_column(Id, ForeignKey("import_batch.id"))
    row: Mapped[int]
    record_id: Mapped[int] = mapped_column(Id)
    action: Mapped[str] = mapped_column(String(8))  # new / update
    version: Mapped[int]  # the record's version once the import wrote it
    before: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON, default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(PortableJSON, default=None)


class ImportProblem(Base):
    __tablename__ = "import_problem"
    __table_args__ = (Index("ix_import_problem_import_id_id", "import_id", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    import_id: Mapped[int] = mapped_column(Id, ForeignKey("import_batch.id"))
    row: Mapped[int | None]
    column: Mapped[int | None]
    field: Mapped[str | None] = mapped_column(String(64))
    verdict: Mapped[str] = mapped_column(String(8))
    message: Mapped[str] = mapped_column(Text)
    value: Mapped[str | None] = mapped_column(Text)


class ImportMapping(Record, Base):
    __tablename__ = "import_mapping"
    __table_args__ = (Index("ix_import_mapping_name_id", "name", "id"),)

    name: Mapped[str] = mapped_column(String(64))
    entity: Mapped[str] = mapped_column(String(32))
    columns: Mapped[dict[str, Any]] = mapped_column(PortableJSON, default=dict)
    owner_id: Mapped[int | None] = mapped_column(Id, ForeignKey("user_account.id"))
