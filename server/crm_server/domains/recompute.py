"""The "recompute search text" job: rebuild the search text of every record of a searchable
entity, after a cleansing rule changed (how names, phones or pinyin initials are turned
into what the search box matches). Administrators start it from the console, IT with
``crm-server recompute-search ENTITY``; both run ``recompute_search``.

Records are read in id order, ``BATCH`` at a time, each batch committed at its progress
call; only texts that changed are written, with a plain UPDATE (no new version, no history:
the search text is derived)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError, field_validator
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crm_common.entities import REGISTRY
from crm_common.i18n import N_
from crm_server.kit import search
from crm_server.kit.binding import binding
from crm_server.kit.jobs import JobKind, Progress, administrators, register_kind
from crm_server.kit.unit import console_user
from crm_server.security import access
from crm_server.security.principal import Principal
from crm_server.settings import Settings

BATCH = 500


def searchable() -> list[str]:
    return [key for key, spec in REGISTRY.items() if spec.searchable]


class RecomputeParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entity: str

    @field_validator("entity")
    @classmethod
    def _searchable(cls, value: str) -> str:
        if value not in searchable():
            raise ValueError(N_("Not a kind of record with a search text"))
        return value


def recompute_search(session: Session, user: Principal, params: RecomputeParams,
                     progress: Progress) -> dict[str, Any]:
    """Rebuild the search texts of the records of ``params.entity`` ``user`` may read
    (deleted ones too: a restored record is found again)."""
    spec = REGISTRY[params.entity]
    service = binding(spec.key).service
    model = service.model
    reachable = access.scope(select(model), user, spec)
    total = session.scalar(select(func.count()).select_from(
        reachable.with_only_columns(model.id).subquery())) or 0
    progress(0, total)
    done = changed = last = 0
    while True:
        records = list(session.scalars(
            reachable.where(model.id > last).order_by(model.id).limit(BATCH)))
        if not records:
            break
        texts = service.search_texts(session, records)
        current = {record.id: record.search_text for record in records}
        stale = {key: text for key, text in texts.items() if text != current[key]}
        search.write_search_texts(session, model, stale)
        done, changed, last = done + len(records), changed + len(stale), records[-1].id
        session.expunge_all()  # the batch is written: its records are not needed again
        progress(done, total)
    return {"entity": spec.key, "records": done, "changed": changed}


RECOMPUTE_SEARCH = register_kind(JobKind(
    name="recompute_search", label=N_("Recompute search text"), params=RecomputeParams,
    run=recompute_search, may_start=administrators))


def run_in_console(settings: Settings, entity: str, username: str | None,
                   say: Callable[[str], None]) -> dict[str, Any]:
    """``recompute_search`` for ``crm-server recompute-search``: in a unit of work done as
    ``username`` (default: the first administrator), each batch committed as it is
    reported. ``ValueError`` for an entity without search text or an unknown user."""
    try:
        params = RecomputeParams(entity=entity)
    except ValidationError:
        raise ValueError(f"{entity!r} keeps no search text; one of: "
                         f"{', '.join(searchable())}") from None
    with console_user(settings, username) as (session, user):
        if not RECOMPUTE_SEARCH.may_start(user):
            raise ValueError(f"{user.username!r} is no administrator")

        def progress(done: int, total: int | None = None, commit: bool = True) -> None:
            session.commit()
            say(f"{done} / {total}")

        return recompute_search(session, user, params, progress)
