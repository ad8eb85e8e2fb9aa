"""Users, departments and signing in: passwords, lockout, tokens, ``/me``."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_common.errors import AccountLocked, Conflict, Unauthenticated, ValidationFailed
from crm_common.i18n import N_
from crm_common.schemas.auth import LoginRequest, LoginResponse, Me
from crm_common.schemas.user import UserRead
from crm_server.db import audit
from crm_server.db.engine import make_engine, make_session_factory
from crm_server.db.types import utcnow
from crm_server.kit.binding import binding
from crm_server.kit.service import CrudService
from crm_server.kit.web import (
    client_address,
    current_principal,
    settings_of,
    transaction,
)
from crm_server.models import Department, User
from crm_server.security import sessions
from crm_server.security.passwords import hash_password, verify_password
from crm_server.security.principal import Principal
from crm_server.settings import Settings


class UserService(CrudService):
    """Passwords arrive in clear on create and are stored only as Argon2id hashes."""

    def defaults(self, session: Session, user: Principal, values: dict[str, Any]) -> None:
        values["password_hash"] = hash_password(values.pop("password"))

    def check_create(self, session: Session, user: Principal, values: dict[str, Any],
                     confirm: bool) -> None:
        taken = session.scalar(select(User.id).where(User.username == values["username"]))
        if taken is not None:
            message = N_("This username is already taken")
            raise Conflict(message, {"username": message})


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


def create_user(session: Session, username: str, name: str, password: str, role: str = "sales",
                department_id: int | None = None, **extra: Any) -> User:
    """A user made by the system (init, demo, tests) rather than through the API."""
    user = User(username=username, name=name, password_hash=hash_password(password), role=role,
                department_id=department_id, **extra)
    session.add(user)
    session.flush()
    return user


def create_admin(settings: Settings, username: str, password: str) -> None:
    """The first administrator (``crm-server init``/``create-admin``)."""
    engine = make_engine(settings.effective_database_url)
    try:
        with make_session_factory(engine).begin() as session:
            if session.scalar(select(User.id).where(User.username == username)) is not None:
                raise ValueError(f"user {username!r} already exists")
            create_user(session, username, "系统管理员", password, role="admin")
    finally:
        engine.dispose()


router = APIRouter(tags=["Session"])


def _record_failure(session: Session, user: User | None, settings: Settings) -> Exception:
    """Count a failed sign-in (the threshold-th in a row locks the account) and return the
    error to answer with. Unknown users get the same answer as wrong passwords."""
    wrong = Unauthenticated(N_("Wrong username or password"))
    if user is None:
        return wrong
    user.failed_logins += 1
    audit.append(session, [audit.entry(session, "login_failed", "user", user.id,
                                       user_id=user.id)])
    if user.failed_logins < settings.lockout_threshold:
        return wrong
    user.failed_logins = 0
    user.locked_until = utcnow() + timedelta(minutes=settings.lockout_minutes)
    return _locked(user)


def _locked(user: User) -> AccountLocked:
    remaining = (user.locked_until or utcnow()) - utcnow()
    minutes = max(1, int(remaining.total_seconds() // 60) + 1)
    return AccountLocked(
        N_("Too many wrong passwords: the account is locked, try again later"),
        data={"minutes": minutes},
    )


@router.post("/auth/login", response_model=LoginResponse)
def login(request: Request, payload: LoginRequest) -> Any:
    settings = settings_of(request)
    with transaction(request) as session:
        user = session.scalars(select(User).where(
            User.username == payload.username, User.deleted_at.is_(None))).first()
        if user is not None and user.locked_until is not None and user.locked_until > utcnow():
            raise _locked(user)
        ok = verify_password(user.password_hash if user else None, payload.password)
        if user is None or not ok or not user.is_active:
            failure = _record_failure(session, user, settings)
        else:
            failure = None
            user.failed_logins, user.locked_until, user.last_login_at = 0, None, utcnow()
            issued = sessions.issue(session, settings, user, client_address(request),
                                    request.headers.get("user-agent"))
            session.flush()
            audit.append(session, [audit.entry(session, "login", "user", user.id,
                                               user_id=user.id)])
            response = LoginResponse(token=issued.token, expires_at=issued.expires_at,
                                     user=_user_read(session, user))
    if failure is not None:  # raised after the commit, so the failure count is kept
        raise failure
    return response


def _user_read(session: Session, user: User) -> UserRead:

    return UserRead.model_validate(binding("user").service.present_many(
        session, _system_principal(user), [user])[0])


def _system_principal(user: User) -> Principal:
    return Principal(user.id, user.username, user.name, user.role, user.department_id)


@router.post("/auth/logout", status_code=204)
def logout(request: Request,
           user: Annotated[Principal, Depends(current_principal)]) -> Response:
    with transaction(request, user) as session:
        if user.session_id is not None:
            sessions.revoke(session, user.session_id)
        audit.append(session, [audit.entry(session, "logout", "user", user.user_id)])
    return Response(status_code=204)


@router.get("/me", response_model=Me)
def me(request: Request, user: Annotated[Principal, Depends(current_principal)]) -> Any:
    with transaction(request, user) as session:
        record = session.get_one(User, user.user_id)
        return Me(user=_user_read(session, record))
