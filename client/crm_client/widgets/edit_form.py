"""What the screens that edit and save something share when a call fails or the person
leaves: an unreachable server, or one whose database is unavailable, shows a Retry banner
and keeps the input (a save is never repeated by itself), a stale version goes
to the screen's own conflict handling, the server's field errors appear under their fields
(the ones without a field in the banner), and closing with unsaved changes asks first.

Mixed in before the Qt class: ``class RoleEditorDialog(EditDialogMixin, QDialog)``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from PySide6.QtWidgets import QMessageBox

from crm_client.api.errors import ServerUnreachable
from crm_client.core.i18n import _
from crm_client.widgets.banner import Banner, BannerLevel
from crm_client.widgets.field_error import FieldErrorLabel
from crm_common.errors import ApiError, StaleVersion, Unavailable

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDialog

    _Dialog = QDialog
else:
    _Dialog = object


class EditFormMixin:
    """For a dialog or page with ``banner``, ``errors`` (each field's error label, in the
    form's order) and ``_resolve_conflict(error)``. ``_retry`` is what the banner's Retry
    button runs again; ``_focus_field(name)`` puts the cursor in a field that got an error
    (nowhere unless overridden)."""

    SUMMARY_WITH_FIELD_ERRORS: ClassVar[bool] = False  # the banner also when all were placed

    banner: Banner
    errors: dict[str, FieldErrorLabel]
    _retry: Callable[[], None] | None = None

    def _resolve_conflict(self, error: StaleVersion) -> None:
        raise NotImplementedError

    def _focus_field(self, name: str) -> None:
        pass

    def _run_retry(self) -> None:
        if self._retry is not None:
            self._retry()

    def _on_load_failed(self, error: BaseException) -> bool:
        if isinstance(error, ServerUnreachable):
            self.banner.show_message(_("Cannot reach the server."), _("Retry"), BannerLevel.ERROR)
            return True
        self.banner.show_message(str(getattr(error, "detail", error)), None, BannerLevel.ERROR)
        return False

    def _on_save_failed(self, error: BaseException) -> bool:
        if isinstance(error, ServerUnreachable):
            self.banner.show_message(_("Cannot reach the server — your input has been kept."),
                                     _("Retry"), BannerLevel.ERROR)
            return True
        if isinstance(error, Unavailable):
            self.banner.show_message(
                _("The server is busy or its database is unavailable — your input has been "
                  "kept. Retry in a moment."), _("Retry"), BannerLevel.ERROR)
            return True
        if isinstance(error, StaleVersion):
            self._resolve_conflict(error)
            return True
        if isinstance(error, ApiError) and error.fields:
            self._show_field_errors(error)
            return True
        return False

    def _show_field_errors(self, error: ApiError) -> None:
        """Each message under the field its key starts with (``tags.0``: ``tags``); the
        first field with an error gets the cursor; what has no field goes to the banner."""
        unplaced: list[str] = []
        placed = False
        for key, message in (error.fields or {}).items():
            label = self.errors.get(key.split(".")[0])
            if label is None:
                unplaced.append(message if key in ("", "__root__") else f"{key}: {message}")
            else:
                label.set_error(message)
                placed = True
        first = next((name for name, label in self.errors.items() if label.has_error), None)
        if first is not None:
            self._focus_field(first)
        if unplaced or not placed or self.SUMMARY_WITH_FIELD_ERRORS:
            self.banner.show_message("\n".join([error.detail, *unplaced]), None,
                                     BannerLevel.ERROR)


class EditDialogMixin(EditFormMixin, _Dialog):
    """An edit dialog with ``is_dirty()``: Escape, Cancel and the close button ask before
    unsaved changes are thrown away (not once the changes were saved or discarded)."""

    _discard_confirmed: bool = False

    def is_dirty(self) -> bool:
        raise NotImplementedError

    def reject(self) -> None:
        if self.is_dirty() and not self._discard_confirmed:
            answer = QMessageBox.question(
                self, _("Discard changes?"),
                _("You have unsaved changes. Close the form and discard them?"),
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel,
            )
            if answer != QMessageBox.StandardButton.Discard:
                return
        self._discard_confirmed = True
        super().reject()
