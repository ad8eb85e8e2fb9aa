"""``ApiClient``: every call the desktop client makes to the server, typed both ways.

Synchronous httpx on purpose: calls run on the task runner's thread pool (``core.tasks``),
never on the GUI thread, and a plain function per endpoint is easy to read and to test.
Errors come back as the exceptions the server raised (``crm_common.errors``), or as
``ServerUnreachable`` / ``CertificateChanged`` / ``CertificateRejected`` when there was no
trustworthy answer at all. The client is safe to share between worker threads.

A read (GET) that finds the server busy or its database unavailable (503, 429, a gateway
error) or the connection dropped is repeated by itself, with a growing pause that is at least
the server's ``Retry-After``, for up to ``retry_budget`` seconds; then the last error is
raised. Writes are never repeated: whether a write whose answer was lost took effect is not
known, and sending it twice could create a record twice. ``RETRY_LISTENER`` hears when a call
starts and stops waiting to retry, so the window can say so.
"""

from __future__ import annotations

import builtins
import hashlib
import mimetypes
import os
import platform
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from email.message import Message
from email.utils import collapse_rfc2231_value
from enum import Enum
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import httpx
from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import to_jsonable_python

import crm_client
from crm_client.api import trust
from crm_client.api.errors import (
    CertificateChanged,
    CertificateRejected,
    ClientError,
    DownloadCancelled,
    ServerUnreachable,
)
from crm_client.api.imports import ImportFile, MappingTemplate
from crm_common import API_PREFIX
from crm_common.entities import EntitySpec
from crm_common.errors import (
    ApiError,
    ErrorBody,
    InternalError,
    TooManyRequests,
    Unauthenticated,
    Unavailable,
    error_from_body,
)
from crm_common.i18n import N_, normalise_language, translate
from crm_common.schemas.activity import ActivityRead
from crm_common.schemas.attachment import AttachmentRead
from crm_common.schemas.auth import (
    Health,
    HistoryEntry,
    LoginResponse,
    Me,
    SearchHit,
    SearchResults,
)
from crm_common.schemas.backups import BackupList
from crm_common.schemas.customer import DuplicateMatch
from crm_common.schemas.imports import Layout, ProblemPage
from crm_common.schemas.job import JobRead
from crm_common.schemas.release import ClientRelease
from crm_common.schemas.security import SecurityPolicy, SessionRead
from crm_common.tlsinfo import fingerprint

_HISTORY = TypeAdapter(list[HistoryEntry])
_SESSIONS = TypeAdapter(list[SessionRead])
PREVIEW_HEADER = "X-Preview-Role"
_DUPLICATES = TypeAdapter(list[DuplicateMatch])
_ACTIVITIES = TypeAdapter(list[ActivityRead])
_MAPPINGS = TypeAdapter(list[MappingTemplate])
MAPPINGS_PATH = "/import-mappings"
_TRANSFER_TIMEOUT = 300.0
# An idle connection is dropped after this long, before the server would close it
# (``crm_server.serve.KEEP_ALIVE_SECONDS``), so no request races the server's close.
KEEPALIVE_SECONDS = 15.0
_UNSAFE_FILENAME = re.compile(r'[\x00-\x1f<>:"/\\|?*]+')
_GATEWAY_STATUSES = frozenset({502, 503, 504})
# How long a read keeps retrying while the server is busy or its database is away: a database
# restart takes seconds, and after half a minute the person is better told.
READ_RETRY_BUDGET = 30.0
_FIRST_PAUSE, _LONGEST_PAUSE = 0.5, 8.0
# Called on the calling thread with True when a call starts waiting to retry, False when it
# is done (answered or given up); the task runner sets it for the calls it runs.
RETRY_LISTENER: ContextVar[Callable[[bool], None] | None] = ContextVar("retry_listener",
                                                                       default=None)


@dataclass(frozen=True)
class PageResult:
    """One page of a list: records, the cursor of the next page, and the (estimated) total."""

    items: list[BaseModel]
    next: str | None
    total: int
    total_exact: bool


def normalise_base_url(address: str) -> str:
    """``crm.company.local:8443/`` → ``https://crm.company.local:8443``; raises ValueError
    for something that is not a server address."""
    text = address.strip()
    if "://" not in text:
        text = f"https://{text}"
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("https", "http") or not parts.hostname:
        raise ValueError(address)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{parts.path.rstrip('/')}"


def query_params(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Query pairs: ``None`` dropped, sequences repeated (``level=A&level=B``), bools as
    ``true``/``false``, dates ISO, enums by value."""
    pairs: list[tuple[str, str]] = []
    for key, value in params.items():
        values = value if isinstance(value, list | tuple | set | frozenset) else [value]
        pairs.extend((key, _param_text(item)) for item in values if item is not None)
    return pairs


def _param_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def accept_language(language: str) -> str:
    return "en" if normalise_language(language) == "en" else "zh-CN"


def user_agent() -> str:
    """``CRM-Client/0.1.0 (Windows 10)``: what the administrator sees in the list of sign-in
    sessions, instead of the HTTP library's name."""
    system = f"{platform.system()} {platform.release()}".strip() or "unknown"
    return f"CRM-Client/{crm_client.__version__} ({system})".encode("ascii", "replace").decode()


def with_retry_after(error: ApiError, response: httpx.Response) -> ApiError:
    """Copy a ``Retry-After`` header given in seconds into ``error.data`` (as
    ``retry_after_seconds``), where the body's own value is the fallback."""
    header = response.headers.get("retry-after", "").strip()
    if header.isascii() and header.isdigit():
        error.data = {**(error.data or {}), "retry_after_seconds": int(header)}
    return error


def retry_pause(error: Exception, attempt: int) -> float | None:
    """Seconds to wait before repeating a read that failed with ``error`` (``attempt`` 0 the
    first time), or None when repeating cannot help: doubling pauses with some jitter, so many
    clients do not come back at the same instant, and never shorter than ``Retry-After``. A
    read that timed out is not repeated: the server is working on it, and would again."""
    if isinstance(error, ServerUnreachable):
        if isinstance(error.__cause__, httpx.ReadTimeout):
            return None
        server_says = 0.0
    elif isinstance(error, Unavailable | TooManyRequests):
        server_says = float((error.data or {}).get("retry_after_seconds", 0))
    else:
        return None
    backoff = min(_FIRST_PAUSE * 2.0**attempt, _LONGEST_PAUSE) * random.uniform(1.0, 1.25)
    return max(server_says, backoff)


class ApiClient:
    """One signed-in (or signing-in) connection to one server."""

    def __init__(
        self,
        base_url: str,
        ca_pem: str | None,
        *,
        language: str = "zh_CN",
        timeout: float = 15.0,
        retry_budget: float = READ_RETRY_BUDGET,
    ) -> None:
        self.base_url = normalise_base_url(base_url)
        self.ca_pem = ca_pem
        self.language = normalise_language(language)
        self.timeout = timeout
        self.retry_budget = retry_budget
        self._closed = threading.Event()  # ends the pauses of reads waiting to retry
        self.token: str | None = None
        self.preview_role_id: int | None = None
        self._http = httpx.Client(
            base_url=self.base_url + API_PREFIX,
            verify=self._ssl_context(),
            timeout=timeout,
            limits=httpx.Limits(keepalive_expiry=KEEPALIVE_SECONDS),
            headers={"Accept-Language": accept_language(language), "User-Agent": user_agent()},
        )

    def _ssl_context(self) -> Any:
        if not self.base_url.startswith("https://"):
            return True
        return trust.pinned_context(self.ca_pem) if self.ca_pem else trust.system_context()

    @property
    def host(self) -> str:
        return urlsplit(self.base_url).netloc

    def close(self) -> None:
        self._closed.set()
        self._http.close()

    # --- session -----------------------------------------------------------------------

    def login(self, username: str, password: str) -> LoginResponse:
        """Sign in; the token is kept and sent with every later call."""
        response = self._request(
            "POST", "/auth/login", json={"username": username, "password": password}
        )
        login = LoginResponse.model_validate_json(response.content)
        self.token = login.token
        return login

    def logout(self) -> None:
        """Revoke the token on the server (best effort: an expired token is already gone)."""
        try:
            if self.token:
                self._request("POST", "/auth/logout")
        except Unauthenticated:
            pass
        finally:
            self.token = None

    def me(self) -> Me:
        return Me.model_validate_json(self._request("GET", "/me").content)

    def health(self, retry: bool = True) -> Health:
        """The server's health; ``retry=False`` asks once, to notice a server that went away
        (one restarting into a restored backup) instead of waiting for it."""
        send = self._request if retry else self._send
        return Health.model_validate_json(send("GET", "/health").content)

    def preview(self, role_id: int) -> ApiClient:
        """A client on the same server and session that reads as role ``role_id`` would
        (administrators only; the server refuses every write). Close it when done; never
        ``logout`` on it — that would end the administrator's own session."""
        client = ApiClient(self.base_url, self.ca_pem, language=self.language,
                           timeout=self.timeout, retry_budget=self.retry_budget)
        client.token = self.token
        client.preview_role_id = role_id
        return client

    # --- passwords and sessions --------------------------------------------------------------

    def change_password(self, current: str, new: str) -> None:
        """Change the signed-in user's own password (also when the server demands it)."""
        self._request("POST", "/auth/password",
                      json={"current_password": current, "new_password": new})

    def reset_password(self, user_id: int, password: str) -> None:
        """Administrators: set a user's password; they must change it at the next sign-in
        and their sessions end now."""
        self._request("POST", f"/users/{user_id}/reset-password", json={"password": password})

    def security_policy(self) -> SecurityPolicy:
        """The password, lockout and session rules (everyone may read them)."""
        return SecurityPolicy.model_validate_json(
            self._request("GET", "/security/policy").content)

    def update_security_policy(self, version: int, changes: Mapping[str, Any]) -> SecurityPolicy:
        """Administrators: change only ``changes``; a stale ``version`` raises ``StaleVersion``."""
        payload = {**changes, "version": version}
        return SecurityPolicy.model_validate_json(
            self._request("PATCH", "/security/policy", json=payload).content)

    def sessions(self, user_id: int | None = None) -> builtins.list[SessionRead]:
        """Live sign-in sessions, newest first: of one user, or everyone's (administrators)."""
        params = [("user_id", str(user_id))] if user_id is not None else None
        return _SESSIONS.validate_json(self._request("GET", "/sessions", params=params).content)

    def revoke_session(self, session_id: int) -> None:
        """End a sign-in session now."""
        self._request("POST", f"/sessions/{session_id}/revoke")

    # --- generic entity routes -----------------------------------------------------------

    def list(self, spec: EntitySpec, params: Mapping[str, Any]) -> PageResult:
        response = self._request("GET", f"/{spec.path}", params=query_params(params))
        data = response.json()
        return PageResult(
            items=[spec.read.model_validate(item) for item in data["items"]],
            next=data.get("next"),
            total=int(data.get("total", 0)),
            total_exact=bool(data.get("total_exact", False)),
        )

    def get(self, spec: EntitySpec, record_id: int) -> BaseModel:
        response = self._request("GET", f"/{spec.path}/{record_id}")
        return spec.read.model_validate_json(response.content)

    def create(
        self, spec: EntitySpec, data: Mapping[str, Any], *, confirm: bool = False
    ) -> BaseModel:
        """Create a record; ``confirm`` creates it despite a duplicate warning."""
        params = [("confirm", "true")] if confirm else None
        response = self._request("POST", f"/{spec.path}", json=dict(data), params=params)
        return spec.read.model_validate_json(response.content)

    def update(
        self, spec: EntitySpec, record_id: int, version: int, changes: Mapping[str, Any]
    ) -> BaseModel:
        """Change only ``changes``; a stale ``version`` raises ``StaleVersion``."""
        payload = {**changes, "version": version}
        response = self._request("PATCH", f"/{spec.path}/{record_id}", json=payload)
        return spec.read.model_validate_json(response.content)

    def delete(self, spec: EntitySpec, record_id: int, version: int) -> None:
        self._request("DELETE", f"/{spec.path}/{record_id}", params=[("version", str(version))])

    def restore(self, spec: EntitySpec, record_id: int) -> BaseModel:
        response = self._request("POST", f"/{spec.path}/{record_id}/restore")
        return spec.read.model_validate_json(response.content)

    def history(self, spec: EntitySpec, record_id: int) -> builtins.list[HistoryEntry]:
        response = self._request("GET", f"/{spec.path}/{record_id}/history")
        return _HISTORY.validate_json(response.content)

    # --- specific routes -------------------------------------------------------------------

    def find_duplicates(
        self, name: str, uscc: str | None, exclude_id: int | None = None
    ) -> builtins.list[DuplicateMatch]:
        payload = {"name": name, "uscc": uscc, "exclude_id": exclude_id}
        response = self._request("POST", "/customers/duplicates", json=payload)
        return _DUPLICATES.validate_json(response.content)

    def open_follow_ups(self, limit: int = 20) -> builtins.list[ActivityRead]:
        """My follow-ups whose next date is still open (their customer's latest), soonest
        first."""
        response = self._request("GET", "/follow-ups/open", params=[("limit", str(limit))])
        return _ACTIVITIES.validate_json(response.content)

    def start_job(self, kind: str, params: Mapping[str, Any]) -> JobRead:
        """Queue a background job on the server (``crm_server.kit.jobs``)."""
        response = self._request("POST", "/jobs", json={"kind": kind, "params": dict(params)})
        return JobRead.model_validate_json(response.content)

    def job_file(self, job_id: int) -> bytes:
        """The file a job of the user's wrote (an export)."""
        return self._request("GET", f"/jobs/{job_id}/file").content

    def cancel_job(self, job_id: int) -> JobRead:
        """Cancel a queued job now, a running one at its next batch."""
        response = self._request("POST", f"/jobs/{job_id}/cancel")
        return JobRead.model_validate_json(response.content)

    def search(self, q: str, limit: int = 20) -> builtins.list[SearchHit]:
        params = [("q", q), ("limit", str(limit))]
        response = self._request("GET", "/search", params=params)
        return SearchResults.model_validate_json(response.content).hits

    def upload(self, entity: str, record_id: int, path: Path) -> AttachmentRead:
        """Attach the file at ``path`` to a record (``PayloadTooLarge`` over the limit)."""
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        with path.open("rb") as stream:
            response = self._request(
                "POST",
                "/attachments",
                data={"entity": entity, "record_id": str(record_id)},
                files={"file": (path.name, stream, content_type)},
                timeout=self._transfer_timeout(),
            )
        return AttachmentRead.model_validate_json(response.content)

    def download(self, attachment_id: int, dest_dir: Path) -> Path:
        """Save an attachment in ``dest_dir`` under its original name (``name (2).ext`` when
        that exists already) and return the path. Nothing is left behind on failure."""
        url = f"/attachments/{attachment_id}/content"
        with self._stream("GET", url) as response:
            name = filename_from_disposition(response.headers.get("content-disposition"))
            target = unique_path(dest_dir, name or f"attachment-{attachment_id}")
            _save_body(response, target)
        return target

    # --- import (issue 10) -------------------------------------------------------------------

    def upload_import(self, entity: str, path: Path) -> ImportFile:
        """Upload a spreadsheet to import into ``entity`` (``PayloadTooLarge`` over the limit,
        ``BadRequest`` for a file that is no readable spreadsheet)."""
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        with path.open("rb") as stream:
            response = self._request("POST", "/imports", data={"entity": entity},
                                     files={"file": (path.name, stream, content_type)},
                                     timeout=self._transfer_timeout())
        return ImportFile.model_validate_json(response.content)

    def import_layout(self, import_id: int, sheet: str | None = None,
                      header_row: int | None = None) -> Layout:
        """The columns of ``sheet`` under ``header_row`` (1-based) with their automatic
        mapping; without them the server takes the first sheet and finds the header."""
        params = query_params({"sheet": sheet, "header_row": header_row})
        response = self._request("GET", f"/imports/{import_id}/layout", params=params)
        return Layout.model_validate_json(response.content)

    def import_problems(self, import_id: int, verdict: str | None = None,
                        after: str | None = None, limit: int = 200) -> ProblemPage:
        """One page of the last run's problems, in row order (``next`` pages on)."""
        params = query_params({"verdict": verdict, "after": after, "limit": limit})
        response = self._request("GET", f"/imports/{import_id}/problems", params=params)
        return ProblemPage.model_validate_json(response.content)

    def import_errors_file(self, import_id: int, target: Path) -> Path:
        """Save the error report (the failed rows, an error column, bad cells marked) as
        ``target``; nothing is left behind on failure."""
        with self._stream("GET", f"/imports/{import_id}/errors") as response:
            _save_body(response, target)
        return target

    def import_mappings(self, entity: str) -> builtins.list[MappingTemplate]:
        """The saved mapping templates of ``entity``, by name."""
        params = query_params({"entity": entity, "sort": "name", "limit": 500})
        response = self._request("GET", MAPPINGS_PATH, params=params)
        return _MAPPINGS.validate_python(response.json()["items"])

    def save_import_mapping(self, entity: str, name: str, columns: Mapping[str, str],
                            replacing: MappingTemplate | None = None) -> MappingTemplate:
        """Save a mapping template as ``name``, or change the columns of ``replacing``."""
        if replacing is None:
            payload: dict[str, Any] = {"name": name, "entity": entity, "columns": dict(columns)}
            response = self._request("POST", MAPPINGS_PATH, json=payload)
        else:
            payload = {"columns": dict(columns), "version": replacing.version}
            response = self._request("PATCH", f"{MAPPINGS_PATH}/{replacing.id}", json=payload)
        return MappingTemplate.model_validate_json(response.content)

    def delete_import_mapping(self, template: MappingTemplate) -> None:
        self._request("DELETE", f"{MAPPINGS_PATH}/{template.id}",
                      params=[("version", str(template.version))])

    # --- client updates ---------------------------------------------------------------------

    def client_release(self) -> ClientRelease:
        """The newest client installer the server offers (``NotFound`` when it offers none)."""
        return ClientRelease.model_validate_json(self._request("GET", "/client/latest").content)

    def download_installer(
        self,
        file_name: str,
        target: Path,
        progress: Callable[[int], None],
        cancelled: threading.Event,
    ) -> str:
        """Save the server's installer ``file_name`` as ``target`` and return its SHA-256;
        progress, Cancel and clean-up as ``_save_body`` says."""
        return self._save_stream(f"/client/download/{quote(file_name)}", target, progress,
                                 cancelled)

    # --- backups (administrators) -----------------------------------------------------------

    def backups(self) -> BackupList:
        """The backups in the server's backup directory, newest first, and their health."""
        return BackupList.model_validate_json(self._request("GET", "/backups").content)

    def download_backup(
        self,
        name: str,
        target: Path,
        progress: Callable[[int], None],
        cancelled: threading.Event,
    ) -> str:
        """Save the backup archive ``name`` as ``target`` and return its SHA-256; progress,
        Cancel and clean-up as ``_save_body`` says (never the whole archive in memory)."""
        return self._save_stream(f"/backups/{quote(name)}/file", target, progress, cancelled)

    # --- plumbing ----------------------------------------------------------------------------

    def _save_stream(self, url: str, target: Path, progress: Callable[[int], None],
                     cancelled: threading.Event) -> str:
        """Stream ``url`` into ``target`` (``_save_body``) and return its SHA-256 (hex)."""
        with self._stream("GET", url) as response:
            return _save_body(response, target, progress, cancelled)

    def _transfer_timeout(self) -> httpx.Timeout:
        return httpx.Timeout(self.timeout, read=_TRANSFER_TIMEOUT, write=_TRANSFER_TIMEOUT)

    def _headers(self) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        if self.preview_role_id is not None:
            headers[PREVIEW_HEADER] = str(self.preview_role_id)
        return headers

    def _request(
        self,
        method: str,
        url: str,
        *,
        params: builtins.list[tuple[str, str]] | None = None,
        json: Any = None,
        **kwargs: Any,
    ) -> httpx.Response:
        def send() -> httpx.Response:
            return self._send(method, url, params=params, json=json, **kwargs)

        return self._with_retries(send) if method == "GET" else send()

    def _with_retries(self, send: Callable[[], httpx.Response]) -> httpx.Response:
        """``send()``, repeated while it fails in a way a pause may cure (``retry_pause``)
        and the budget lasts."""
        deadline = time.monotonic() + self.retry_budget
        listener = RETRY_LISTENER.get()
        waiting, attempt = False, 0
        try:
            while True:
                try:
                    return send()
                except (ServerUnreachable, ApiError) as error:
                    pause = retry_pause(error, attempt)
                    if pause is None or time.monotonic() + pause > deadline:
                        raise
                    if listener is not None and not waiting:
                        listener(True)
                    waiting, attempt = True, attempt + 1
                    if self._closed.wait(pause):
                        raise
        finally:
            if listener is not None and waiting:
                listener(False)

    def _send(
        self,
        method: str,
        url: str,
        *,
        params: builtins.list[tuple[str, str]] | None = None,
        json: Any = None,
        **kwargs: Any,
    ) -> httpx.Response:
        body = None if json is None else to_jsonable_python(json)
        try:
            response = self._http.request(
                method,
                url,
                params=tuple(params) if params else None,
                json=body,
                headers=self._headers(),
                **kwargs,
            )
        except httpx.TransportError as exc:
            raise self._transport_failure(exc) from exc
        if not response.is_success:
            raise self._error_from(response)
        return response

    @contextmanager
    def _stream(self, method: str, url: str) -> Iterator[httpx.Response]:
        try:
            with self._http.stream(
                method, url, headers=self._headers(), timeout=self._transfer_timeout()
            ) as response:
                if not response.is_success:
                    response.read()
                    raise self._error_from(response)
                yield response
        except httpx.TransportError as exc:
            raise self._transport_failure(exc) from exc

    def _error_from(self, response: httpx.Response) -> ApiError:
        """The typed error the server sent, or a clear one when the body is not ours (a proxy
        or a crashed server answering instead)."""
        try:
            return with_retry_after(
                error_from_body(ErrorBody.model_validate_json(response.content)), response
            )
        except (ValidationError, ValueError, KeyError):
            pass
        if response.status_code in _GATEWAY_STATUSES:
            message = N_(
                "The server is not available right now (HTTP {status}). "
                "Please try again in a moment."
            )
            return Unavailable(self._tr(message).format(status=response.status_code))
        message = N_(
            "The server sent an unexpected answer (HTTP {status}). "
            "If this keeps happening, contact your IT department."
        )
        return InternalError(self._tr(message).format(status=response.status_code))

    def _transport_failure(self, exc: httpx.TransportError) -> ClientError:
        failure = trust.verification_error(exc)
        if failure is None:
            return ServerUnreachable(self.base_url, str(exc) or type(exc).__name__)
        if self.ca_pem is None:
            return CertificateRejected(
                self.base_url, trust.reject_reason(failure), failure.verify_message or ""
            )
        pinned = fingerprint(self.ca_pem)
        presented = trust.presented_ca_fingerprint(self.base_url, self.timeout)
        if presented == pinned:
            # Same CA, yet no trust: wrong address for the certificate, or it expired.
            return CertificateRejected(
                self.base_url, trust.reject_reason(failure), failure.verify_message or ""
            )
        return CertificateChanged(pinned, presented)

    def _tr(self, text: str) -> str:
        return translate(text, self.language)


def _save_body(response: httpx.Response, target: Path,
               progress: Callable[[int], None] | None = None,
               cancelled: threading.Event | None = None) -> str:
    """Write a streamed body to ``target`` through a ``.part`` file, whole or not at all, and
    return its SHA-256 (hex); the file is never held in memory. ``progress(bytes so far)``
    is called as it arrives; setting ``cancelled`` stops it with ``DownloadCancelled``."""
    partial = target.with_name(target.name + ".part")
    digest, received = hashlib.sha256(), 0
    try:
        with partial.open("wb") as out:
            for chunk in response.iter_bytes():
                if cancelled is not None and cancelled.is_set():
                    raise DownloadCancelled(target.name)
                out.write(chunk)
                digest.update(chunk)
                received += len(chunk)
                if progress is not None:
                    progress(received)
        os.replace(partial, target)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return digest.hexdigest()


def filename_from_disposition(header: str | None) -> str | None:
    """The original file name from ``Content-Disposition`` (RFC 6266 ``filename*`` first),
    reduced to a safe base name."""
    if not header:
        return None
    message = Message()
    message["content-disposition"] = header
    params = message.get_params(header="content-disposition") or []
    values = [value for key, value in params if key == "filename"]
    extended = [v for v in values if isinstance(v, tuple)]  # filename*=UTF-8''… wins
    chosen = extended[0] if extended else (values[0] if values else None)
    name = collapse_rfc2231_value(chosen) if chosen else None
    if not name:
        return None
    name = _UNSAFE_FILENAME.sub("_", name.replace("\\", "/").rsplit("/", 1)[-1]).strip(" .")
    return name or None


def unique_path(directory: Path, name: str) -> Path:
    """``directory/name``, or ``name (2).ext`` … when that is taken: never overwrite."""
    candidate = directory / name
    stem, suffix = Path(name).stem, Path(name).suffix
    counter = 2
    while candidate.exists():
        candidate = directory / f"{stem} ({counter}){suffix}"
        counter += 1
    return candidate
