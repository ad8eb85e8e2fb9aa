"""Declarative base with a naming convention (stable constraint names for migrations) and
the mixins business records share: id, timestamps, optimistic version, soft delete."""

from __future__ import annotations

from datetime import datetime
from typing import Any, ClassVar

from sqlalchemy import BigInteger, Integer, MetaData, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column

from crm_server.db.types import UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BIGINT ids on PostgreSQL; SQLite needs INTEGER for its rowid alias.
Id = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime()}


class Record:
    """A business record: id, created/updated times, optimistic ``version``, soft delete.

    ``version`` is SQLAlchemy's version counter, so a concurrent update that slipped past the
    service's check still fails at flush instead of overwriting. Columns listed in
    ``__audit_exclude__`` are left out of the change history; ``__audit_redact__`` are
    recorded as changed without their values (secrets). A change of one of the
    ``__audit_permission_fields__`` is logged as a "permission" change (a role's grants).
    """

    __audit_exclude__: ClassVar[frozenset[str]] = frozenset()
    __audit_redact__: ClassVar[frozenset[str]] = frozenset()
    __audit_permission_fields__: ClassVar[frozenset[str]] = frozenset()

    id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(default=None)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.__table__.c.version}  # type: ignore[attr-defined]


class Searchable:
    """A record the search box finds: ``search_text`` is derived on every write from the
    entity's ``search_fields`` (``kit.search``); its indexes on PostgreSQL follow from the
    registry (``db.migrate.ensure_search_indexes``)."""

    __audit_exclude__: ClassVar[frozenset[str]] = frozenset({"search_text"})

    search_text: Mapped[str] = mapped_column(Text, default="")
