"""Demo data: departments, users and about 200 Chinese B2B customers with their contacts and
follow-ups, as an equipment vendor's CRM looks after a couple of years of use.

``seed`` writes through the ORM so the audit trail has rows, and sets the derived columns
with the same functions the services use. It is deterministic (a fixed random seed; dates are
relative to today) and does nothing on a database that already has users. The tables it
picks from (regions, names, titles, subjects, weights) are in ``crm_server.demo_data``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_common.cleansing import full_pinyin, uscc_check_char
from crm_common.cleansing.uscc import ALPHABET
from crm_server import demo_data as data
from crm_server.bindings import bind_all
from crm_server.db import audit
from crm_server.db.engine import make_engine, make_session_factory
from crm_server.domains.customers import refresh_customer_search, refresh_follow_up
from crm_server.domains.people import create_user
from crm_server.kit.binding import binding
from crm_server.models import Activity, Contact, Customer, Department, User
from crm_server.settings import Settings

SEED = 20261122
CUSTOMERS = 200
PASSWORD = "demo1234"
DAY = timedelta(days=1)



@dataclass
class Context:
    """What the generator threads through: the random source, today, who owns what."""

    rng: random.Random
    now: datetime
    owners: list[tuple[int, int]]  # (user id, weight)
    used_uscc: set[str]
    used_mobiles: set[str]
    used_names: set[str]

    def pick(self, weighted: tuple[tuple[Any, int], ...] | list[tuple[Any, int]]) -> Any:
        items, weights = zip(*weighted, strict=True)
        return self.rng.choices(items, weights)[0]


def seed(settings: Settings) -> None:
    """Fill a freshly migrated database with demo data; a no-op when users already exist."""
    bind_all()
    audit.install()
    engine = make_engine(settings.effective_database_url)
    try:
        with make_session_factory(engine).begin() as session:
            session.info["principal"] = None  # written by the system
            if session.scalar(select(User.id).limit(1)) is not None:
                return
            _seed(session)
    finally:
        engine.dispose()


def _seed(session: Session) -> None:
    _products(session)
    departments = _departments(session)
    users = _users(session, departments)
    ctx = Context(
        rng=random.Random(SEED), now=datetime.now(UTC).replace(microsecond=0),
        owners=[(users["sales"].id, 40), (users["sales2"].id, 35), (users["manager"].id, 25)],
        used_uscc=set(), used_mobiles=set(), used_names=set(),
    )
    customers = [_customer(ctx) for _ in range(CUSTOMERS)]
    groups = _groups(ctx, customers)
    parents = {id(parent) for parent in groups.values()}
    _add_customers(session, [c for c in customers if id(c) in parents])
    for child, parent in groups.items():
        child.parent_id = parent.id
    _add_customers(session, [c for c in customers if id(c) not in parents])
    contacts = {c.id: _contacts(ctx, c) for c in customers}
    contact_service = binding("contact").service
    for contact in (c for group in contacts.values() for c in group):
        contact_service.derive(session, contact)
        session.add(contact)
    session.flush()
    refresh_customer_search(session, [c.id for c in customers])
    activities = [a for c in customers for a in _activities(ctx, c, contacts[c.id])]
    session.add_all(activities)
    session.flush()
    for customer_id in {a.customer_id for a in activities}:
        refresh_follow_up(session, customer_id)


def _products(session: Session) -> None:
    product = binding("product")
    for code, name, kind, spec, unit, price, cost, rate, warranty in data.PRODUCTS:
        record = product.model(code=code, name=name, type=kind, specification=spec, unit=unit,
                               list_price=Decimal(price), cost=Decimal(cost),
                               tax_rate=Decimal(rate), warranty_months=warranty)
        product.service.derive(session, record)
        session.add(record)
    session.flush()


def _add_customers(session: Session, customers: list[Customer]) -> None:
    service = binding("customer").service
    for customer in customers:
        service.derive(session, customer)  # name_key and search_text, as on every write
    session.add_all(customers)
    session.flush()


def _departments(session: Session) -> dict[str, Department]:
    made: dict[str, Department] = {}
    for order, (name, parent) in enumerate(data.DEPARTMENTS):
        made[name] = Department(name=name, sort_order=order,
                                parent_id=made[parent].id if parent else None)
        session.add(made[name])
        session.flush()
    return made


def _users(session: Session, departments: dict[str, Department]) -> dict[str, User]:
    return {username: create_user(session, username, name, PASSWORD, roles=(role,),
                                  department_id=departments[department].id,
                                  email=f"{username}@demo-equipment.cn")
            for username, name, role, department in data.PEOPLE}


# --- customers ------------------------------------------------------------------------------

def _customer(ctx: Context) -> Customer:
    city: data.City = ctx.pick(data.CITIES)
    district, region = ctx.rng.choice(city.districts)
    kind = ctx.pick(data.ORGANISATION_KINDS)
    name, short, industry, public = _naming(ctx, kind, city, district)
    while name in ctx.used_names:
        name, short, industry, public = _naming(ctx, "factory", city, district)
    ctx.used_names.add(name)
    created = ctx.now - timedelta(days=ctx.rng.randint(30, 1000),
                                  seconds=ctx.rng.randint(0, 36_000))
    status = ctx.pick(data.STATUSES)
    return Customer(
        name=name, short_name=short, industry=industry,
        uscc=_uscc(ctx, "12" if public else "91", region),  # 事业单位 / 企业
        province=city.province, city=city.name, district=district,
        address=_address(ctx, district),
        phone=f"{city.area_code}-{ctx.rng.randint(5, 8)}{ctx.rng.randint(0, 9_999_999):07d}",
        level=ctx.pick(data.LEVELS),
        status=status,
        source=ctx.pick(data.PUBLIC_SOURCES if public else data.COMPANY_SOURCES),
        owner_id=ctx.pick(ctx.owners),
        tags=_tags(ctx, status, public),
        notes=ctx.rng.choice(data.CUSTOMER_NOTES),
        created_at=created, updated_at=created,
    )


def _naming(ctx: Context, kind: str, city: data.City,
            district: str) -> tuple[str, str | None, str, bool]:
    """(name, short name, industry, is a public institution)."""
    rng, place = ctx.rng, city.short
    if kind == "hospital":
        style = rng.randrange(4)
        if style == 3 and district.endswith(("区", "市")):
            where = district if district.endswith("市") else city.name + district
            return f"{where}人民医院", None, "医疗卫生", True
        if style == 0:
            number = rng.choice(data.HOSPITAL_NUMBERS)
            return f"{place}市第{number}人民医院", f"{place}{number}院", "医疗卫生", True
        if style == 1:
            return f"{place}市中医医院", f"{place}中医院", "医疗卫生", True
        return f"{place}市妇幼保健院", f"{place}妇幼", "医疗卫生", True
    if kind == "university":
        word, short = rng.choice(data.UNIVERSITY_WORDS)
        return f"{place}{word}", f"{place}{short}", "教育科研", True
    if kind == "utility":
        word, short, industry = rng.choice(data.UTILITY_WORDS)
        return f"{place}{word}", f"{place}{short}", industry, False
    brand = rng.choice(data.BRANDS)
    industry, word, short_word, _weight = ctx.pick(
        tuple((entry, entry[3]) for entry in data.FACTORY_KINDS))
    form = ctx.pick(data.LEGAL_FORMS)
    if form == "科技有限公司" and word.endswith("科技"):
        form = "有限公司"
    prefix = place if rng.random() < 0.8 else ""
    return f"{prefix}{brand}{word}{form}", f"{brand}{short_word}", industry, False


def _groups(ctx: Context, customers: list[Customer]) -> dict[Customer, Customer]:
    """A few factories belong to a group whose headquarters is also a customer: ``{child:
    parent}``, the parent renamed after the child's 字号 and made a key account."""
    factories = [c for c in customers if c.industry not in data.NON_FACTORY and c.short_name]
    groups: dict[Customer, Customer] = {}
    for index in range(3):
        child, parent = factories[index * 7], factories[index * 7 + 3]
        brand = (child.short_name or "")[:2]
        parent.name = f"{brand}{ctx.rng.choice(data.GROUP_WORDS)}集团有限公司"
        parent.short_name, parent.industry, parent.level = f"{brand}集团", child.industry, "key"
        groups[child] = parent
    return groups


def _uscc(ctx: Context, head: str, region: str) -> str:
    """A valid code: registration authority + kind, region, organisation code, check char.
    Older registrants keep their 8-digit organisation code (with its GB 11714 check); newer
    ones got an ``MA`` code."""
    while True:
        if ctx.rng.random() < 0.5:
            body = "".join(ctx.rng.choice("0123456789") for _ in range(8))
        else:
            body = "MA" + "".join(ctx.rng.choice(ALPHABET) for _ in range(6))
        first17 = head + region + body + _org_check(body)
        code = first17 + uscc_check_char(first17)
        if code not in ctx.used_uscc:
            ctx.used_uscc.add(code)
            return code


def _org_check(body: str) -> str:
    """GB 11714 check character of an 8-character organisation code."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w
                for c, w in zip(body, weights, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def _address(ctx: Context, district: str) -> str:
    rng = ctx.rng
    street = f"{rng.choice(data.ROADS)}{rng.randint(1, 1999)}号"
    extra = rng.choice(("", "", "", f"{rng.randint(1, 12)}号厂房", f"{rng.randint(1, 9)}栋",
                        f"科技园{rng.choice('ABCDE')}座"))
    return f"{district}{street}{extra}"


def _tags(ctx: Context, status: str, public: bool) -> list[str]:
    tags: list[str] = []
    if status == "active" and ctx.rng.random() < 0.6:
        tags.append("老客户")
    if public and ctx.rng.random() < 0.7:
        tags.append("招投标")
    tags += ctx.rng.sample(data.TAGS_COMMON, ctx.rng.choice((0, 0, 1, 1, 2)))
    return tags


# --- contacts -------------------------------------------------------------------------------

def _contacts(ctx: Context, customer: Customer) -> list[Contact]:
    rng = ctx.rng
    titles = _titles_for(customer)
    count = ctx.pick(data.CONTACTS_PER_CUSTOMER)
    chosen = sorted(rng.sample(range(len(titles)), min(count, len(titles))))
    domain = _domain(customer)
    people = []
    for position, index in enumerate(chosen):
        title, role = titles[index]
        name = rng.choice(data.SURNAMES) + rng.choice(data.GIVEN)
        people.append(Contact(
            customer_id=customer.id, name=name, title=title, decision_role=role,
            mobile=_mobile(ctx), phone=_extension(ctx, customer),
            email=_email(ctx, name, domain), wechat=_wechat(ctx, name),
            is_primary=position == 0, created_at=customer.created_at,
            updated_at=customer.created_at,
        ))
    return people


def _titles_for(customer: Customer) -> tuple[tuple[str, str], ...]:
    if customer.industry == "医疗卫生":
        return data.HOSPITAL_TITLES
    if customer.industry == "教育科研":
        return data.UNIVERSITY_TITLES
    if customer.industry == "水务环保":
        return data.UTILITY_TITLES
    return data.FACTORY_TITLES


def _domain(customer: Customer) -> str:
    stem = full_pinyin(customer.short_name or customer.name[:4])
    suffix = ".edu.cn" if customer.industry == "教育科研" else (
        ".org.cn" if customer.industry == "医疗卫生" else ".com.cn" if len(stem) % 2 else ".com")
    return stem + suffix


def _mobile(ctx: Context) -> str:
    while True:
        number = ctx.rng.choice(data.MOBILE_PREFIXES) + f"{ctx.rng.randint(0, 99_999_999):08d}"
        if number not in ctx.used_mobiles:
            ctx.used_mobiles.add(number)
            return number


def _extension(ctx: Context, customer: Customer) -> str | None:
    if ctx.rng.random() < 0.5 or not customer.phone:
        return None
    return f"{customer.phone}-{ctx.rng.randint(100, 899)}"


def _email(ctx: Context, name: str, domain: str) -> str | None:
    roll = ctx.rng.random()
    if roll < 0.15:
        return None
    if roll < 0.45:
        return f"{ctx.rng.randint(10_000_000, 2_999_999_999)}@qq.com"
    surname, given = full_pinyin(name[0]), full_pinyin(name[1:])
    if roll < 0.6:
        return f"{surname}{given}{ctx.rng.randint(1, 99)}@{ctx.rng.choice(data.PUBLIC_MAIL)}"
    return f"{given}.{surname}@{domain}" if ctx.rng.random() < 0.5 else f"{surname}{given}@{domain}"


def _wechat(ctx: Context, name: str) -> str | None:
    roll = ctx.rng.random()
    if roll < 0.2:
        return None
    if roll < 0.5:
        return "wxid_" + "".join(ctx.rng.choice("abcdefghijkmnpqrstuvwxyz0123456789")
                                 for _ in range(14))
    number = ctx.rng.choice((ctx.rng.randint(1965, 2000), ctx.rng.randint(1, 999)))
    return f"{full_pinyin(name)}{ctx.rng.choice(('', '_', ''))}{number}"


# --- follow-ups -----------------------------------------------------------------------------

def _activities(ctx: Context, customer: Customer, contacts: list[Contact]) -> list[Activity]:
    rng = ctx.rng
    busy = data.ACTIVITY_PER_STATUS[customer.status]
    count = max(0, min(6, round(rng.gauss(busy, 1.5))))
    days_ago = sorted((rng.randint(0, 179) for _ in range(count)), reverse=True)
    made: list[Activity] = []
    for position, ago in enumerate(days_ago):
        kind = ctx.pick(data.ACTIVITY_KINDS)
        hour = rng.choice(data.WORK_HOURS_UTC)
        occurred = datetime.combine((ctx.now - ago * DAY).date(),
                                    time(hour, rng.choice(data.MINUTES)), tzinfo=UTC)
        occurred = min(occurred, ctx.now - timedelta(minutes=5))
        is_last = position == count - 1
        made.append(Activity(
            customer_id=customer.id, contact_id=rng.choice(contacts).id if contacts else None,
            type=kind, occurred_at=occurred, subject=rng.choice(data.SUBJECTS[kind]),
            notes=_note(ctx), next_follow_up_on=_next_date(ctx, occurred, is_last),
            owner_id=customer.owner_id, created_at=occurred, updated_at=occurred,
        ))
    return made


def _note(ctx: Context) -> str:
    opener = ctx.rng.choice(data.NOTE_OPENERS).format(when=ctx.rng.choice(data.WHEN),
                                                       count=ctx.rng.choice(data.COUNTS))
    return f"{opener}，{ctx.rng.choice(data.NOTE_FOLLOWS)}"


def _next_date(ctx: Context, occurred: datetime, is_last: bool) -> date | None:
    """Older follow-ups planned a next step (superseded by the later ones); the latest one's
    date is not set, overdue by up to two weeks (a workbench as a busy rep's looks), or
    upcoming within three weeks."""
    roll = ctx.rng.random()
    if roll < 0.25:
        return None
    if not is_last:
        return occurred.date() + ctx.rng.randint(3, 30) * DAY
    if roll < 0.5:
        return max(ctx.now.date() - ctx.rng.randint(1, 14) * DAY, occurred.date() + DAY)
    return ctx.now.date() + ctx.rng.randint(1, 21) * DAY
