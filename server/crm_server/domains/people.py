"""Users and departments: passwords in, roles assigned, the department tree kept a tree."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from crm_common.errors import Conflict, Forbidden, ValidationFailed
from crm_common.i18n import N_
from crm_common.permissions import Action
from crm_common.schemas.scalars import DbId
from crm_common.schemas.user import PasswordReset
from crm_server.db import audit
from crm_server.db.engine import make_engine, make_session_factory
from crm_server.db.types import utcnow
from crm_server.kit import refs
from crm_server.kit.binding import binding
from crm_server.kit.service import CrudService
from crm_server.kit.web import Caller, signed_in
from crm_server.models import Department, Role, User, UserRole
from crm_server.security import policy, ratelimit, sessions, versions
from crm_server.security.passwords import hash_password, policy_problem
from crm_server.security.principal import Principal
from crm_server.settings import Settings


def check_password(session: Session, password: str, field: str = "password") -> None:
    """Refuse a new password that falls short of the security policy, as a field error."""
    rules = policy.current(session)
    problem = policy_problem(password, rules.password_min_length, rules.password_classes)
    if problem:
        raise ValidationFailed(problem, {field: problem},
                               data={"min_length": rules.password_min_length,
                                     "classes": rules.password_classes})


def role_ids_of(session: Session, user_ids: Sequence[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for user_id, role_id in session.execute(
            select(UserRole.user_id, UserRole.role_id).where(UserRole.user_id.in_(user_ids))
            .order_by(UserRole.role_id)):
        found.setdefault(user_id, []).append(role_id)
    return found


def assign_roles(session: Session, user: Principal | None, record: User,
                 role_ids: list[int]) -> None:
    """Replace a user's roles (administrators only: roles are how rights are given) and
    record the change in the audit trail."""
    if user is not None and not user.is_admin:
        message = N_("Only administrators may assign roles")
        raise Forbidden(message, {"role_ids": message})
    wanted = sorted(set(role_ids))
    live = set(session.scalars(select(Role.id).where(Role.id.in_(wanted),
                                                     Role.deleted_at.is_(None))))
    if len(live) != len(wanted):
        message = N_("The referenced record does not exist")
        raise ValidationFailed(N_("Please correct the marked fields"), {"role_ids": message})
    before = role_ids_of(session, [record.id]).get(record.id, [])
    if before == wanted:
        return
    session.execute(delete(UserRole).where(UserRole.user_id == record.id))
    if wanted:
        session.execute(insert(UserRole), [{"user_id": record.id, "role_id": r} for r in wanted])
    audit.append(session, [audit.entry(session, "permission", "user", record.id, [
        {"field": "role_ids", "old": before, "new": wanted}])])


class UserService(CrudService):
    """Passwords arrive in clear on create and are stored only as Argon2id hashes; roles
    are kept in ``user_role``; a disabled user's sessions end at once."""

    def defaults(self, session: Session, user: Principal, values: dict[str, Any]) -> None:
        check_password(session, values["password"])
        values["password_hash"] = hash_password(values.pop("password"))
        values["password_changed_at"] = utcnow()

    def check_create(self, session: Session, user: Principal, values: dict[str, Any],
                     confirm: bool) -> None:
        taken = session.scalar(select(User.id).where(User.username == values["username"]))
        if taken is not None:
            message = N_("This username is already taken")
            raise Conflict(message, {"username": message})

    def after_write(self, session: Session, user: Principal, record: Any,
                    values: Mapping[str, Any]) -> None:
        if "role_ids" in values and values["role_ids"] is not None:
            assign_roles(session, user, record, list(values["role_ids"]))
        if not record.is_active or record.deleted_at is not None:
            sessions.revoke_all(session, record.id)

    def add_values(self, session: Session, user: Principal,
                   rows: list[dict[str, Any]]) -> None:
        roles = role_ids_of(session, [row["id"] for row in rows])
        names = refs.titles(session, "role", {r for ids in roles.values() for r in ids}, user)
        for row in rows:
            row["role_ids"] = roles.get(row["id"], [])
            row["role_names"] = [names[r] for r in row["role_ids"] if r in names]


class DepartmentService(CrudService):
    """Keeps the department tree a tree: no department under itself or its descendants."""

    def derive(self, session: Session, record: Any) -> None:
        seen: set[int] = {record.id} if record.id else set()
        parent_id = record.parent_id
        while parent_id is not None:
            if parent_id in seen:
                message = N_("A department cannot be placed under itself")
                raise ValidationFailed(message, {"parent_id": message})
            seen.add(parent_id)
            parent_id = session.scalar(select(Department.parent_id)
                                       .where(Department.id == parent_id))


def create_user(session: Session, username: str, name: str, password: str,
                roles: Sequence[str] = ("sales_rep",), department_id: int | None = None,
                **extra: Any) -> User:
    """A user made by the system (init, demo, tests) rather than through the API, with
    built-in roles named by key."""
    user = User(username=username, name=name, password_hash=hash_password(password),
                department_id=department_id, password_changed_at=utcnow(), **extra)
    session.add(user)
    session.flush()
    role_ids = list(session.scalars(select(Role.id).where(Role.key.in_(roles))))
    if len(role_ids) != len(set(roles)):
        raise ValueError(f"unknown built-in roles in {roles!r}")
    assign_roles(session, None, user, role_ids)
    return user


def create_admin(settings: Settings, username: str, password: str) -> None:
    """The first administrator (``crm-server init``/``create-admin``)."""
    versions.install()  # a server running meanwhile sees the new account at once
    engine = make_engine(settings.effective_database_url)
    try:
        with make_session_factory(engine).begin() as session:
            if session.scalar(select(User.id).where(User.username == username)) is not None:
                raise ValueError(f"user {username!r} already exists")
            create_user(session, username, "系统管理员", password, roles=("administrator",))
    finally:
        engine.dispose()


router = APIRouter(tags=["Users"])


@router.post("/users/{user_id}/reset-password", status_code=204)
def reset_password(request: Request, caller: Caller, user_id: DbId,
                   payload: PasswordReset) -> Response:
    """An administrator sets a new password: the user must change it at the next sign-in,
    and every session of theirs ends now."""
    with signed_in(request, caller) as (session, user):
        record = binding("user").service.fetch(session, user, user_id, action=Action.UPDATE)
        if not user.is_admin:
            raise Forbidden(N_("Only administrators may reset passwords"))
        check_password(session, payload.password)
        record.password_hash = hash_password(payload.password)
        record.must_change_password = True
        record.password_changed_at = utcnow()
        record.failed_logins, record.locked_until = 0, None
        ratelimit.forget(session, record.username)
        sessions.revoke_all(session, record.id)
    return Response(status_code=204)
