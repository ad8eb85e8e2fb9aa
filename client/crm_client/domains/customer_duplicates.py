"""The duplicate check of a new customer, added to the generic form.

While the name or the credit code is typed, a hint names a similar existing customer (and
who owns it) with a button to open it; when the server warns on save, the person confirms
before the customer is created anyway (Cancel is the default: a duplicate takes a
deliberate click, not a stray Enter).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLineEdit, QMessageBox, QWidget

from crm_client.core.i18n import _
from crm_client.views.form_extension import FormExtension
from crm_client.views.screens import register_form
from crm_client.widgets.duplicate_hint import DuplicateHintBanner, describe_matches
from crm_common.errors import DuplicateWarning
from crm_common.schemas.customer import DuplicateMatch

if TYPE_CHECKING:
    from crm_common.errors import ApiError

CHECKED_FIELDS = ("name", "uscc")  # leaving one of these asks the server for similar ones


class DuplicateCheckExtension(FormExtension):
    """``hint`` above the fields of a new customer; ``box`` the confirmation on save."""

    hint: DuplicateHintBanner | None = None
    box: QMessageBox | None = None

    def banner(self) -> QWidget | None:
        if self.form.record_id is not None:
            return None
        self.hint = DuplicateHintBanner(self.form.ctx, self.form)
        self.hint.sig_open_record.connect(self.form.sig_open_record)
        return self.hint

    def fields_ready(self) -> None:
        if self.hint is None:
            return
        for name in CHECKED_FIELDS:
            editor = self.form.editors.get(name)
            if (editor is not None and self.form.is_editable(name)
                    and isinstance(editor.widget, QLineEdit)):
                editor.widget.editingFinished.connect(self._check)

    def handle_save_failure(self, error: ApiError) -> bool:
        if not isinstance(error, DuplicateWarning):
            return False
        self._confirm(error)
        return True

    def _check(self) -> None:
        editors = self.form.editors
        if self.hint is not None and "name" in editors:
            uscc = editors.get("uscc")
            self.hint.check(editors["name"].value(), uscc.value() if uscc is not None else None)

    def _confirm(self, error: DuplicateWarning) -> None:
        matches = [DuplicateMatch.model_validate(m) for m in (error.data or {}).get("matches", [])]
        payload = self.form.create_payload()
        box = QMessageBox(QMessageBox.Icon.Question, _("Possible duplicate"),
                          (describe_matches(matches) if matches else error.detail)
                          + "\n\n" + _("Create this customer anyway?"), parent=self.form)
        create = box.addButton(_("Create anyway"), QMessageBox.ButtonRole.AcceptRole)
        cancel = box.addButton(_("Cancel"), QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(cancel)
        box.setEscapeButton(cancel)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)

        def answered(_result: int) -> None:
            if box.clickedButton() is create:
                self.form.send_create(payload, confirm=True)

        box.finished.connect(answered)
        self.box = box
        box.open()


register_form("customer", DuplicateCheckExtension)
