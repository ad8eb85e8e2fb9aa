"""The compact follow-up dialogs: add one, edit one, reschedule the next date.

All three are the generic ``EntityFormDialog`` limited to a few fields, so saving, field
rights, conflicts and the change bus work as everywhere. A follow-up can be backdated (a
visit logged the next morning) but not dated in the future: what is still to come is the
next follow-up date.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING

from PySide6.QtCore import QDateTime
from PySide6.QtWidgets import QDateTimeEdit, QWidget

from crm_client.core.i18n import _
from crm_client.views.entity_form import EntityFormDialog
from crm_common.entities import entity

if TYPE_CHECKING:
    from crm_client.core.context import AppContext

FOLLOW_UP_FIELDS = ("type", "occurred_at", "subject", "contact_id", "notes",
                    "next_follow_up_on")
NEXT_FOLLOW_UP_IN_DAYS = 7


def new_follow_up_form(ctx: AppContext, customer_id: int, customer_name: str,
                       parent: QWidget) -> EntityFormDialog:
    """Type, time (now), subject, contact, notes and the next date (in a week), shown."""
    initial = {
        "customer_id": customer_id,
        "customer_name": customer_name,
        "next_follow_up_on": date.today() + timedelta(days=NEXT_FOLLOW_UP_IN_DAYS),
    }
    form = EntityFormDialog(ctx, entity("activity"), None, parent, initial=initial,
                            fields=FOLLOW_UP_FIELDS)
    form.setWindowTitle(_("Add follow-up — {customer}").format(customer=customer_name))
    _not_in_the_future(form)
    form.show()
    if "subject" in form.editors:  # a role may hide it
        form.editors["subject"].focus()
    return form


def edit_follow_up_form(ctx: AppContext, activity_id: int, parent: QWidget) -> EntityFormDialog:
    """The same fields for a follow-up already logged (read-only when not the role's)."""
    form = EntityFormDialog(ctx, entity("activity"), activity_id, parent,
                            fields=FOLLOW_UP_FIELDS)
    _not_in_the_future(form)
    form.show()
    return form


def reschedule_form(ctx: AppContext, activity_id: int, parent: QWidget) -> EntityFormDialog:
    """Only the next follow-up date, of the follow-up that set it."""
    form = EntityFormDialog(ctx, entity("activity"), activity_id, parent,
                            fields=("next_follow_up_on",))
    form.show()
    return form


def _not_in_the_future(form: EntityFormDialog) -> None:
    editor = form.editors.get("occurred_at")
    if editor is not None and isinstance(editor.widget, QDateTimeEdit):
        editor.widget.setMaximumDateTime(QDateTime.currentDateTime().addSecs(60))
        editor.widget.setToolTip(_("When it took place; it may be earlier, not later than now"))
