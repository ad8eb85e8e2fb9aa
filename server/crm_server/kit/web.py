"""The request boundary: one database session per request, committed or rolled back here,
and the signed-in principal resolved from the bearer token."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

from fastapi import Request, Response
from pydantic import TypeAdapter
from sqlalchemy.orm import Session

from crm_common.errors import Unauthenticated
from crm_common.i18n import N_, normalise_language
from crm_server.security import bearer
from crm_server.security.principal import Principal
from crm_server.settings import Settings


def language_of(request: Request) -> str:
    return normalise_language(request.headers.get("accept-language"))


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


@contextmanager
def transaction(request: Request, principal: Principal | None = None) -> Iterator[Session]:
    """A session for one unit of work: committed when the block ends normally, rolled back
    when it raises, so a failed request never leaves half its writes behind."""
    session: Session = request.app.state.session_factory()
    session.info["principal"] = principal
    session.info["settings"] = settings_of(request)
    session.info["client_address"] = client_address(request)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


PREVIEW_HEADER = "x-preview-role"


def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the signed-in user with the grants of their roles, or 401.

    An administrator may send ``X-Preview-Role: <role id>`` to read as that role would
    ("preview as this role"); such a request changes nothing. A user who must change their
    password gets 403 ``password_change_required`` on everything but the few requests
    needed to change it (``sessions.WHILE_PASSWORD_DUE``). See ``security.bearer``."""
    token = _bearer(request)
    if token is None:
        raise Unauthenticated(N_("Please sign in"))
    asked = bearer.Asked(token=token, method=request.method, path=request.url.path,
                         language=language_of(request),
                         preview=request.headers.get(PREVIEW_HEADER))
    with transaction(request) as session:
        return bearer.resolve(session, request.app.state.principals, asked)


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
