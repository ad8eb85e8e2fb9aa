"""``FormExtension``: what one entity adds to the generic ``EntityFormDialog``.

The form names no entity. An entity whose form does a little more (administrators reset a
user's password; a new customer is checked for duplicates while it is typed) registers an
extension with ``screens.register_form``; the form makes one per dialog and calls its hooks
at their moment. Every hook of the base does nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtWidgets import QPushButton, QWidget

    from crm_client.views.entity_form import EntityFormDialog
    from crm_common.entities import FieldSpec
    from crm_common.errors import ApiError


class FormExtension:
    """Hooks into one form: ``extra_fields``, ``banner`` and ``buttons`` while it is built,
    ``fields_ready`` once its editors exist, ``handle_save_failure`` before the form's own
    handling."""

    def __init__(self, form: EntityFormDialog) -> None:
        self.form = form

    def extra_fields(self) -> list[FieldSpec]:
        """Fields to fill in that are not declared on the entity (its create schema takes
        them: a new user's first password). Not asked in forms limited to some fields."""
        return []

    def banner(self) -> QWidget | None:
        """A widget shown above the fields (a hint), None for none."""
        return None

    def buttons(self) -> list[QPushButton]:
        """Buttons at the left of Save (actions on the record)."""
        return []

    def fields_ready(self) -> None:
        """Called once the editors exist (``form.editors``): connect to them here."""

    def handle_save_failure(self, error: ApiError) -> bool:
        """True when the extension dealt with ``error`` (the form then does nothing more)."""
        return False
