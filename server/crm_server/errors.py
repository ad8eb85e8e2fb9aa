"""Turning every failure into the shared error body (``crm_common.errors.ErrorBody``), in
the request's language. Nothing reaches the client as a bare 500 page or a stack trace."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy import exc as sa_exc
from starlette.exceptions import HTTPException

from crm_common.errors import (
    ApiError,
    BadRequest,
    DatabaseUnavailable,
    InternalError,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    Unauthenticated,
    ValidationFailed,
)
from crm_common.i18n import N_, translate
from crm_server.db import engine
from crm_server.kit.web import language_of

log = logging.getLogger("crm.errors")

# Seconds a client should wait before repeating a request the database could not serve: a
# PostgreSQL restart takes a second or two, and the pool reconnects on the next request.
DATABASE_RETRY_AFTER = 2

# pydantic error types → our messages (the English source strings of the catalogue).
MESSAGES: dict[str, str] = {
    "missing": N_("This field is required"),
    "extra_forbidden": N_("Unknown field"),
    "string_too_short": N_("Too short"),
    "string_too_long": N_("Too long"),
    "string_pattern_mismatch": N_("Contains characters that are not allowed"),
    "enum": N_("Not one of the allowed values"),
    "literal_error": N_("Not one of the allowed values"),
    "int_parsing": N_("Must be a whole number"),
    "int_type": N_("Must be a whole number"),
    "bool_parsing": N_("Must be true or false"),
    "bool_type": N_("Must be true or false"),
    "string_type": N_("Must be text"),
    "date_from_datetime_parsing": N_("Not a valid date"),
    "date_parsing": N_("Not a valid date"),
    "datetime_parsing": N_("Not a valid date and time"),
    "datetime_from_date_parsing": N_("Not a valid date and time"),
    "list_type": N_("Must be a list"),
    "too_long": N_("Too many values"),
    "greater_than_equal": N_("Too small"),
    "less_than_equal": N_("Too large"),
    "model_attributes_type": N_("Must be an object"),
    "dict_type": N_("Must be an object"),
}


def _field_message(error: dict[str, Any], language: str) -> str:
    if error["type"] == "value_error":
        source = str(error.get("ctx", {}).get("error", error["msg"]))
    else:
        source = MESSAGES.get(error["type"], error["msg"])
    return translate(source, language)


def _field_name(error: dict[str, Any]) -> str:
    location = [str(part) for part in error["loc"] if part not in ("body", "query", "path")]
    return ".".join(location) or "body"


class ErrorResponse(JSONResponse):
    """An error body that can always be sent. Errors may echo what the client sent (a
    filter value, a key of its payload), which may hold a lone surrogate that UTF-8 cannot
    encode: it goes out as its JSON escape (``\\ud800``) instead of failing the answer."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, allow_nan=False,
                          separators=(",", ":")).encode("utf-8", "backslashreplace")


def _respond(error: ApiError, language: str, headers: dict[str, str] | None = None,
             status: int | None = None) -> JSONResponse:
    body = error.body()
    body.detail = translate(body.detail, language)
    if body.fields:
        body.fields = {k: translate(v, language) for k, v in body.fields.items()}
    return ErrorResponse(body.model_dump(mode="json", exclude_none=True),
                         status_code=status or error.status, headers=headers)


async def on_api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    headers = {"WWW-Authenticate": "Bearer"} if isinstance(exc, Unauthenticated) else {}
    if isinstance(exc, TooManyRequests) and exc.data and "retry_after_seconds" in exc.data:
        headers["Retry-After"] = str(exc.data["retry_after_seconds"])
    return _respond(exc, language_of(request), headers or None)


async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    language = language_of(request)
    errors = list(exc.errors())
    if any(e["type"] == "json_invalid" for e in errors):
        return _respond(BadRequest(N_("The request body is not valid JSON")), language)
    fields: dict[str, str] = {}
    for error in errors:
        fields.setdefault(_field_name(error), _field_message(error, language))
    return _respond(ValidationFailed(N_("Please correct the marked fields"), fields), language)


async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, HTTPException)
    mapped: ApiError
    if exc.status_code == 404:
        mapped = NotFound(N_("No such address on this server"))
    elif exc.status_code == 413:
        mapped = PayloadTooLarge(N_("The request is too large"))
    else:
        mapped = BadRequest(str(exc.detail))
        return _respond(mapped, language_of(request), status=exc.status_code)
    return _respond(mapped, language_of(request))


async def on_database_error(request: Request, exc: Exception) -> JSONResponse:
    """503 with ``Retry-After`` when the database cannot serve now (``engine.unavailable``):
    the request's transaction was rolled back, so it changed nothing and may be repeated.
    Any other database error is a fault, answered 500 like any unexpected one."""
    if not engine.unavailable(exc):
        raise exc
    log.warning("database unavailable on %s %s: %s", request.method, request.url.path,
                str(exc).splitlines()[0])
    return _respond(DatabaseUnavailable(N_("The database is unavailable, please try again "
                                           "shortly")),
                    language_of(request), {"Retry-After": str(DATABASE_RETRY_AFTER)})


async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.exception("unhandled error on %s %s", request.method, request.url.path)
    return _respond(InternalError(N_("The server met an unexpected error")),
                    language_of(request))


def install(app: FastAPI) -> None:
    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(sa_exc.DBAPIError, on_database_error)
    app.add_exception_handler(sa_exc.TimeoutError, on_database_error)
    app.add_exception_handler(Exception, on_unexpected)
