"""The request boundary: one database session per request, committed or rolled back here,
and the signed-in principal resolved from the bearer token."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from fastapi import Request
from sqlalchemy.orm import Session

from crm_common.errors import BadRequest, Forbidden, Unauthenticated
from crm_common.i18n import N_, normalise_language
from crm_common.schemas.scalars import parse_id
from crm_server.security import roles, sessions
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


def _preview_role(request: Request) -> int | None:
    """The role id of ``X-Preview-Role``, None without one, 400 when it is no id."""
    raw = request.headers.get(PREVIEW_HEADER)
    if not raw:
        return None
    try:
        return parse_id(raw)
    except ValueError:
        raise BadRequest(N_("X-Preview-Role must be a role id"),
                         {"X-Preview-Role": raw}) from None


def current_principal(request: Request) -> Principal:
    """FastAPI dependency: the signed-in user with the grants of their roles, or 401.

    An administrator may send ``X-Preview-Role: <role id>`` to read as that role would
    ("preview as this role"); such a request changes nothing. A user who must change their
    password gets 403 ``password_change_required`` on everything but the few requests
    needed to change it (``sessions.WHILE_PASSWORD_DUE``)."""
    language = language_of(request)
    token = _bearer(request)
    if token is None:
        raise Unauthenticated(N_("Please sign in"))
    with transaction(request) as session:
        found = sessions.resolve(session, token)
        if found is None:
            raise Unauthenticated(N_("Your session has expired, please sign in again"))
        live, user = found
        sessions.require_password_current(session, user, request.method, request.url.path)
        permissions = roles.permissions_of(session, user.id)
        preview_id = _preview_role(request)
        if preview_id is not None:
            chosen = roles.role_permissions(session, preview_id) if permissions.admin else None
            if chosen is None:
                raise Forbidden(N_("Only administrators may preview a role"))
            if request.method not in ("GET", "HEAD"):  # whatever the route: nothing changes
                raise Forbidden(N_("Nothing can be changed while previewing a role"))
            permissions = chosen
        return roles.principal(session, user, permissions, session_id=live.id,
                               language=language, preview_role_id=preview_id)


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
