"""The one error body both sides speak: ``{"error": code, "detail": text, "fields": {...}}``.

The server raises ``ApiError`` subclasses (each knows its HTTP status); the client turns the
body back into the same typed exception, so code on both sides handles ``StaleVersion`` and
not "HTTP 409 with some text".
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, ClassVar

from pydantic import BaseModel


class ErrorCode(StrEnum):
    BAD_REQUEST = "bad_request"
    VALIDATION = "validation_error"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    NOT_FOUND = "not_found"
    STALE_VERSION = "stale_version"
    DUPLICATE = "duplicate"
    DUPLICATE_WARNING = "duplicate_warning"
    CONFLICT = "conflict"
    ACCOUNT_LOCKED = "account_locked"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    TOO_MANY_REQUESTS = "too_many_requests"
    PASSWORD_CHANGE_REQUIRED = "password_change_required"
    UNAVAILABLE = "unavailable"
    DATABASE_UNAVAILABLE = "database_unavailable"
    INTERNAL = "internal_error"


class ErrorBody(BaseModel):
    """What every failed API call returns. ``data`` carries extras, e.g. the current record
    on a stale-version conflict or the matching records on a duplicate warning."""

    error: ErrorCode
    detail: str
    fields: dict[str, str] | None = None
    data: dict[str, Any] | None = None


class ApiError(Exception):
    """Base of every error that crosses the wire."""

    code: ClassVar[ErrorCode] = ErrorCode.BAD_REQUEST
    status: ClassVar[int] = 400

    def __init__(
        self,
        detail: str,
        fields: dict[str, str] | None = None,
        data: dict[str, Any] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        self.fields = fields
        self.data = data

    def body(self) -> ErrorBody:
        return ErrorBody(error=self.code, detail=self.detail, fields=self.fields, data=self.data)


class BadRequest(ApiError):
    code, status = ErrorCode.BAD_REQUEST, 400


class ValidationFailed(ApiError):
    code, status = ErrorCode.VALIDATION, 422


class Unauthenticated(ApiError):
    code, status = ErrorCode.UNAUTHENTICATED, 401


class Forbidden(ApiError):
    code, status = ErrorCode.FORBIDDEN, 403


class NotFound(ApiError):
    code, status = ErrorCode.NOT_FOUND, 404


class StaleVersion(ApiError):
    code, status = ErrorCode.STALE_VERSION, 409


class Duplicate(ApiError):
    code, status = ErrorCode.DUPLICATE, 409


class DuplicateWarning(ApiError):
    code, status = ErrorCode.DUPLICATE_WARNING, 409


class Conflict(ApiError):
    code, status = ErrorCode.CONFLICT, 409


class AccountLocked(ApiError):
    code, status = ErrorCode.ACCOUNT_LOCKED, 423


class PayloadTooLarge(ApiError):
    code, status = ErrorCode.PAYLOAD_TOO_LARGE, 413


class TooManyRequests(ApiError):
    code, status = ErrorCode.TOO_MANY_REQUESTS, 429


class PasswordChangeRequired(ApiError):
    """The password was reset by an administrator or has expired: change it first."""

    code, status = ErrorCode.PASSWORD_CHANGE_REQUIRED, 403


class Unavailable(ApiError):
    code, status = ErrorCode.UNAVAILABLE, 503


class DatabaseUnavailable(Unavailable):
    """The server is up but cannot reach its database (restarting, down, overloaded): the
    same request may succeed after ``Retry-After`` seconds."""

    code, status = ErrorCode.DATABASE_UNAVAILABLE, 503


class InternalError(ApiError):
    code, status = ErrorCode.INTERNAL, 500


ERROR_TYPES: dict[ErrorCode, type[ApiError]] = {
    cls.code: cls
    for cls in (
        BadRequest, ValidationFailed, Unauthenticated, Forbidden, NotFound, StaleVersion,
        Duplicate, DuplicateWarning, Conflict, AccountLocked, PayloadTooLarge, TooManyRequests,
        PasswordChangeRequired, Unavailable, DatabaseUnavailable, InternalError,
    )
}


def error_from_body(body: ErrorBody) -> ApiError:
    """Rebuild the typed exception the server raised."""
    return ERROR_TYPES[body.error](body.detail, body.fields, body.data)
