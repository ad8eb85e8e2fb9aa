"""The admin console's server side: roles, the audit log, sign-in sessions, the security
policy. Everything the console does is an API call, so scripts can do it too."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_common.entities import REGISTRY
from crm_common.errors import Conflict, Forbidden, NotFound, StaleVersion, ValidationFailed
from crm_common.i18n import N_
from crm_common.permissions import Action, Permissions
from crm_common.schemas.scalars import DbId
from crm_common.schemas.security import SecurityPolicy, SecurityPolicyUpdate, SessionRead
from crm_server.db import audit
from crm_server.db.types import utcnow
from crm_server.kit import refs
from crm_server.kit.binding import BINDINGS
from crm_server.kit.service import CrudService
from crm_server.kit.web import Caller, json_response, signed_in
from crm_server.models import Role, UserSession
from crm_server.security import access, policy
from crm_server.security.principal import Principal


def check_permissions(raw: Any) -> dict[str, Any]:
    """A role's grants, validated: only known entities and their declared fields."""
    grants = Permissions.model_validate(raw or {})
    problems = []
    for key, grant in grants.entities.items():
        spec = REGISTRY.get(key)
        if spec is None:
            problems.append(key)
            continue
        declared = {field.name for field in spec.fields}
        problems += [f"{key}.{name}" for name in grant.fields if name not in declared]
    if problems:
        message = N_("The permissions name unknown entities or fields")
        raise ValidationFailed(message, {"permissions": ", ".join(sorted(problems))})
    return grants.model_dump(mode="json")


class RoleService(CrudService):
    """Roles are written by administrators only (spec ``admin_only_write``); built-in roles
    keep their key and cannot be deleted."""

    def defaults(self, session: Session, user: Principal, values: dict[str, Any]) -> None:
        values["is_builtin"] = False
        values["key"] = None

    def derive(self, session: Session, record: Any) -> None:
        record.permissions = check_permissions(record.permissions)
        taken = session.scalar(select(Role.id).where(
            Role.name == record.name, Role.id != (record.id or 0), Role.deleted_at.is_(None)))
        if taken is not None:
            message = N_("A role with this name exists")
            raise Conflict(message, {"name": message})

    def check_delete(self, session: Session, user: Principal, record: Any) -> None:
        if record.is_builtin:
            raise Conflict(N_("Built-in roles cannot be deleted"))


class AuditService(CrudService):
    """Audit entries are read-only. Each shows only what its viewer may see: the record's
    title when the viewer may read that record and its title (``refs.titles``), changes of
    fields hidden from the viewer left out, masked ones masked, and the changes of a record
    outside the viewer's reach, or of a table or field no entity declares, not shown at all
    (``access.present_changes``): only the fact that something happened."""

    def add_values(self, session: Session, user: Principal,
                   rows: list[dict[str, Any]]) -> None:
        wanted = self._wanted(rows)
        titles = {key: refs.titles(session, key, ids, user) for key, ids in wanted.items()}
        reachable = self._reachable(session, user, wanted)
        for row in rows:
            row["record_title"] = titles.get(row["entity"] or "", {}).get(row["record_id"])
            spec = REGISTRY.get(row["entity"] or "")
            reached = spec is not None and row["record_id"] in reachable.get(spec.key, ())
            row["changes"] = access.present_changes(
                user, spec, row["changes"]) if reached or user.is_admin else []

    @staticmethod
    def _wanted(rows: list[dict[str, Any]]) -> dict[str, set[int]]:
        """The records the entries name, by entity."""
        wanted: dict[str, set[int]] = {}
        for row in rows:
            if row["entity"] in BINDINGS and row["record_id"] is not None:
                wanted.setdefault(row["entity"], set()).add(row["record_id"])
        return wanted

    @staticmethod
    def _reachable(session: Session, user: Principal,
                   wanted: dict[str, set[int]]) -> dict[str, set[int]]:
        found: dict[str, set[int]] = {}
        for key, ids in wanted.items():
            target = BINDINGS[key]
            if not user.permissions.can(key, Action.READ):
                continue
            stmt = access.scope(select(target.model.id), user, target.spec).where(
                target.model.id.in_(ids))
            found[key] = set(session.scalars(stmt))
        return found


router = APIRouter(tags=["Administration"])


def _admin(user: Principal) -> None:
    if not user.is_admin:
        raise Forbidden(N_("Only administrators may do this"))


@router.get("/sessions", response_model=list[SessionRead])
def list_sessions(request: Request, caller: Caller, user_id: DbId | None = None) -> Response:
    """Live sign-in sessions (of one user, or everyone's), newest first."""
    now = utcnow()
    with signed_in(request, caller) as (session, user):
        _admin(user)
        stmt = select(UserSession).where(UserSession.revoked_at.is_(None),
                                         UserSession.expires_at > now)
        if user_id is not None:
            stmt = stmt.where(UserSession.user_id == user_id)
        live = list(session.scalars(stmt.order_by(UserSession.id.desc()).limit(500)))
        names = refs.titles(session, "user", {s.user_id for s in live}, user)
        found = [SessionRead.model_validate(s).model_copy(update={
            "user_name": names.get(s.user_id), "current": s.id == user.session_id})
            for s in live]
    return json_response(list[SessionRead], found)


@router.post("/sessions/{session_id}/revoke", status_code=204)
def revoke_session(request: Request, caller: Caller, session_id: DbId) -> Response:
    """End a session now, on every server process (its next request is refused).
    Administrators may end anyone's; everybody may end their own."""
    with signed_in(request, caller) as (session, user):
        live = session.get(UserSession, session_id)
        if live is None or (live.user_id != user.user_id and not user.is_admin):
            raise NotFound(N_("The record does not exist or was deleted"))
        if live.revoked_at is None:
            live.revoked_at = utcnow()
            audit.append(session, [audit.entry(session, "revoke", "user", live.user_id,
                                               [{"field": "session", "old": live.id,
                                                 "new": None}])])
    return Response(status_code=204)


@router.get("/security/policy", response_model=SecurityPolicy)
def get_policy(request: Request, caller: Caller) -> Response:
    """The password, lockout and session rules (everyone may read them: the password
    dialog shows them)."""
    with signed_in(request, caller) as (session, _user):
        found = policy.current(session)
    return json_response(SecurityPolicy, found)


@router.patch("/security/policy", response_model=SecurityPolicy)
def update_policy(request: Request, caller: Caller, payload: SecurityPolicyUpdate) -> Response:
    with signed_in(request, caller) as (session, user):
        _admin(user)
        row = policy.stored(session)
        changes: Mapping[str, Any] = payload.model_dump(exclude_unset=True)
        if changes["version"] != row.version:
            raise StaleVersion(N_("Someone else changed this record meanwhile"),
                               data={"current": policy.current(session).model_dump(
                                   mode="json")})
        for name, value in changes.items():
            if name != "version" and value is not None:
                setattr(row, name, value)
        session.flush()
        found = policy.current(session)
    return json_response(SecurityPolicy, found)
