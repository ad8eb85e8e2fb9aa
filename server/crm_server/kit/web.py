"""The request boundary: one database session per request, committed or rolled back here,
and the signed-in principal resolved from the bearer token in that same session."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request, Response, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from crm_common.errors import Unauthenticated
from crm_common.i18n import N_, normalise_language
from crm_server.kit.unit import unit_of_work
from crm_server.security import bearer, sessions
from crm_server.security.principal import Principal
from crm_server.settings import Settings


def disposition(name: str, fallback_stem: str | None = None) -> str:
    """A ``Content-Disposition`` that saves the download as ``name`` (RFC 5987, for Chinese
    names), with a plain ASCII ``fallback_stem.<extension>`` for clients that need one."""
    plain = ""
    if fallback_stem:
        plain = f'; filename="{fallback_stem}.{name.rpartition(".")[2]}"'
    return f"attachment{plain}; filename*=UTF-8''{quote(name, safe='')}"


def language_of(request: Request) -> str:
    return normalise_language(request.headers.get("accept-language"))


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


@contextmanager
def transaction(request: Request, principal: Principal | None = None) -> Iterator[Session]:
    """The request's unit of work (``kit.unit.unit_of_work``): committed when the block ends
    normally, rolled back when it raises."""
    with unit_of_work(request.app.state.session_factory, settings_of(request), principal,
                      client_address(request)) as session:
        yield session


PREVIEW_HEADER = "x-preview-role"
# Read by ``asked_by`` and declared in the OpenAPI as the routes' security scheme.
BEARER = HTTPBearer(auto_error=False, description="The token ``POST /auth/login`` returns")


async def asked_by(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)],
) -> bearer.Asked:
    """FastAPI dependency of every authenticated route: what the request says about who is
    asking, read from its headers alone (async: it costs no worker thread). 401 without a
    bearer token. The route resolves it in its own unit of work (``signed_in``)."""
    if credentials is None:
        raise Unauthenticated(N_("Please sign in"))
    return bearer.Asked(token=credentials.credentials, method=request.method,
                        path=request.url.path, language=language_of(request),
                        preview=request.headers.get(PREVIEW_HEADER))


Caller = Annotated[bearer.Asked, Depends(asked_by)]


@contextmanager
def signed_in(request: Request, caller: bearer.Asked) -> Iterator[tuple[Session, Principal]]:
    """The unit of work of an authenticated request and the principal it runs as, resolved
    in it: one session, one connection, one transaction and one worker thread per request.

    The principal is the signed-in user with the grants of their roles, or 401. An
    administrator may send ``X-Preview-Role: <role id>`` to read as that role would
    ("preview as this role"); such a request changes nothing. A user who must change their
    password gets 403 ``password_change_required`` on everything but the few requests
    needed to change it (``sessions.WHILE_PASSWORD_DUE``). See ``security.bearer``.

    The session's "last seen" is refreshed after the route's work, just before the commit,
    so the row is locked only for that moment (``sessions.touch``); a request that fails is
    rolled back with it. That loses one refresh at most (it is made at most once a minute
    and the next request makes it), which is why it may share the request's fate."""
    with transaction(request) as session:
        found = bearer.resolve(session, request.app.state.principals, caller)
        session.info["principal"], session.info["titles"] = found.principal, found.titles
        yield session, found.principal
        sessions.touch(session, found.live, found.at)


@cache
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)


def json_response(model: Any, content: Any, status_code: int = 200) -> Response:
    """``content`` as the route's ``response_model`` ``model`` makes it (validated, then
    JSON), done in the route's own thread: FastAPI passes a ``Response`` through, where it
    would hand a sync route's result to another worker thread to validate it."""
    adapter = _adapter(model)
    value = adapter.validate_python(content, from_attributes=True)
    return Response(adapter.dump_json(value, by_alias=True), status_code=status_code,
                    media_type="application/json")


def query_lists(request: Request) -> dict[str, list[str]]:
    """Query parameters with repeated names kept as lists."""
    values: dict[str, list[str]] = {}
    for key, value in request.query_params.multi_items():
        values.setdefault(key, []).append(value)
    return values


def flag(values: dict[str, list[str]], name: str) -> bool:
    raw = values.get(name, ["false"])[-1].lower()
    return raw in {"1", "true", "yes"}


def single(values: dict[str, list[str]], name: str) -> Any:
    found = values.get(name)
    return found[-1] if found else None
