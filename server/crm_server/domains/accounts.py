"""Signing in and out: passwords, rate limits, lockout, tokens, changing one's own password,
``/me``."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_common.errors import AccountLocked, Forbidden, Unauthenticated, ValidationFailed
from crm_common.i18n import N_
from crm_common.permissions import Permissions
from crm_common.schemas.auth import LoginRequest, LoginResponse, Me
from crm_common.schemas.user import PasswordChange, UserRead
from crm_server.db import audit
from crm_server.db.types import utcnow
from crm_server.domains.people import check_password
from crm_server.kit.binding import binding
from crm_server.kit.web import client_address, current_principal, transaction
from crm_server.models import User
from crm_server.security import policy, ratelimit, sessions
from crm_server.security.passwords import hash_password, verify_password
from crm_server.security.principal import Principal

router = APIRouter(tags=["Session"])


def _record_failure(session: Session, user: User | None, username: str,
                    address: str | None) -> Exception:
    """Count a failed sign-in (for the rate limits, and the threshold-th in a row locks the
    account) and return the error to answer with. Unknown and disabled users get the same
    answer as wrong passwords."""
    ratelimit.record_failure(session, username, address)
    wrong = Unauthenticated(N_("Wrong username or password"))
    if user is None:
        return wrong
    user.failed_logins += 1
    audit.append(session, [audit.entry(session, "login_failed", "user", user.id,
                                       user_id=user.id)])
    rules = policy.current(session)
    if user.failed_logins < rules.lockout_threshold:
        return wrong
    user.failed_logins = 0
    user.locked_until = utcnow() + timedelta(minutes=rules.lockout_minutes)
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
    address = client_address(request)
    with transaction(request) as session:
        ratelimit.check(session, payload.username, address)
        user = session.scalars(select(User).where(
            User.username == payload.username, User.deleted_at.is_(None))).first()
        if user is not None and user.locked_until is not None and user.locked_until > utcnow():
            raise _locked(user)
        ok = verify_password(user.password_hash if user else None, payload.password)
        if user is None or not ok or not user.is_active:
            failure = _record_failure(session, user, payload.username, address)
        else:
            failure = None
            user.failed_logins, user.locked_until, user.last_login_at = 0, None, utcnow()
            issued = sessions.issue(session, user, address, request.headers.get("user-agent"))
            session.flush()
            audit.append(session, [audit.entry(session, "login", "user", user.id,
                                               user_id=user.id)])
            response = LoginResponse(token=issued.token, expires_at=issued.expires_at,
                                     user=_user_read(session, user))
    if failure is not None:  # raised after the commit, so the failure count is kept
        raise failure
    return response


def _user_read(session: Session, user: User) -> UserRead:
    """The signed-in user's own account: everyone may see all of their own."""
    own = Principal(user.id, user.username, user.name, user.department_id,
                    Permissions(admin=True))
    return UserRead.model_validate(binding("user").service.present(session, own, user))


@router.post("/auth/logout", status_code=204)
def logout(request: Request,
           user: Annotated[Principal, Depends(current_principal)]) -> Response:
    with transaction(request, user) as session:
        if user.session_id is not None:
            sessions.revoke(session, user.session_id)
        audit.append(session, [audit.entry(session, "logout", "user", user.user_id)])
    return Response(status_code=204)


@router.post("/auth/password", status_code=204)
def change_password(request: Request, user: Annotated[Principal, Depends(current_principal)],
                    payload: PasswordChange) -> Response:
    """The signed-in user changes their own password. A wrong current password counts as a
    failed sign-in for the rate limits (a stolen token must not become a way to guess the
    password). The user's other sessions end; this one goes on."""
    address = client_address(request)
    with transaction(request, user) as session:
        ratelimit.check(session, user.username, address)
        record = session.get_one(User, user.user_id)
        if not verify_password(record.password_hash, payload.current_password):
            ratelimit.record_failure(session, user.username, address)
            message = N_("The current password is wrong")
            failure: Exception | None = Forbidden(message, {"current_password": message})
        else:
            failure = None
            check_password(session, payload.new_password, "new_password")
            if verify_password(record.password_hash, payload.new_password):
                message = N_("The new password must differ from the current one")
                raise ValidationFailed(message, {"new_password": message})
            # The audit listener records the change with the hash masked ("***").
            record.password_hash = hash_password(payload.new_password)
            record.password_changed_at = utcnow()
            record.must_change_password = False
            sessions.revoke_all(session, record.id, keep=user.session_id)
    if failure is not None:  # raised after the commit, so the failure is counted
        raise failure
    return Response(status_code=204)


@router.get("/me", response_model=Me)
def me(request: Request, user: Annotated[Principal, Depends(current_principal)]) -> Any:
    """The signed-in user and what their roles allow (a previewed role's grants while
    previewing), so the client hides what cannot be done."""
    with transaction(request, user) as session:
        record = session.get_one(User, user.user_id)
        return Me(user=_user_read(session, record), permissions=user.permissions,
                  must_change_password=sessions.password_change_due(session, record),
                  preview_role_id=user.preview_role_id)
