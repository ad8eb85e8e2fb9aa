"""The access version: bumped by any change to what a principal is made of, in the same
transaction, by session listeners rather than by the routes that make the changes.

A principal is made of the user (name, department, active, password state), their roles
and those roles' grants, the department tree and who sits where, and the security policy
(session lifetimes, password expiry). Any write to those tables, whether through the unit
of work (a changed attribute, a new or deleted row) or a bulk statement on the session
(``insert(UserRole)``), bumps ``access_version`` before it is sent: the counter commits or
rolls back with the change, and taking its row lock first keeps writers in one lock order.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, inspect, select, update
from sqlalchemy.orm import ORMExecuteState, Session

from crm_server.models import AccessVersion, Department, Role, SecurityPolicy, User, UserRole

VERSION_ID = 1

# The tables a principal is made of, with the columns of theirs that play no part in it:
# sign-in bookkeeping, written at every sign-in, would otherwise drop every cached principal.
SHAPING: dict[type[Any], frozenset[str]] = {
    User: frozenset({"failed_logins", "locked_until", "last_login_at"}),
    Role: frozenset(),
    UserRole: frozenset(),
    Department: frozenset(),
    SecurityPolicy: frozenset(),
}
# Written by every update of a record, whatever changed.
_BOOKKEEPING = frozenset({"version", "updated_at"})


def current_value() -> Any:
    """The counter as a scalar subquery, to read along with another query; NULL without its
    row (a database not yet migrated), which caches nothing."""
    return select(AccessVersion.value).where(AccessVersion.id == VERSION_ID).scalar_subquery()


def bump(session: Session) -> None:
    session.connection().execute(
        update(AccessVersion).where(AccessVersion.id == VERSION_ID)
        .values(value=AccessVersion.value + 1))


def _changes_access(obj: Any) -> bool:
    """Whether the pending changes of ``obj`` (in ``session.dirty``) alter what a principal
    is made of."""
    ignored = SHAPING.get(type(obj))
    if ignored is None:
        return False
    state = inspect(obj)
    skip = ignored | _BOOKKEEPING
    return any(attr.key not in skip and state.attrs[attr.key].history.has_changes()
               for attr in state.mapper.column_attrs)


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    added_or_gone = (type(obj) in SHAPING for obj in [*session.new, *session.deleted])
    if any(added_or_gone) or any(_changes_access(obj) for obj in session.dirty):
        bump(session)


def _on_statement(state: ORMExecuteState) -> None:
    """A bulk INSERT/UPDATE/DELETE on the session (``insert(UserRole)``)."""
    if not (state.is_insert or state.is_update or state.is_delete):
        return
    shaped = [mapper.class_ for mapper in state.all_mappers if mapper.class_ in SHAPING]
    if shaped and not (state.is_update and _sets_only_bookkeeping(state.statement, shaped)):
        bump(state.session)


def _sets_only_bookkeeping(statement: Any, classes: list[type[Any]]) -> bool:
    """Whether an UPDATE sets only columns no principal is made of (sign-in bookkeeping).
    Read from the statement's values; a statement of another form counts as shaping."""
    values = getattr(statement, "_values", None)
    if not values:
        return False
    names = {getattr(key, "key", key) for key in values}
    return all(names <= SHAPING[cls] | _BOOKKEEPING for cls in classes)


def install() -> None:
    """Listen on every ORM session (idempotent)."""
    if not event.contains(Session, "before_flush", _before_flush):
        event.listen(Session, "before_flush", _before_flush)
        event.listen(Session, "do_orm_execute", _on_statement)
