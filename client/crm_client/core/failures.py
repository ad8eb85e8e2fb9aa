"""How a failed operation is explained to a person.

``describe_failure`` turns any exception from an API call into a translated title, message
and details (used inline by the sign-in dialog and in message boxes); ``FailurePresenter``
is the default the task runner falls back to when an operation did not handle its failure.
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from math import ceil

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from crm_client.api.errors import (
    CertificateChanged,
    CertificateRejected,
    RejectReason,
    ServerUnreachable,
)
from crm_client.api.trust import grouped_fingerprint
from crm_client.core.i18n import N_, _
from crm_common import errors
from crm_common.entities import REGISTRY

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FailureText:
    title: str
    message: str
    details: str = ""


_TITLES: tuple[tuple[type[BaseException], str], ...] = (
    (errors.StaleVersion, N_("Changed by someone else")),
    (errors.Forbidden, N_("Not allowed")),
    (errors.NotFound, N_("Not found")),
    (errors.ValidationFailed, N_("Please check your input")),
    (errors.DuplicateWarning, N_("Possible duplicate")),
    (errors.Duplicate, N_("Duplicate")),
    (errors.AccountLocked, N_("Account locked")),
    (errors.TooManyRequests, N_("Too many attempts")),
    (errors.PayloadTooLarge, N_("File too large")),
    (errors.Unauthenticated, N_("Not signed in")),
    (errors.PasswordChangeRequired, N_("Password change required")),
    (errors.Unavailable, N_("Server problem")),
    (errors.InternalError, N_("Server problem")),
    (errors.ApiError, N_("Could not complete the operation")),
    (CertificateChanged, N_("Server certificate changed")),
    (CertificateRejected, N_("Server certificate not accepted")),
    (ServerUnreachable, N_("Cannot reach the server")),
)

_REJECT_MESSAGES = {
    RejectReason.NOT_PUBLISHED: N_(
        "{host} did not hand out a CRM certificate authority. Please check the server address."
    ),
    RejectReason.INVALID_CA: N_(
        "{host} handed out something that is not a valid certificate "
        "authority. Please check the server address or contact "
        "your IT department."
    ),
    RejectReason.HOSTNAME_MISMATCH: N_(
        "The server's certificate was not issued for the address "
        "{host}. Use the address your IT department gave you."
    ),
    RejectReason.EXPIRED: N_(
        "The server's certificate has expired. Please contact your IT department."
    ),
    RejectReason.DOES_NOT_VERIFY: N_(
        "The server's certificate could not be verified. Please contact your IT department."
    ),
}


def failure_title(error: BaseException) -> str:
    for kind, title in _TITLES:
        if isinstance(error, kind):
            return _(title)
    return _("Unexpected error")


def certificate_changed_message(error: CertificateChanged) -> str:
    return _(
        "The server's certificate authority has changed since you last signed in. This can "
        "mean that someone is intercepting the connection, so the client refuses to connect. "
        "If the server was reinstalled on purpose, contact your IT department to confirm the "
        "new fingerprint, then forget the old one in Settings."
    )


def certificate_changed_details(error: CertificateChanged) -> str:
    presented = error.presented_fingerprint
    return "\n\n".join(
        (
            _("Trusted fingerprint (SHA-256):")
            + "\n"
            + grouped_fingerprint(error.pinned_fingerprint),
            _("Fingerprint presented now:")
            + "\n"
            + (grouped_fingerprint(presented) if presented else _("(unavailable)")),
        )
    )


def wait_minutes(error: errors.ApiError) -> int | None:
    """Whole minutes (at least one) until trying again may succeed, when the server said:
    ``data.minutes`` of a lockout, or ``retry_after_seconds`` of a rate limit (taken from
    the ``Retry-After`` header by the API client)."""
    data = error.data or {}
    minutes, seconds = data.get("minutes"), data.get("retry_after_seconds")
    if isinstance(minutes, int | float):
        return max(1, round(minutes))
    if isinstance(seconds, int | float):
        return max(1, ceil(seconds / 60))
    return None


def field_lines(fields: dict[str, str] | None, entity: str | None) -> str:
    """``Label: message`` per field error, with the registry's labels when known."""
    if not fields:
        return ""
    spec = REGISTRY.get(entity or "")
    lines = []
    for name, message in fields.items():
        label = name
        if spec is not None:
            with contextlib.suppress(KeyError):
                label = _(spec.field(name).label)
        lines.append(_("{field}: {message}").format(field=label, message=message))
    return "\n".join(lines)


def describe_failure(error: BaseException, entity: str | None = None) -> FailureText:
    """Title, message and details for any failure of an API call."""
    title = failure_title(error)
    if isinstance(error, ServerUnreachable):
        message = _(
            "Cannot reach the server {host}. Check the address and your network connection."
        ).format(host=error.host)
        return FailureText(title, message, error.reason)
    if isinstance(error, CertificateChanged):
        return FailureText(
            title, certificate_changed_message(error), certificate_changed_details(error)
        )
    if isinstance(error, CertificateRejected):
        return FailureText(
            title, _(_REJECT_MESSAGES[error.reason]).format(host=error.host), error.detail
        )
    if isinstance(error, errors.AccountLocked | errors.TooManyRequests):
        return FailureText(title, wait_message(error))
    if isinstance(error, errors.ApiError):
        return FailureText(title, error.detail, field_lines(error.fields, entity))
    log.error("unexpected failure", exc_info=error)
    message = _(
        "Something went wrong in the client. Please try again; if it keeps happening, "
        "tell your IT department what you were doing."
    )
    return FailureText(title, message, f"{type(error).__name__}: {error}")


def wait_message(error: errors.AccountLocked | errors.TooManyRequests) -> str:
    """A lockout or a rate limit, with the remaining wait when the server said."""
    minutes = wait_minutes(error)
    if minutes is None:
        return error.detail
    if isinstance(error, errors.AccountLocked):
        return _(
            "This account is locked after too many wrong passwords. "
            "Try again in {minutes} minutes."
        ).format(minutes=minutes)
    if minutes == 1:
        return _("Too many failed sign-ins from this computer. Try again in a minute.")
    return _("Too many failed sign-ins from this computer. Try again in {minutes} minutes.") \
        .format(minutes=minutes)


class FailurePresenter:
    """Shows a failure nobody handled in a message box on the operation's window. Boxes are
    non-modal to the application (window-modal), so a burst of failures cannot stack up
    nested event loops; an identical message already on screen is not repeated."""

    def __init__(self) -> None:
        self._open: dict[str, QMessageBox] = {}

    def present(self, parent: QObject | None, error: BaseException, entity: str | None) -> None:
        text = describe_failure(error, entity)
        key = text.title + "\n" + text.message
        if key in self._open:
            return
        box = QMessageBox(window_of(parent))
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(text.title)
        box.setText(text.message)
        if text.details:
            box.setInformativeText(text.details)
        box.setStandardButtons(QMessageBox.StandardButton.Ok)
        box.finished.connect(lambda _result, k=key: self._open.pop(k, None))
        self._open[key] = box
        box.open()

    def open_boxes(self) -> list[QMessageBox]:
        return list(self._open.values())


def window_of(parent: QObject | None) -> QWidget | None:
    """The top-level window to attach a dialog to."""
    if isinstance(parent, QWidget):
        return parent.window()
    active = QApplication.activeWindow()
    return active if isinstance(active, QWidget) else None
