"""操作日志: append-only, hash-chained audit entries (each row hashes the previous one's hash
with its own content, so editing or deleting a row breaks the chain detectably)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from crm_server.db.base import Base, Id
from crm_server.db.types import PortableJSON


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity_record", "entity", "record_id", "id"),)

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(index=True)
    user_id: Mapped[int | None] = mapped_column(Id, index=True)
    action: Mapped[str] = mapped_column(String(16))
    entity: Mapped[str | None] = mapped_column(String(32))
    record_id: Mapped[int | None] = mapped_column(Id)
    changes: Mapped[list[dict[str, Any]]] = mapped_column(PortableJSON, default=list)
    client_address: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
