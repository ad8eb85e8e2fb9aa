"""The demo seed: realistic, valid, consistent with what the services would derive, and
idempotent."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, date
from pathlib import Path

import pytest
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from crm_common.cleansing import (
    company_key,
    initials,
    normalise_email,
    normalise_mobile,
    normalise_phone,
    normalise_uscc,
)
from crm_server import demo
from crm_server.db.engine import make_engine, make_session_factory
from crm_server.db.migrate import upgrade
from crm_server.models import (
    Activity,
    AuditEntry,
    Contact,
    Customer,
    Department,
    Role,
    User,
    UserRole,
)
from crm_server.security.passwords import verify_password
from crm_server.settings import Settings, load_settings
from databases import fresh_database


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """A database of its own (SQLite, or PostgreSQL under CRM_TEST_DATABASE_URL), migrated
    and seeded once."""
    data_dir: Path = tmp_path_factory.mktemp("demo")
    with fresh_database() as url:
        settings = load_settings(data_dir, database_url=url)
        upgrade(settings)
        started = time.perf_counter()
        demo.seed(settings)
        assert time.perf_counter() - started < 30, "the demo must seed in seconds"
        yield settings


@pytest.fixture()
def session(seeded: Settings) -> Iterator[Session]:
    engine = make_engine(seeded.effective_database_url)
    with make_session_factory(engine)() as db:
        yield db
    engine.dispose()


def test_users_and_departments(session: Session) -> None:
    users = {u.username: u for u in session.scalars(select(User))}
    assert set(users) == {"admin", "manager", "sales", "sales2", "finance", "service",
                          "engineer", "auditor"}
    roles = dict(session.execute(select(UserRole.user_id, Role.key)
                                 .join(Role, Role.id == UserRole.role_id)).all())
    assert roles[users["admin"].id] == "administrator"
    assert roles[users["manager"].id] == "sales_manager"
    assert roles[users["engineer"].id] == "service_engineer"
    assert verify_password(users["sales"].password_hash, "demo1234")
    departments = {d.id: d for d in session.scalars(select(Department))}
    assert departments[users["sales"].department_id].name == "华东销售一组"
    parent = departments[departments[users["sales2"].department_id].parent_id]  # type: ignore[index]
    assert parent.name == "销售部"


def test_customers_look_real_and_validate(session: Session) -> None:
    customers = list(session.scalars(select(Customer)))
    assert 190 <= len(customers) <= 210
    assert len({c.name_key for c in customers}) == len(customers), "no demo duplicates"
    for customer in customers:
        assert customer.uscc and normalise_uscc(customer.uscc) == customer.uscc
        assert customer.phone and normalise_phone(customer.phone) == customer.phone
        assert customer.province and customer.city and customer.district
        assert customer.name_key == company_key(customer.name)
        assert initials(customer.name) in customer.search_text
    assert sum(1 for c in customers if c.parent_id) >= 1
    owners = Counter(c.owner_id for c in customers)
    sales = session.scalar(select(User.id).where(User.username == "sales"))
    assert 0.3 <= owners[sales] / len(customers) <= 0.5
    assert len({c.province for c in customers}) >= 10
    assert len({c.level for c in customers}) == 4 and len({c.status for c in customers}) == 4


def test_every_customer_has_one_primary_contact(session: Session) -> None:
    primary = case((Contact.is_primary, 1), else_=0)
    rows = session.execute(select(Contact.customer_id, func.count(), func.sum(primary))
                           .group_by(Contact.customer_id)).all()
    customers = session.scalar(select(func.count()).select_from(Customer))
    assert len(rows) == customers
    assert all(1 <= count <= 4 and primaries == 1 for _, count, primaries in rows)


def test_contacts_validate_and_are_searchable(session: Session) -> None:
    contacts = list(session.scalars(select(Contact)))
    for contact in contacts:
        assert contact.mobile and normalise_mobile(contact.mobile) == contact.mobile
        assert contact.mobile in contact.search_text
        if contact.email:
            assert normalise_email(contact.email) == contact.email
        if contact.phone:
            assert normalise_phone(contact.phone) == contact.phone
    assert len({c.mobile for c in contacts}) == len(contacts)
    # A customer is found by its contacts' phone digits.
    first = contacts[0]
    customer = session.get_one(Customer, first.customer_id)
    assert first.mobile in customer.search_text  # type: ignore[operator]


def test_follow_ups_summarised_on_customers(session: Session) -> None:
    latest = session.execute(
        select(Activity.customer_id, func.max(Activity.occurred_at))
        .group_by(Activity.customer_id)).all()
    assert len(latest) > 100
    for customer_id, occurred in latest[:50]:
        customer = session.get_one(Customer, customer_id)
        assert customer.last_activity_at is not None
        assert customer.last_activity_at.tzinfo is UTC
        assert customer.last_activity_at.replace(tzinfo=None) == occurred.replace(tzinfo=None)


def test_overdue_and_upcoming_follow_ups(session: Session) -> None:
    today = date.today()
    dates = [d for d in session.scalars(select(Customer.next_follow_up_on)) if d]
    assert any(d < today for d in dates), "some follow-ups are overdue"
    assert any(d > today for d in dates), "some follow-ups are upcoming"


def test_audit_trail_written_by_system(session: Session) -> None:
    creates = session.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "create",
                                    AuditEntry.entity == "customer"))
    assert creates == session.scalar(select(func.count()).select_from(Customer))
    assert session.scalar(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.user_id.is_not(None))) == 0


def test_second_seed_changes_nothing(seeded: Settings, session: Session) -> None:
    before = [session.scalar(select(func.count()).select_from(m))
              for m in (User, Customer, Contact, Activity, AuditEntry)]
    demo.seed(seeded)
    after = [session.scalar(select(func.count()).select_from(m))
             for m in (User, Customer, Contact, Activity, AuditEntry)]
    assert after == before
