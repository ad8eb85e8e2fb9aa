"""Signing in and out: passwords, rate limits, lockout, tokens, changing one's own password,
``/me``."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Request, Response
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crm_common.errors import (
    AccountLocked,
    ApiError,
    Forbidden,
    Unauthenticated,
    ValidationFailed,
)
from crm_common.i18n import N_
from crm_common.permissions import Permissions
from crm_common.schemas.auth import LoginRequest, LoginResponse, Me
from crm_common.schemas.user import PasswordChange, UserRead
from crm_server.db import audit
from crm_server.db.engine import serialise
from crm_server.db.types import utcnow
from crm_server.domains.people import check_password
from crm_server.kit.binding import binding
from crm_server.kit.web import Caller, client_address, json_response, signed_in, transaction
from crm_server.models import User
from crm_server.security import policy, ratelimit, sessions
from crm_server.security.passwords import hash_password, verify_password
from crm_server.security.principal import Principal

router = APIRouter(tags=["Session"])

# The advisory-lock key space (first of two int4 keys; a space apart from the audit chain's
# single bigint key) whose second key, the hash of the typed username, serialises one
# account's sign-ins.
SIGN_IN_LOCK_SPACE = 7_240_002


def _hold_account(session: Session, username: str) -> None:
    """Serialise the rest of this sign-in with every other sign-in to the same typed username
    until the transaction ends, so wrong passwords in a row are counted one at a time and a
    sign-in sees the lockout a concurrent one just set."""
    serialise(session.connection(), User, SIGN_IN_LOCK_SPACE,
              ratelimit.account_key(username))


def _note_sign_in(session: Session, user: User, **values: Any) -> None:
    """Write an account's sign-in bookkeeping (failure count, lockout, last sign-in) with a
    plain UPDATE that neither checks nor bumps the row's version: the version guards an
    administrator's edit of the account against a concurrent edit, and a sign-in is no edit —
    counted through the version, two sign-ins at once failed (500) and a sign-in between an
    administrator opening and saving the account made the save a 409. Neither is
    ``updated_at`` touched, for the same reason."""
    session.execute(update(User).where(User.id == user.id)
                    .values(updated_at=User.updated_at, **values)
                    .execution_options(synchronize_session="fetch"))


def _record_failure(session: Session, user: User | None, username: str,
                    address: str | None) -> ApiError:
    """Count a failed sign-in and return the error to answer with: the threshold-th wrong
    password in a row locks the account. An unknown username is counted and "locked" the
    same way (from ``login_attempt``, as it has no row of its own), and a disabled user
    like a real one, so no answer reveals which accounts exist."""
    ratelimit.record_failure(session, username, address)
    if user is not None:
        audit.append(session, [audit.entry(session, "login_failed", "user", user.id,
                                           user_id=user.id)])
    rules = policy.current(session)
    in_row = len(ratelimit.failures_in_row(session, username))
    if in_row % rules.lockout_threshold:
        if user is not None:
            _note_sign_in(session, user, failed_logins=in_row % rules.lockout_threshold)
        return Unauthenticated(N_("Wrong username or password"))
    until = utcnow() + timedelta(minutes=rules.lockout_minutes)
    if user is not None:
        _note_sign_in(session, user, failed_logins=0, locked_until=until)
    return _locked(until)


def _locked_until(session: Session, user: User | None, username: str) -> datetime | None:
    """Until when the account is locked, or None. A real account keeps it in its row (an
    administrator's password reset unlocks it); an unknown username is locked while its
    latest failure completed a run of the threshold and the lockout time has not passed."""
    now = utcnow()
    if user is not None:
        return user.locked_until if user.locked_until and user.locked_until > now else None
    rules = policy.current(session)
    failures = ratelimit.failures_in_row(session, username)
    if not failures or len(failures) % rules.lockout_threshold:
        return None
    until = failures[0] + timedelta(minutes=rules.lockout_minutes)
    return until if until > now else None


def _locked(until: datetime) -> AccountLocked:
    minutes = max(1, int((until - utcnow()).total_seconds() // 60) + 1)
    return AccountLocked(
        N_("Too many wrong passwords: the account is locked, try again later"),
        data={"minutes": minutes},
    )


def _refuse_if_locked(session: Session, user: User | None, username: str) -> None:
    locked = _locked_until(session, user, username)
    if locked is not None:
        raise _locked(locked)


@router.post("/auth/login", response_model=LoginResponse)
def login(request: Request, payload: LoginRequest) -> Any:
    """Sign in. The password is checked before the account is held (it is the slow part);
    the lockout is checked again once held, as a concurrent sign-in may have just set it:
    a wrong password during a lockout is refused as locked and not counted, as it would be
    had it come a moment later."""
    address = client_address(request)
    with transaction(request) as session:
        user = session.scalars(select(User).where(
            User.username == payload.username, User.deleted_at.is_(None))).first()
        ratelimit.check(session, payload.username, address,
                        ratelimit.known_here(session, user.id if user else None, address))
        _refuse_if_locked(session, user, payload.username)
        ok = verify_password(user.password_hash if user else None, payload.password)
        _hold_account(session, payload.username)
        if user is not None:
            session.refresh(user)
        _refuse_if_locked(session, user, payload.username)
        if user is None or not ok or not user.is_active:
            failure = _record_failure(session, user, payload.username, address)
        else:
            failure = None
            response = _signed_in(session, request, user, payload.username, address)
    if failure is not None:  # raised after the commit, so the failure count is kept
        raise failure
    return response


def _signed_in(session: Session, request: Request, user: User, username: str,
               address: str | None) -> LoginResponse:
    ratelimit.forget(session, username)
    _note_sign_in(session, user, failed_logins=0, locked_until=None, last_login_at=utcnow())
    issued = sessions.issue(session, user, address, request.headers.get("user-agent"))
    session.flush()
    audit.append(session, [audit.entry(session, "login", "user", user.id, user_id=user.id)])
    return LoginResponse(token=issued.token, expires_at=issued.expires_at,
                         user=_user_read(session, user))


def _user_read(session: Session, user: User) -> UserRead:
    """The signed-in user's own account: everyone may see all of their own."""
    own = Principal(user.id, user.username, user.name, user.department_id,
                    Permissions(admin=True))
    return UserRead.model_validate(binding("user").service.present(session, own, user))


@router.post("/auth/logout", status_code=204)
def logout(request: Request, caller: Caller) -> Response:
    with signed_in(request, caller) as (session, user):
        if user.session_id is not None:
            sessions.revoke(session, user.session_id)
        audit.append(session, [audit.entry(session, "logout", "user", user.user_id)])
    return Response(status_code=204)


@router.post("/auth/password", status_code=204)
def change_password(request: Request, caller: Caller, payload: PasswordChange) -> Response:
    """The signed-in user changes their own password. A wrong current password counts as a
    failed sign-in for the rate limits (a stolen token must not become a way to guess the
    password). The user's other sessions end; this one goes on."""
    address = client_address(request)
    with signed_in(request, caller) as (session, user):
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
def me(request: Request, caller: Caller) -> Response:
    """The signed-in user and what their roles allow (a previewed role's grants while
    previewing), so the client hides what cannot be done."""
    with signed_in(request, caller) as (session, user):
        record = session.get_one(User, user.user_id)
        found = Me(user=_user_read(session, record), permissions=user.permissions,
                   must_change_password=sessions.password_change_due(session, record),
                   preview_role_id=user.preview_role_id)
    return json_response(Me, found)
