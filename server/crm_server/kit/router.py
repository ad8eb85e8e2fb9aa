"""Generic REST routes for every registered entity (see docs/API.md).

No ``from __future__ import annotations`` here: FastAPI reads the endpoint annotations at
definition time, and they are the entity's own schema classes chosen at run time.
"""

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from crm_common.errors import BadRequest
from crm_common.i18n import N_
from crm_common.schemas.auth import HistoryEntry
from crm_common.schemas.base import Page
from crm_common.schemas.scalars import DbId, Version, check_text, parse_int
from crm_server.kit.binding import Binding
from crm_server.kit.service import ListQuery
from crm_server.kit.web import (
    Caller,
    flag,
    json_response,
    query_lists,
    signed_in,
    single,
)


def _limit(raw: str | None) -> int:
    """The page size asked for, as ASCII digits; ``ListQuery`` refuses one out of range."""
    if raw is None:
        return ListQuery.limit
    try:
        return parse_int(raw)
    except ValueError:
        raise BadRequest(N_("limit must be a whole number from 1 to 500"),
                         {"limit": raw}) from None


def _search(raw: str | None) -> str | None:
    if raw is None:
        return None
    try:
        return check_text(raw)
    except ValueError:
        raise BadRequest(N_("The search text contains characters that are not allowed"),
                         {"q": raw}) from None


def _list_query(request: Request) -> ListQuery:
    values = query_lists(request)
    return ListQuery(
        sort=single(values, "sort"), after=single(values, "after"),
        limit=_limit(single(values, "limit")), q=_search(single(values, "q")),
        deleted=flag(values, "deleted"), exact_total=flag(values, "exact_total"),
        filters=values,
    )


def _add_reads(router: APIRouter, binding: Binding) -> None:
    spec, service = binding.spec, binding.service
    read: type[BaseModel] = spec.read

    @router.get("", response_model=Page[read], summary=f"List {spec.label_plural}")  # type: ignore[valid-type]
    def list_records(request: Request, caller: Caller) -> Any:
        with signed_in(request, caller) as (session, user):
            page = service.list_page(session, user, _list_query(request))
        return json_response(Page[read], page)  # type: ignore[valid-type]

    @router.get("/{record_id}", response_model=read, summary=f"Get a {spec.label}")
    def get_record(request: Request, caller: Caller, record_id: DbId,
                   deleted: bool = False) -> Any:
        with signed_in(request, caller) as (session, user):
            found = service.get(session, user, record_id, deleted)
        return json_response(read, found)

    if spec.read_only:
        return

    @router.get("/{record_id}/history", response_model=list[HistoryEntry],
                summary=f"Change history of a {spec.label}")
    def history(request: Request, caller: Caller, record_id: DbId) -> Any:
        with signed_in(request, caller) as (session, user):
            entries = service.history(session, user, record_id)
        return json_response(list[HistoryEntry], entries)


def _add_writes(router: APIRouter, binding: Binding) -> None:
    spec, service = binding.spec, binding.service
    read: type[BaseModel] = spec.read
    if spec.create is not None:
        create_schema: Any = spec.create

        @router.post("", response_model=read, status_code=201, summary=f"Create a {spec.label}")
        def create(request: Request, caller: Caller, payload: create_schema,
                   confirm: bool = False) -> Any:
            with signed_in(request, caller) as (session, user):
                made = service.create(session, user, payload, confirm)
            return json_response(read, made, status_code=201)

    if spec.update is not None:
        update_schema: Any = spec.update

        @router.patch("/{record_id}", response_model=read, summary=f"Change a {spec.label}")
        def update(request: Request, caller: Caller, record_id: DbId,
                   payload: update_schema) -> Any:
            with signed_in(request, caller) as (session, user):
                changed = service.update(session, user, record_id, payload)
            return json_response(read, changed)

    @router.delete("/{record_id}", status_code=204, summary=f"Delete a {spec.label}")
    def delete(request: Request, caller: Caller, record_id: DbId,
               version: Annotated[Version, Query()]) -> Response:
        with signed_in(request, caller) as (session, user):
            service.delete(session, user, record_id, version)
        return Response(status_code=204)

    @router.post("/{record_id}/restore", response_model=read, summary=f"Restore a {spec.label}")
    def restore(request: Request, caller: Caller, record_id: DbId) -> Any:
        with signed_in(request, caller) as (session, user):
            restored = service.restore(session, user, record_id)
        return json_response(read, restored)


def entity_router(binding: Binding) -> APIRouter:
    """The routes of one entity under ``/{path}``."""
    router = APIRouter(prefix=f"/{binding.spec.path}", tags=[binding.spec.label_plural])
    _add_reads(router, binding)
    if not binding.spec.read_only:
        _add_writes(router, binding)
    return router
