"""Customers, contacts and follow-ups: search text, duplicate check, the customer's
follow-up summary, and the global search box."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel
from sqlalchemy import ColumnElement, and_, exists, func, or_, select, update
from sqlalchemy.orm import Session, aliased

from crm_common.cleansing import company_key, normalise_uscc
from crm_common.entities import REGISTRY
from crm_common.errors import Duplicate, DuplicateWarning
from crm_common.i18n import N_
from crm_common.permissions import Action
from crm_common.schemas.auth import SearchHit, SearchResults
from crm_common.schemas.customer import DuplicateCheck, DuplicateMatch
from crm_common.schemas.scalars import Checked
from crm_server.db.types import utcnow
from crm_server.kit import paging, refs, search
from crm_server.kit.binding import binding
from crm_server.kit.service import CrudService
from crm_server.kit.web import Caller, json_response, signed_in
from crm_server.models import Activity, Contact, Customer
from crm_server.security import access, policy
from crm_server.security.principal import Principal

CUSTOMER, CONTACT = REGISTRY["customer"], REGISTRY["contact"]


def customer_search_text(customer: Any, contacts: Sequence[Any]) -> str:
    """A customer's search text from its fields and its live contacts' phones (``customer``
    and ``contacts`` are records or rows with those attributes)."""
    own = {name: getattr(customer, name) for name in CUSTOMER.search_fields if "." not in name}
    return search.search_text(CUSTOMER, {
        **own, "contact.mobile": [c.mobile for c in contacts],
        "contact.phone": [c.phone for c in contacts]})


def contact_search_text(contact: Any) -> str:
    return search.record_search_text(CONTACT, contact)


def _phones(session: Session, customer_id: int | None) -> Sequence[Any]:
    """The mobile and phone of each live contact of a customer (none before it exists)."""
    if customer_id is None:
        return []
    return _phones_of(session, [customer_id]).get(customer_id, [])


def _phones_of(session: Session, customer_ids: Sequence[int]) -> dict[int, list[Any]]:
    """The mobile and phone of each live contact of the customers, by customer."""
    found: dict[int, list[Any]] = {}
    for row in session.execute(select(Contact.customer_id, Contact.mobile, Contact.phone)
                               .where(Contact.customer_id.in_(customer_ids),
                                      Contact.deleted_at.is_(None))):
        found.setdefault(row.customer_id, []).append(row)
    return found


def refresh_customer_search(session: Session, customer_ids: Iterable[int]) -> None:
    """Rebuild customers' search text from their own fields and their contacts' phones.
    A plain UPDATE: derived columns do not bump the version or the history."""
    customers = list(session.scalars(select(Customer).where(
        Customer.id.in_(set(customer_ids)))))
    search.write_search_texts(session, Customer, binding("customer").service.search_texts(
        session, customers))


class CustomerService(CrudService):
    def defaults(self, session: Session, user: Principal, values: dict[str, Any]) -> None:
        if values.get("owner_id") is None:
            values["owner_id"] = user.user_id
        values.setdefault("tags", [])

    def derive(self, session: Session, record: Any) -> None:
        """Derived in the same UPDATE as the change (a second one would write the row and
        every index of it again)."""
        record.name_key = company_key(record.name)
        record.search_text = customer_search_text(record, _phones(session, record.id))

    def search_texts(self, session: Session, records: Sequence[Any]) -> dict[int, str]:
        phones = _phones_of(session, [record.id for record in records])
        return {record.id: customer_search_text(record, phones.get(record.id, []))
                for record in records}

    def check_create(self, session: Session, user: Principal, values: dict[str, Any],
                     confirm: bool) -> None:
        matches = find_duplicates(session, user, values["name"], values.get("uscc"))
        if not matches:
            return
        data = {"matches": [m.model_dump() for m in matches]}
        fields = {m.reason: m.name or m.owner_name or "" for m in matches}
        if policy.current(session).duplicate_policy == "block":
            raise Duplicate(N_("A customer with the same name or code exists"), fields, data)
        if not confirm:
            raise DuplicateWarning(N_("A similar customer already exists"), fields, data)


def find_duplicates(session: Session, user: Principal, name: str, uscc: str | None,
                    exclude_id: int | None = None) -> list[DuplicateMatch]:
    """Existing customers of any owner (that is the point of the clash check, 撞单) with the
    same USCC or the same normalised name, told as ``access.clashes`` allows: a match the
    user may not identify shows only why it matched and whose it is.

    ``exclude_id`` (the record being edited) drops only a match the user may identify, so
    it cannot tell which record an unidentified match is."""
    conditions: dict[str, ColumnElement[bool]] = {}
    if uscc:
        conditions["uscc"] = Customer.uscc == uscc
    if name.strip():
        conditions["name"] = Customer.name_key == company_key(name)
    if not conditions:
        return []
    found = access.clashes(session, user, CUSTOMER, conditions, limit=11)
    owners = refs.titles(session, "user", {c.owner_id for c in found if c.owner_id}, user)
    matches = [DuplicateMatch(id=getattr(c.record, "id", None),
                              name=getattr(c.record, "name", None),
                              owner_name=owners.get(c.owner_id or 0), reason=c.matched)
               for c in found]
    return [m for m in matches if m.id is None or m.id != exclude_id][:10]


class ContactService(CrudService):
    """Contacts feed their customer's search text; one primary contact per customer."""

    def after_write(self, session: Session, user: Principal, record: Any,
                    values: Mapping[str, Any]) -> None:
        if record.is_primary and record.deleted_at is None:
            for other in session.scalars(select(Contact).where(
                    Contact.customer_id == record.customer_id, Contact.id != record.id,
                    Contact.is_primary.is_(True))):
                other.is_primary = False
            session.flush()
        refresh_customer_search(session, [record.customer_id])


class ActivityService(CrudService):
    """A follow-up updates its customer's "last follow-up" and "next follow-up" dates."""

    def defaults(self, session: Session, user: Principal, values: dict[str, Any]) -> None:
        if values.get("occurred_at") is None:
            values["occurred_at"] = utcnow()
        if values.get("owner_id") is None:
            values["owner_id"] = user.user_id

    def after_write(self, session: Session, user: Principal, record: Any,
                    values: Mapping[str, Any]) -> None:
        refresh_follow_up(session, record.customer_id)


def superseded(entry: Any) -> ColumnElement[bool]:
    """Whether a later live follow-up of the same customer exists (the same time: the later
    id). Only the latest follow-up speaks for its customer: its time is the last follow-up,
    its next date the one still open (待跟进)."""
    later = aliased(Activity)
    return exists().where(
        later.customer_id == entry.customer_id, later.deleted_at.is_(None),
        or_(later.occurred_at > entry.occurred_at,
            and_(later.occurred_at == entry.occurred_at, later.id > entry.id)))


def refresh_follow_up(session: Session, customer_id: int) -> None:
    latest = session.execute(select(Activity.occurred_at, Activity.next_follow_up_on).where(
        Activity.customer_id == customer_id, Activity.deleted_at.is_(None),
        ~superseded(Activity))).first()
    session.execute(update(Customer).where(Customer.id == customer_id).values(
        last_activity_at=latest[0] if latest else None,
        next_follow_up_on=latest[1] if latest else None,
    ).execution_options(synchronize_session=False))


router = APIRouter(tags=["Customers"])


@router.post("/customers/duplicates", response_model=list[DuplicateMatch])
def duplicates(request: Request, caller: Caller, payload: DuplicateCheck) -> Response:
    """The clash check while a customer is entered: for those who may create customers."""
    try:
        uscc = normalise_uscc(payload.uscc) if payload.uscc else None
    except ValueError:
        uscc = None  # an invalid code cannot match; the form reports it on save
    with signed_in(request, caller) as (session, user):
        access.may(user, CUSTOMER, Action.CREATE)
        found = find_duplicates(session, user, payload.name, uscc, payload.exclude_id)
    return json_response(list[DuplicateMatch], found)


@router.get("/search", response_model=SearchResults)
def global_search(request: Request, caller: Caller,
                  q: Annotated[Checked, Query(max_length=100)],
                  limit: Annotated[int, Query(ge=1, le=50)] = 20) -> Response:
    """Customers first (shortest name first: the closest match), then contacts."""
    with signed_in(request, caller) as (session, user):
        customers = _matches(session, user, "customer", q, limit)
        contacts = _matches(session, user, "contact", q, limit - len(customers))
    hits = [_hit("customer", c, ["province", "city", "industry"]) for c in customers]
    hits += [_hit("contact", c, ["customer_name", "title", "mobile"]) for c in contacts]
    return json_response(SearchResults, SearchResults(hits=hits))


def _hit(entity: str, record: BaseModel, parts: list[str]) -> SearchHit:
    """A search result made from the record as the user may see it (masked values stay
    masked, hidden ones are left out)."""
    shown = record.model_dump()
    masked = shown.get("masked", {})
    values = [masked.get(name) or shown.get(name) for name in parts]
    return SearchHit(entity=entity, id=shown["id"], title=shown.get("name") or "—",
                     subtitle=" · ".join(str(v) for v in values if v))


def _matches(session: Session, user: Principal, key: str, q: str,
             limit: int) -> list[BaseModel]:
    service = binding(key).service
    if limit <= 0 or not search.search_term(q) or not user.permissions.can(key, Action.READ):
        return []
    narrowed = search.narrow(session, service.base_query(user), service.model, service.spec,
                             q, False, access.search_segments(user, service.spec))
    if narrowed.few and key == "customer":  # every match at hand: the shortest name first
        found = narrowed.entity
        ranked = narrowed.stmt.order_by(func.length(found.name), found.id).limit(limit)
        rows = list(session.scalars(ranked))
    else:
        by_name = paging.Sort("name", descending=False)
        rows = search.read_page(session, narrowed, by_name, None, limit,
                                nullable=False)[:limit]
    return service.present_many(session, user, rows)
