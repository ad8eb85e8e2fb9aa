"""Pieces every wire schema shares: strict input models, the record envelope, pages."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

from crm_common.cleansing import (
    clean_text,
    normalise_email,
    normalise_mobile,
    normalise_phone,
    normalise_uscc,
)
from crm_common.schedules import normalise_schedule
from crm_common.schemas.scalars import Checked, Version, check_text

T = TypeVar("T")


def _clean(value: Any) -> Any:
    return clean_text(check_text(value)) if isinstance(value, str) else value


def _clean_or_none(value: Any) -> Any:
    if isinstance(value, str):
        cleaned = clean_text(check_text(value))
        return cleaned or None
    return value


# Free text from people: trimmed, inner whitespace runs folded, zero-width characters gone;
# control characters and lone surrogates refused (``scalars.check_text``).
Text = Annotated[str, BeforeValidator(_clean)]
# Optional text where an empty string means "no value".
OptText = Annotated[str | None, BeforeValidator(_clean_or_none)]


def _normalised(normalise: Callable[[str], str]) -> Callable[[str | None], str | None]:
    def check(value: str | None) -> str | None:
        return normalise(value) if value else None

    return check


# Optional codes and numbers, normalised and checked (a ValueError becomes a field error).
Mobile = Annotated[OptText, AfterValidator(_normalised(normalise_mobile))]
Phone = Annotated[OptText, AfterValidator(_normalised(normalise_phone))]
Email = Annotated[OptText, AfterValidator(_normalised(normalise_email))]
Uscc = Annotated[OptText, AfterValidator(_normalised(normalise_uscc))]
ScheduleText = Annotated[OptText, AfterValidator(_normalised(normalise_schedule))]


TAG_LENGTH = 32


def _tags(value: list[str]) -> list[str]:
    """Tags cleaned, cut to ``TAG_LENGTH``, empty ones and repeats dropped, order kept."""
    seen: dict[str, None] = {}
    for tag in value:
        cleaned = clean_text(tag)
        if cleaned:
            seen.setdefault(cleaned[:TAG_LENGTH], None)
    return list(seen)


Tags = Annotated[list[Checked], AfterValidator(_tags)]


class Input(BaseModel):
    """Base of create/update payloads: unknown fields are an error, not silently dropped."""

    model_config = ConfigDict(extra="forbid", str_max_length=4000)


class UpdateInput(Input):
    """Partial update: only the fields sent are changed; ``version`` must match the record."""

    version: Version


class RecordRead(BaseModel):
    """The envelope every record carries on the wire.

    Every other field has a default: a field the viewer may not see comes as null, and a
    masked one as null with its masked form (138****5678) in ``masked``."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    version: int
    created_at: datetime
    updated_at: datetime
    deleted_at: datetime | None = None
    masked: dict[str, str] = Field(default_factory=dict)


class Page(BaseModel, Generic[T]):
    """One page of a list. ``next`` is an opaque cursor for the following page (keyset, not
    offset); ``total`` is an estimate unless ``total_exact`` is true."""

    items: list[T]
    next: str | None = None
    total: int = 0
    total_exact: bool = False


class Ref(BaseModel):
    """A link to another record, with its title for display."""

    entity: str
    id: int
    title: str
