"""Open follow-ups (待跟进): the workbench's list of what is due next.

A customer's next follow-up is the date its latest follow-up set (``refresh_follow_up`` in
``domains.customers``); a date set by an earlier follow-up has been superseded and is no
longer due. This route lists, for the signed-in person, the follow-ups that are still their
customer's latest and carry a next date, soonest first, through the same scope and field
rights as the activity list. Completing one is an ordinary new follow-up; rescheduling it is
an ordinary update of its date — both go through the generic routes.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from crm_common.i18n import N_
from crm_common.permissions import Action
from crm_common.schemas.activity import ActivityRead
from crm_server.domains.customers import superseded
from crm_server.kit.binding import binding
from crm_server.kit.web import Caller, json_response, signed_in
from crm_server.models import Activity, Customer
from crm_server.security import access
from crm_server.security.principal import Principal

MAX_OPEN = 100

router = APIRouter(tags=["Follow-ups"])


def open_follow_ups(session: Session, user: Principal, limit: int) -> list[BaseModel]:
    """The user's own follow-ups that are their customer's latest and name a next date."""
    service = binding("activity").service
    access.may(user, service.spec, Action.READ)
    access.require_visible(user, service.spec, ["next_follow_up_on"],
                           N_("Your role may not sort by this field"))
    stmt = (service.base_query(user)
            .join(Customer, Customer.id == Activity.customer_id)
            .where(Activity.owner_id == user.user_id, Activity.next_follow_up_on.is_not(None),
                   Customer.deleted_at.is_(None), ~superseded(Activity))
            .order_by(Activity.next_follow_up_on, Activity.id)
            .limit(limit))
    return service.present_many(session, user, list(session.scalars(stmt)))


@router.get("/follow-ups/open", response_model=list[ActivityRead],
            summary="My open follow-ups, soonest first")
def list_open(request: Request, caller: Caller,
              limit: Annotated[int, Query(ge=1, le=MAX_OPEN)] = 20) -> Response:
    with signed_in(request, caller) as (session, user):
        found = open_follow_ups(session, user, limit)
    return json_response(list[ActivityRead], found)
