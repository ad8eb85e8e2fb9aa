"""The audit trail: field-level history, sign-ins, and a hash chain that shows tampering."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

import builders
from crm_server.db.audit import append, entry, verify_chain
from crm_server.db.engine import make_engine
from crm_server.models import AuditEntry

API = "/api/v1"


def test_history_records_field_old_and_new(api: Any, rep: dict[str, str]) -> None:
    made = api.post(f"{API}/customers", json=builders.customer(level="C"), headers=rep).json()
    api.patch(f"{API}/customers/{made['id']}", headers=rep, json={"version": 1, "level": "A"})
    history = api.get(f"{API}/customers/{made['id']}/history", headers=rep).json()
    assert history[0]["action"] == "update"
    assert history[0]["user_name"] == "李销售"
    assert history[0]["changes"] == [{"field": "level", "old": "C", "new": "A"}]
    created = {c["field"]: c["new"] for c in history[1]["changes"]}
    assert created["name"] == made["name"] and "search_text" not in created


def test_passwords_never_reach_the_history(api: Any, admin: dict[str, str], app: Any) -> None:
    api.post(f"{API}/users", headers=admin, json={
        "username": f"audit{builders.unique()}", "name": "审计", "password": "Secret-12345"})
    with app.state.session_factory() as session:
        rows = session.scalars(select(AuditEntry.changes)).all()
    assert "Secret-12345" not in repr(rows)
    assert all("$argon2" not in repr(changes) for changes in rows)


def test_sign_ins_are_audited(api: Any, app: Any) -> None:
    api.post(f"{API}/auth/login", json={"username": "sales", "password": "wrong"})
    with app.state.session_factory() as session:
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id.desc())
                                  .limit(1)).all()
    assert actions == ["login_failed"]


def test_chain_detects_tampering(api: Any, rep: dict[str, str], app: Any) -> None:
    api.post(f"{API}/customers", json=builders.customer(), headers=rep)
    with app.state.session_factory() as session:
        assert verify_chain(session) is None
        victim = session.scalars(select(AuditEntry.id).order_by(AuditEntry.id.desc())).first()
        original = session.scalar(select(AuditEntry.changes).where(AuditEntry.id == victim))
        session.execute(update(AuditEntry).where(AuditEntry.id == victim)
                        .values(changes=[{"field": "name", "old": None, "new": "forged"}]))
        assert verify_chain(session) == victim
        session.execute(update(AuditEntry).where(AuditEntry.id == victim)
                        .values(changes=original))
        assert verify_chain(session) is None
        session.rollback()


def test_on_sqlite_no_other_writer_slips_in_between_reading_and_extending_the_chain(
    tmp_path: Path,
) -> None:
    """Another process appending right after this one read the last hash would fork the
    chain; on SQLite that writer must wait for this transaction instead (here it gives up
    at once: its lock wait is 0)."""
    engine = make_engine(f"sqlite:///{tmp_path / 'chain.sqlite3'}")
    AuditEntry.metadata.create_all(engine, tables=[AuditEntry.__table__])
    other = make_engine(f"sqlite:///{tmp_path / 'chain.sqlite3'}")
    event.listen(other, "connect", lambda dbapi, _: dbapi.execute("PRAGMA busy_timeout=0"))
    intruded: list[str] = []

    def intrude(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.startswith("SELECT audit_log.hash") and not intruded:
            try:
                with Session(other) as session, session.begin():
                    append(session, [entry(session, "login", "user", 1, user_id=1)])
                intruded.append("committed")
            except OperationalError:
                intruded.append("waited")

    event.listen(engine, "before_cursor_execute", intrude)
    with Session(engine) as session, session.begin():
        append(session, [entry(session, "logout", "user", 1, user_id=1)])
    with Session(engine) as session:
        assert verify_chain(session) is None
    assert intruded == ["waited"]
    engine.dispose()
    other.dispose()


def test_the_chain_is_extended_as_the_transaction_commits_and_not_after_a_rollback(
    tmp_path: Path,
) -> None:
    """Rows wait for the commit: until then no lock of the chain is held (another writer
    goes on at once), and a rolled-back unit of work leaves none of its rows behind."""
    engine = make_engine(f"sqlite:///{tmp_path / 'chain.sqlite3'}")
    AuditEntry.metadata.create_all(engine, tables=[AuditEntry.__table__])
    other = make_engine(f"sqlite:///{tmp_path / 'chain.sqlite3'}")
    event.listen(other, "connect", lambda dbapi, _: dbapi.execute("PRAGMA busy_timeout=0"))
    with Session(engine) as session:
        append(session, [entry(session, "logout", "user", 1, user_id=1)])
        session.rollback()
        append(session, [entry(session, "login", "user", 1, user_id=1)])
        session.flush()
        with Session(other) as intruder, intruder.begin():  # would fail on a held lock
            append(intruder, [entry(intruder, "revoke", "user", 2, user_id=2)])
        session.commit()
    with Session(engine) as session:
        assert list(session.scalars(select(AuditEntry.action).order_by(AuditEntry.id))) == [
            "revoke", "login"]
        assert verify_chain(session) is None
    engine.dispose()
    other.dispose()
