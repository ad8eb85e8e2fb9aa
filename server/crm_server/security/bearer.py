"""From a bearer token to the principal every rule of the request is checked against.

Each request reads its session (revoked? expired? idle?) and the access version in one
query. What the principal is made of (the user, the merged grants of their roles, the
department subtree and the people in it, the security policy) takes several more, so it is
kept per session in a process-local cache and made again when the access version has moved:
any change to users, roles, grants, departments or the policy, committed by any process,
applies to the very next request everywhere (``crm_server.security.versions``). The
time-dependent rules (session lifetimes, password expiry) are evaluated on every request.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy.orm import Session

from crm_common.errors import BadRequest, Forbidden, Unauthenticated
from crm_common.i18n import N_
from crm_common.schemas.scalars import parse_id
from crm_common.schemas.security import SecurityPolicy as PolicyRead
from crm_server.db.types import utcnow
from crm_server.kit.cache import VersionedCache
from crm_server.models import User
from crm_server.security import policy, roles, sessions
from crm_server.security.principal import Principal

# Sessions kept per process (the people signed in at once, with room to spare; an entry is
# a few kilobytes), and how long an entry is trusted even with the version unchanged (a
# bound on what a change behind the application's back, such as an edit in the database by
# hand, could leave in place).
CACHE_SIZE = 1024
CACHE_SECONDS = 60.0


@dataclass(frozen=True)
class SignedIn:
    """One session's principal (or a role's, as its administrator previews it) and the
    state of the user the per-request rules need."""

    principal: Principal
    active: bool
    must_change_password: bool
    password_changed_at: datetime | None
    policy: PolicyRead
    # The titles of users, roles and departments as this principal may read them, by
    # entity and id (None: not readable), filled by ``refs.titles`` as it meets them: they
    # change only with the access version, like the principal.
    titles: dict[str, dict[int, str | None]] = field(default_factory=dict, compare=False)


def new_cache() -> VersionedCache[SignedIn]:
    return VersionedCache(CACHE_SIZE, CACHE_SECONDS)


@dataclass(frozen=True)
class Asked:
    """What of the request decides its principal; ``preview`` is the raw value of the
    ``X-Preview-Role`` header, if sent."""

    token: str
    method: str
    path: str
    language: str
    preview: str | None = None


@dataclass(frozen=True)
class Resolved:
    """The principal of a request, its session as read ``at`` the start of the request (for
    ``sessions.touch`` once the request's work is done), and its memo of titles."""

    principal: Principal
    live: sessions.Live
    at: datetime
    titles: dict[str, dict[int, str | None]]


def resolve(session: Session, cache: VersionedCache[SignedIn], asked: Asked) -> Resolved:
    """The principal behind ``asked.token``, or 401; 403 ``password_change_required`` while
    the password must be changed (but for the requests that change it).

    An administrator may send ``X-Preview-Role: <role id>`` to read as that role would;
    400 when it is no id, 403 for anyone else or for a request that would change something."""
    live = sessions.lookup(session, asked.token)
    if live is None or live.revoked_at is not None:
        raise Unauthenticated(N_("Your session has expired, please sign in again"))
    signed = _signed_in(session, cache, live, None)
    now = utcnow()
    if not signed.active or not sessions.is_live(live, signed.policy, now):
        raise Unauthenticated(N_("Your session has expired, please sign in again"))
    due = sessions.password_due(signed.must_change_password, signed.password_changed_at,
                                signed.policy, now)
    sessions.require_password_current(due, asked.method, asked.path)
    if asked.preview:
        role_id = _preview_role(asked.preview)
        if not signed.principal.is_admin:
            raise Forbidden(N_("Only administrators may preview a role"))
        signed = _signed_in(session, cache, live, role_id)
        if asked.method not in ("GET", "HEAD"):  # whatever the route: nothing changes
            raise Forbidden(N_("Nothing can be changed while previewing a role"))
    return Resolved(replace(signed.principal, language=asked.language), live, now,
                    signed.titles)


def _preview_role(raw: str) -> int:
    try:
        return parse_id(raw)
    except ValueError:
        raise BadRequest(N_("X-Preview-Role must be a role id"),
                         {"X-Preview-Role": raw}) from None


def _signed_in(session: Session, cache: VersionedCache[SignedIn], live: sessions.Live,
               preview_role_id: int | None) -> SignedIn:
    """The session's cached state (its own or a previewed role's principal), made afresh
    when missing, aged, or made at another access version."""
    key = (live.id, preview_role_id)
    signed = cache.get(key, live.access_version)
    if signed is None:
        signed = _load(session, live, preview_role_id)
        cache.put(key, live.access_version, signed)
    return signed


def _load(session: Session, live: sessions.Live, preview_role_id: int | None) -> SignedIn:
    user = session.get(User, live.user_id)
    if user is None:
        raise Unauthenticated(N_("Your session has expired, please sign in again"))
    if preview_role_id is None:
        found = roles.principal(session, user, session_id=live.id)
    else:
        chosen = roles.role_permissions(session, preview_role_id)
        if chosen is None:
            raise Forbidden(N_("Only administrators may preview a role"))
        found = roles.principal(session, user, chosen, session_id=live.id,
                                preview_role_id=preview_role_id)
    return SignedIn(principal=found, active=user.is_active and user.deleted_at is None,
                    must_change_password=user.must_change_password,
                    password_changed_at=user.password_changed_at,
                    policy=policy.current(session))
