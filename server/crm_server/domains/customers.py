"""Customers, contacts and follow-ups: search text, duplicate check, the customer's
follow-up summary, and the global search box."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from crm_common.cleansing import company_key, digits, initials, normalise_uscc
from crm_common.errors import Duplicate, DuplicateWarning
from crm_common.i18n import N_
from crm_common.permissions import Action
from crm_common.schemas.auth import SearchHit, SearchResults
from crm_common.schemas.customer import DuplicateMatch, DuplicateQuery
from crm_common.schemas.scalars import Checked
from crm_server.db.types import utcnow
from crm_server.kit import paging, refs, search
from crm_server.kit.binding import binding
from crm_server.kit.service import CrudService
from crm_server.kit.web import current_principal, transaction
from crm_server.models import Activity, Contact, Customer
from crm_server.security import policy
from crm_server.security.principal import Principal

User = Annotated[Principal, Depends(current_principal)]


def search_text(*parts: str | None) -> str:
    """What the search box matches: each text, its pinyin initials, and digit runs."""
    pieces: list[str] = []
    for part in parts:
        if not part:
            continue
        pieces.append(part.lower())
        letters = initials(part)
        if letters and letters != part.lower():
            pieces.append(letters)
        number = digits(part)
        if len(number) >= 4 and number != part:
            pieces.append(number)
    return " ".join(dict.fromkeys(pieces))


def refresh_customer_search(session: Session, customer_ids: Iterable[int]) -> None:
    """Rebuild customers' search text from their own fields and their contacts' phones.
    A plain UPDATE: derived columns do not bump the version or the history."""
    for customer in session.scalars(select(Customer).where(Customer.id.in_(set(customer_ids)))):
        phones = session.execute(
            select(Contact.mobile, Contact.phone).where(
                Contact.customer_id == customer.id, Contact.deleted_at.is_(None))).all()
        text = _customer_text(customer, [p for row in phones for p in row if p])
        session.execute(update(Customer).where(Customer.id == customer.id)
                        .values(search_text=text)
                        .execution_options(synchronize_session=False))


def _customer_text(customer: Customer, contact_phones: list[str]) -> str:
    return search_text(customer.name, customer.short_name, customer.uscc, customer.phone,
                       *contact_phones)


class CustomerService(CrudService):
    def defaults(self, session: Session, user: Principal, values: dict[str, Any]) -> None:
        if values.get("owner_id") is None:
            values["owner_id"] = user.user_id
        values.setdefault("tags", [])

    def derive(self, session: Session, record: Any) -> None:
        record.name_key = company_key(record.name)
        record.search_text = _customer_text(record, [])

    def after_write(self, session: Session, user: Principal, record: Any,
                    values: Mapping[str, Any]) -> None:
        refresh_customer_search(session, [record.id])

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
    """Existing customers with the same USCC or the same normalised name; of those the user
    may not read, only the owner is told."""
    conditions = [Customer.name_key == company_key(name)] if name.strip() else []
    if uscc:
        conditions.append(Customer.uscc == uscc)
    if not conditions:
        return []
    stmt = select(Customer).where(or_(*conditions), Customer.deleted_at.is_(None)).limit(10)
    if exclude_id is not None:
        stmt = stmt.where(Customer.id != exclude_id)
    found = list(session.scalars(stmt))
    owners = refs.titles(session, "user", {c.owner_id for c in found if c.owner_id}, user)
    service = binding("customer").service
    readable = set(session.scalars(service.base_query(user).where(
        Customer.id.in_([c.id for c in found])).with_only_columns(Customer.id)))
    return [DuplicateMatch(id=c.id if c.id in readable else None,
                           name=c.name if c.id in readable else None,
                           owner_name=owners.get(c.owner_id or 0),
                           reason="uscc" if uscc and c.uscc == uscc else "name")
            for c in found]


class ContactService(CrudService):
    """Contacts feed their customer's search text; one primary contact per customer."""

    def derive(self, session: Session, record: Any) -> None:
        record.search_text = search_text(record.name, record.mobile, record.phone, record.email)

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


def refresh_follow_up(session: Session, customer_id: int) -> None:
    live = (Activity.customer_id == customer_id, Activity.deleted_at.is_(None))
    latest = session.execute(select(Activity.occurred_at, Activity.next_follow_up_on)
                             .where(*live).order_by(Activity.occurred_at.desc(),
                                                    Activity.id.desc()).limit(1)).first()
    session.execute(update(Customer).where(Customer.id == customer_id).values(
        last_activity_at=latest[0] if latest else None,
        next_follow_up_on=latest[1] if latest else None,
    ).execution_options(synchronize_session=False))


router = APIRouter(tags=["Customers"])


@router.post("/customers/duplicates", response_model=list[DuplicateMatch])
def duplicates(request: Request, user: User, payload: DuplicateQuery) -> Any:
    try:
        uscc = normalise_uscc(payload.uscc) if payload.uscc else None
    except ValueError:
        uscc = None  # an invalid code cannot match; the form reports it on save
    with transaction(request, user) as session:
        return find_duplicates(session, user, payload.name, uscc, payload.exclude_id)


@router.get("/search", response_model=SearchResults)
def global_search(request: Request, user: User, q: Annotated[Checked, Query(max_length=100)],
                  limit: Annotated[int, Query(ge=1, le=50)] = 20) -> Any:
    """Customers first (shortest name first: the closest match), then contacts."""
    with transaction(request, user) as session:
        customers = _matches(session, user, "customer", q, limit)
        contacts = _matches(session, user, "contact", q, limit - len(customers))
    hits = [_hit("customer", c, ["province", "city", "industry"]) for c in customers]
    hits += [_hit("contact", c, ["customer_name", "title", "mobile"]) for c in contacts]
    return SearchResults(hits=hits)


def _hit(entity: str, shown: dict[str, Any], parts: list[str]) -> SearchHit:
    """A search result made from the record as the user may see it (masked values stay
    masked, hidden ones are left out)."""
    masked = shown.get("masked", {})
    values = [masked.get(name) or shown.get(name) for name in parts]
    return SearchHit(entity=entity, id=shown["id"], title=shown.get("name") or "—",
                     subtitle=" · ".join(str(v) for v in values if v))


def _matches(session: Session, user: Principal, key: str, q: str,
             limit: int) -> list[dict[str, Any]]:
    service = binding(key).service
    if limit <= 0 or not search.search_term(q) or not user.permissions.can(key, Action.READ):
        return []
    narrowed = search.narrow(session, service.base_query(user), service.model, service.spec,
                             q, False, service.unseen_search(user))
    if narrowed.few and key == "customer":  # every match at hand: the shortest name first
        found = narrowed.entity
        ranked = narrowed.stmt.order_by(func.length(found.name), found.id).limit(limit)
        rows = list(session.scalars(ranked))
    else:
        by_name = paging.Sort("name", descending=False)
        rows = search.read_page(session, narrowed, by_name, None, limit,
                                nullable=False)[:limit]
    return service.present_many(session, user, rows)
