"""One unit of work, with or without an HTTP request.

A route, a CLI command, a test or a background job runs a service the same way: one session,
committed when the block ends normally and rolled back when it raises, with the principal,
the settings and the client's address in ``session.info``, where the access rules, the audit
flush listener (``db.audit``) and the title memo (``kit.refs``) read them. So the same
service call gives the same answer, the same refusals and the same audit rows whoever runs it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import select
from sqlalchemy.orm import Session

from crm_common.errors import Forbidden
from crm_common.i18n import N_
from crm_server.db import audit
from crm_server.db.engine import make_engine, make_session_factory
from crm_server.models import Role, User, UserRole
from crm_server.security import roles
from crm_server.security.principal import Principal
from crm_server.settings import Settings

SessionFactory = Callable[[], Session]


@contextmanager
def unit_of_work(session_factory: SessionFactory, settings: Settings,
                 principal: Principal | None = None,
                 client_address: str | None = None) -> Iterator[Session]:
    """A session for one unit of work done as ``principal`` (None: the system itself):
    committed when the block ends normally, rolled back when it raises, so a failed unit
    never leaves half its writes behind."""
    session = session_factory()
    session.info["principal"] = principal
    session.info["settings"] = settings
    session.info["client_address"] = client_address
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def principal_for(session: Session, user_id: int) -> Principal:
    """The principal of user ``user_id`` as a request of theirs would have it (their roles'
    grants, their department's scope), for work done on their behalf without a request;
    403 when the account is gone or disabled (nobody may act as it any more)."""
    user = session.get(User, user_id)
    if user is None or user.deleted_at is not None or not user.is_active:
        raise Forbidden(N_("The account this work was started by is disabled"))
    return roles.principal(session, user)


@contextmanager
def acting_as(session_factory: SessionFactory, settings: Settings,
              user_id: int) -> Iterator[tuple[Session, Principal]]:
    """A unit of work done as user ``user_id`` (``principal_for``), and that principal."""
    with unit_of_work(session_factory, settings) as session:
        principal = principal_for(session, user_id)
        session.info["principal"] = principal
        yield session, principal


@contextmanager
def started_by(session_factory: SessionFactory, settings: Settings,
               user_id: int | None) -> Iterator[tuple[Session, Principal | None]]:
    """A unit of work done as user ``user_id`` (``acting_as``), or as the system itself
    when there is none (the scheduler's jobs): the principal is then None."""
    if user_id is not None:
        with acting_as(session_factory, settings, user_id) as pair:
            yield pair
        return
    with unit_of_work(session_factory, settings) as session:
        yield session, None


def administrator_id(session: Session, username: str | None) -> int | None:
    """The id of the named user, or of the first active administrator."""
    if username is not None:
        return session.scalar(select(User.id).where(User.username == username))
    return session.scalar(
        select(User.id).join(UserRole, UserRole.user_id == User.id)
        .join(Role, Role.id == UserRole.role_id)
        .where(Role.key == "administrator", User.is_active.is_(True),
               User.deleted_at.is_(None)).order_by(User.id).limit(1))


@contextmanager
def console_user(settings: Settings,
                 username: str | None) -> Iterator[tuple[Session, Principal]]:
    """The unit of work of a ``crm-server`` command, done as ``username`` (default: the
    first active administrator) with the rights and audit that user has on the web; its own
    engine, disposed at the end. ``ValueError`` for an unknown user."""
    from crm_server.bindings import bind_all  # the bindings import the domain services

    bind_all()
    audit.install()
    engine = make_engine(settings.effective_database_url)
    factory = make_session_factory(engine)
    try:
        with unit_of_work(factory, settings) as session:
            user_id = administrator_id(session, username)
        if user_id is None:
            raise ValueError(f"no user {username!r}" if username else "no administrator")
        with acting_as(factory, settings, user_id) as pair:
            yield pair
    finally:
        engine.dispose()
