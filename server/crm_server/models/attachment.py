"""附件: a file attached to any record. Content lives in the file store under its SHA-256."""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_server.db.base import Base, Id, Record


class Attachment(Record, Base):
    __tablename__ = "attachment"
    __table_args__ = (
        Index("ix_attachment_entity_record", "entity", "record_id"),
        Index("ix_attachment_filename_id", "filename", "id"),
    )

    entity: Mapped[str] = mapped_column(String(32))
    record_id: Mapped[int] = mapped_column(Id)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    owner_id: Mapped[int | None] = mapped_column(Id, ForeignKey("user_account.id"), index=True)
