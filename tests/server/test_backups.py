"""Backups end to end on the suite's database (SQLite, or PostgreSQL in the PostgreSQL suite):
data in every table and a file store; back up, wipe, restore, and every row and file is
back; damaged, truncated, reordered, spliced and wrong-key archives are refused with
nothing changed; a backup taken while a writer keeps committing holds whole transactions
only; the API and its jobs are for administrators."""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, text
from sqlalchemy.engine import make_url

import builders
from crm_common.schemas.backups import BackupHealth, BackupKind, BackupState
from crm_server.app import create_app
from crm_server.db import migrate
from crm_server.db.engine import make_engine
from crm_server.demo import seed
from crm_server.domains.backups import service
from crm_server.domains.backups.keys import new_key_file
from crm_server.security.tls import ensure_tls
from crm_server.settings import Settings, load_settings, write_config
from databases import fresh_database
from job_gates import wait_for
from site_state import stored_files, table_rows

API = "/api/v1"
Headers = dict[str, str]
PASSWORD = "demo1234"
ARCHIVE_RECORD = 1 << 20  # roughly where the archive's second record starts


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Any]]:
    """A data directory of its own with data in every table and an attachment, and an API
    client on it."""
    from fastapi.testclient import TestClient

    with fresh_database() as url:
        settings = load_settings(tmp_path_factory.mktemp("backed"), database_url=url,
                                 log_level="warning")
        migrate.upgrade(settings)
        ensure_tls(settings, ["localhost"])
        seed(settings)
        with TestClient(create_app(settings), base_url="https://testserver") as api:
            _fill_every_table(api)
            yield settings, api


def _sign_in(api: Any, username: str = "admin") -> Headers:
    got = api.post(f"{API}/auth/login", json={"username": username, "password": PASSWORD})
    assert got.status_code == 200, got.text
    return {"Authorization": f"Bearer {got.json()['token']}", "Accept-Language": "en"}


def _run(api: Any, headers: Headers, kind: str, **params: Any) -> dict[str, Any]:
    """Start a job and wait for its end (a backup and its restore test take a while on a
    busy machine)."""
    started = api.post(f"{API}/jobs", headers=headers, json={"kind": kind, "params": params})
    assert started.status_code == 201, started.text
    job_id = started.json()["id"]
    found: dict[str, Any] = wait_for(lambda: _ended(api, headers, job_id),
                                     f"job {job_id} to end", 180)
    return found


def _fill_every_table(api: Any) -> None:
    """What the demo seed leaves empty: sessions and a failed sign-in, an attachment, a
    mapping template, an import with a problem (its job, batch, rows)."""
    api.post(f"{API}/auth/login", json={"username": "nobody-here", "password": "wrong-pass"})
    admin = _sign_in(api)
    customer = api.post(f"{API}/customers", headers=admin, json=builders.customer()).json()
    stored = api.post(f"{API}/attachments", headers=admin,
                      data={"entity": "customer", "record_id": str(customer["id"])},
                      files={"file": ("合同.pdf", b"%PDF-1.4 contract" * 500, "application/pdf")})
    assert stored.status_code == 201, stored.text
    mapping = api.post(f"{API}/import-mappings", headers=admin, json={
        "name": f"模板{builders.unique()}", "entity": "customer", "columns": {"名称": "name"}})
    assert mapping.status_code == 201, mapping.text
    csv = f"客户名称,统一社会信用代码\n备份测试{builders.unique()}有限公司,\n坏行公司,123\n"
    batch = api.post(f"{API}/imports", headers=admin, data={"entity": "customer"},
                     files={"file": ("客户.csv", csv.encode(), "text/csv")}).json()
    layout = api.get(f"{API}/imports/{batch['id']}/layout", headers=admin).json()
    mapping_of = {str(c["index"]): c["field"] for c in layout["columns"] if c["field"]}
    done = _run(api, admin, "import", import_id=batch["id"], sheet=layout["sheet"],
                header_row=layout["header_row"], mapping=mapping_of, mode="skip")
    assert done["state"] == "succeeded", done


def _wipe(settings: Settings) -> None:
    engine = make_engine(settings.effective_database_url)
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                connection.exec_driver_sql("DROP SCHEMA public CASCADE")
                connection.exec_driver_sql("CREATE SCHEMA public")
            else:
                meta = MetaData()
                meta.reflect(connection)
                connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
                for table in reversed(meta.sorted_tables):
                    table.drop(connection)
    finally:
        engine.dispose()
    shutil.rmtree(settings.path(settings.attachments_dir))


def test_every_table_and_file_comes_back_identical(site: tuple[Settings, Any]) -> None:
    settings, _ = site
    before, files = table_rows(settings), stored_files(settings)
    empty = sorted(name for name, rows in before.items() if not rows)
    assert empty == [], f"tables without data in the round trip: {empty}"
    assert files, "the file store holds the attachment and the import's original"

    made = service.make(settings, BackupKind.MANUAL)
    assert made.state == BackupState.VERIFIED and made.size > 0
    _wipe(settings)
    assert stored_files(settings) == {}

    done = service.restore(settings, service.archive_path(settings, made.name))
    assert done.migrated_from is None and done.tables == len(before) + 1
    assert table_rows(settings) == before
    assert stored_files(settings) == files
    listed = {item.name: item for item in service.catalogue(settings)}
    assert listed[made.name].state == BackupState.VERIFIED
    assert done.safety is None  # an empty database has nothing to keep


def _spoiled(archive: Path, tmp_path: Path, how: str) -> Path:
    data = bytearray(archive.read_bytes())
    target = tmp_path / f"{how}-{archive.name}"
    if how == "flipped":
        data[len(data) // 2] ^= 0x01
    elif how == "truncated":
        data = data[: len(data) - 100]
    elif how == "header":
        index = data.index(b'"kind"')
        data[index + 1] ^= 0x20
    target.write_bytes(bytes(data))
    return target


@pytest.mark.parametrize("how", ["flipped", "truncated", "header", "wrong_key"])
def test_a_spoiled_archive_is_refused_and_nothing_changes(
        site: tuple[Settings, Any], tmp_path: Path, how: str) -> None:
    settings, _ = site
    made = service.make(settings, BackupKind.MANUAL)
    archive = service.archive_path(settings, made.name)
    before, files = table_rows(settings), stored_files(settings)
    keys: dict[str, Any] = {}
    if how == "wrong_key":
        other = tmp_path / "other.key"
        new_key_file(other)
        keys["key_file"], spoiled = other, archive
    else:
        spoiled = _spoiled(archive, tmp_path, how)
    backups_before = {item.name for item in service.catalogue(settings)}

    with pytest.raises(service.BackupError) as refused:
        service.restore(settings, spoiled, **keys)

    reason = {"flipped": "tampered", "truncated": "truncated", "header": "tampered",
              "wrong_key": "wrong_key"}[how]
    assert refused.value.reason == reason, refused.value
    assert table_rows(settings) == before and stored_files(settings) == files
    # refused before the safety backup: nothing was written either
    assert {item.name for item in service.catalogue(settings)} == backups_before
    assert not list(settings.data_dir.glob(".restore-*"))


def test_an_archive_of_a_newer_revision_is_refused(site: tuple[Settings, Any],
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    settings, _ = site
    made = service.make(settings, BackupKind.MANUAL)
    monkeypatch.setattr(migrate, "head_revision", lambda: "0001")
    with pytest.raises(service.BackupError, match="newer than this server"):
        service.restore(settings, service.archive_path(settings, made.name))


def test_a_backup_taken_while_a_writer_commits_holds_whole_transactions(
        site: tuple[Settings, Any]) -> None:
    """Each customer is created with its audit row in one transaction: the restored
    snapshot has both or neither of every pair."""
    settings, api = site
    admin = _sign_in(api)
    stop = threading.Event()
    made_ids: list[int] = []

    def writer() -> None:
        while not stop.is_set():
            got = api.post(f"{API}/customers", headers=admin, json=builders.customer())
            if got.status_code == 201:
                made_ids.append(got.json()["id"])

    thread = threading.Thread(target=writer)
    thread.start()
    try:
        while len(made_ids) < 3:
            threading.Event().wait(0.05)
        made = service.make(settings, BackupKind.MANUAL)
    finally:
        stop.set()
        thread.join()
    service.restore(settings, service.archive_path(settings, made.name), safety_backup=False)

    engine = make_engine(settings.effective_database_url)
    try:
        with engine.connect() as connection:
            customers = set(connection.scalars(text("SELECT id FROM customer")))
            audited = set(connection.scalars(text(
                "SELECT record_id FROM audit_log WHERE entity = 'customer' "
                "AND action = 'create'")))
    finally:
        engine.dispose()
    written = set(made_ids)
    assert written & customers, "the backup holds some of the writer's customers"
    assert written & customers == written & audited  # never one without the other


def test_retention_runs_after_each_backup_and_keeps_the_newest_verified(
        site: tuple[Settings, Any]) -> None:
    settings, _ = site
    few = settings.model_copy(update={"backup_keep_daily": 1, "backup_keep_weekly": 0,
                                      "backup_keep_monthly": 0})
    first = service.make(few, BackupKind.MANUAL)
    second = service.make(few, BackupKind.MANUAL)
    names = {item.name for item in service.catalogue(few)}
    assert second.name in names and first.name not in names
    assert not (service.backup_dir(few) / first.name).exists()


def test_no_space_gives_a_clear_error_and_no_partial_archive(
        site: tuple[Settings, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    settings, _ = site
    real = shutil.disk_usage

    def full(path: Any) -> Any:
        return real(path)._replace(free=10 << 20)

    monkeypatch.setattr(service.shutil, "disk_usage", full)
    with pytest.raises(service.BackupError, match="not enough free space"):
        service.make(settings, BackupKind.MANUAL)
    assert not list(service.backup_dir(settings).glob("*.part"))
    newest = service.catalogue(settings)[0]  # the failure shows, red, where admins look
    assert newest.state == BackupState.FAILED and "free space" in (newest.error or "")
    assert service.health(service.catalogue(settings))[0] == BackupHealth.FAILED


def test_health_says_failed_stale_and_none() -> None:
    from datetime import UTC, datetime, timedelta

    now = datetime(2026, 12, 5, 12, tzinfo=UTC)

    def item(hours: float, state: BackupState) -> Any:
        return service.BackupInfo(
            name=f"crm-x-{hours}.crmbak", created_at=now - timedelta(hours=hours), size=1,
            kind=BackupKind.SCHEDULED, database="sqlite", version="1", migration="0015",
            includes_tls_keys=False, state=state, error="disk full"
            if state == BackupState.FAILED else None)

    assert service.health([], now)[0] == BackupHealth.NONE
    assert service.health([item(1, BackupState.VERIFIED)], now) == (BackupHealth.OK, None)
    assert service.health([item(1, BackupState.FAILED), item(20, BackupState.VERIFIED)],
                          now) == (BackupHealth.FAILED, "disk full")
    assert service.health([item(72, BackupState.RESTORED)], now)[0] == BackupHealth.STALE


def test_the_api_lists_runs_verifies_and_downloads_for_administrators_only(
        site: tuple[Settings, Any]) -> None:
    settings, api = site
    admin, rep = _sign_in(api), _sign_in(api, "sales")
    assert api.get(f"{API}/backups", headers=rep).status_code == 403
    assert api.post(f"{API}/jobs", headers=rep, json={
        "kind": "backup", "params": {}}).status_code == 403

    done = _run(api, admin, "backup")
    assert done["state"] == "succeeded", done
    name = done["result"]["name"]
    listed = api.get(f"{API}/backups", headers=admin).json()
    assert listed["items"][0]["name"] == name and listed["items"][0]["state"] == "verified"
    assert listed["health"] == "ok" and listed["free_bytes"] > 0
    assert api.get(f"{API}/health").json()["backup"] == "ok"

    checked = _run(api, admin, "backup_verify", name=name, restore_test=True)
    assert checked["state"] == "succeeded", checked
    listed = api.get(f"{API}/backups", headers=admin).json()
    assert listed["items"][0]["state"] == "restored"

    got = api.get(f"{API}/backups/{name}/file", headers=admin)
    assert got.status_code == 200
    assert got.content == service.archive_path(settings, name).read_bytes()
    assert api.get(f"{API}/backups/{name}/file", headers=rep).status_code == 403
    for bad in ("..%2Fcrm.toml", "crm.toml", "crm-20260101-000000-x.crmbak"):
        assert api.get(f"{API}/backups/{bad}/file", headers=admin).status_code in (404, 422)


def test_a_restore_from_the_client_needs_the_name_typed_and_is_armed(
        site: tuple[Settings, Any]) -> None:
    settings, api = site
    admin = _sign_in(api)
    made = service.make(settings, BackupKind.MANUAL)
    refused = _run(api, admin, "backup_restore", name=made.name, confirm="yes")
    assert refused["state"] == "failed"
    assert not service.request_path(settings).exists()

    armed = _run(api, admin, "backup_restore", name=made.name, confirm=made.name)
    assert armed["state"] == "succeeded", armed
    assert armed["result"] == {"name": made.name, "restart": False}
    said: list[str] = []
    assert service.apply_requested(settings, said.append)
    assert not service.request_path(settings).exists()
    assert said[-1].startswith(f"Restored {made.name}")
    safety = said[-1].rpartition(" is in ")[2]
    listed = {item.name: item for item in service.catalogue(settings)}
    assert listed[safety].kind == BackupKind.SAFETY and listed[safety].includes_tls_keys



def test_an_archive_of_an_older_revision_is_migrated_forward(tmp_path: Path) -> None:
    with fresh_database() as url:
        settings = load_settings(tmp_path / "older", database_url=url)
        migrate.upgrade(settings, "0013")
        made = service.make(settings, BackupKind.MANUAL)
        assert made.migration == "0013"
        migrate.upgrade(settings)

        done = service.restore(settings, service.archive_path(settings, made.name))
        assert done.migrated_from == "0013"
        assert migrate.current_revision(settings) == migrate.head_revision()
        assert done.safety is not None and done.safety.migration == migrate.head_revision()


def test_a_role_that_is_not_superuser_backs_up_restores_and_restore_tests(
        tmp_path: Path) -> None:
    """As deploy_onprem/pg-setup.sh makes it: the CRM's role owns its database (with
    CREATEDB for the restore test), pg_trgm was made by the superuser."""
    base = os.environ.get("CRM_TEST_DATABASE_URL", "")
    if not base:
        pytest.skip("PostgreSQL's roles; SQLite has none")
    tag = uuid.uuid4().hex[:8]
    role, name = f"crm_owner_{tag}", f"crm_owned_{tag}"
    superuser = _superuser(base)
    try:
        with superuser.connect() as connection:
            connection.exec_driver_sql(
                f"CREATE ROLE {role} LOGIN PASSWORD 'secret-{tag}' NOSUPERUSER CREATEDB")
            connection.exec_driver_sql(
                f"CREATE DATABASE {name} OWNER {role} TEMPLATE template0 ENCODING 'UTF8' "
                "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'")
        inside = make_engine(superuser.url.set(database=name).render_as_string(
            hide_password=False), isolation_level="AUTOCOMMIT")
        with inside.connect() as connection:
            connection.exec_driver_sql("CREATE EXTENSION pg_trgm")
        inside.dispose()
        url = make_url(base).set(username=role, password=f"secret-{tag}", database=name)
        settings = load_settings(tmp_path / "owned", database_url=url.render_as_string(
            hide_password=False))
        migrate.upgrade(settings)
        seed(settings)
        made = service.make(settings, BackupKind.MANUAL)
        tested = service.verify(settings, service.archive_path(settings, made.name),
                                restore_test=True)
        assert tested.state == BackupState.RESTORED
        before = table_rows(settings)
        done = service.restore(settings, service.archive_path(settings, made.name))
        assert done.safety is not None
        assert table_rows(settings) == before
    finally:
        with superuser.connect() as connection:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            connection.exec_driver_sql(f"DROP ROLE IF EXISTS {role}")
        superuser.dispose()


def _superuser(base: str) -> Any:
    """The suite's role when it is a superuser, else the cluster's superuser as the libpq
    environment names it (.ci/with-postgres.sh runs the suite as pg-setup.sh's role inside
    pg_virtualenv, which exports the superuser's PGHOST, PGUSER and PGPASSWORD)."""
    for url in (base, "postgresql+psycopg2:///postgres"):
        engine = make_engine(url, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            if connection.scalar(text(
                    "SELECT rolsuper FROM pg_roles WHERE rolname = current_user")):
                return engine
        engine.dispose()
    raise AssertionError("no PostgreSQL superuser to make a role with")


def test_migrate_backs_up_a_database_it_is_about_to_upgrade(tmp_path: Path) -> None:
    from crm_server import cli

    with fresh_database() as url:
        settings = load_settings(tmp_path / "upgrading", database_url=url)
        migrate.upgrade(settings, "0013")
        write_config(settings, database_url=url)  # what `crm-server migrate` reads
        assert cli.main(["migrate", "--data-dir", str(settings.data_dir)]) == 0
        taken = service.catalogue(settings)
        assert [(b.kind, b.migration, b.state) for b in taken] == [
            (BackupKind.PRE_UPGRADE, "0013", BackupState.VERIFIED)]
        assert taken[0].includes_tls_keys
        assert cli.main(["migrate", "--data-dir", str(settings.data_dir)]) == 0
        assert len(service.catalogue(settings)) == 1  # already current: nothing to keep


def test_a_passphrase_instead_of_the_key_file(site: tuple[Settings, Any],
                                              tmp_path: Path) -> None:
    settings, _ = site
    secret = settings.model_copy(update={"backup_passphrase": "长城 backup 2026!"})
    made = service.make(secret, BackupKind.MANUAL)
    archive = service.archive_path(secret, made.name)
    assert service.header_of(archive).key["kind"] == "passphrase"
    with pytest.raises(service.BackupError, match="passphrase"):
        service.verify(settings, archive)  # the server's key file does not open it
    with pytest.raises(service.BackupError) as wrong:
        service.verify(settings, archive, passphrase="长城 backup 2025!")
    assert wrong.value.reason == "wrong_key"
    assert service.info(archive.parent, made.name).state == BackupState.FAILED  # its own
    assert service.verify(settings, archive, passphrase="长城 backup 2026!").state in (
        BackupState.VERIFIED, BackupState.RESTORED)


def test_the_scheduler_backs_up_and_restore_tests_as_the_system(
        site: tuple[Settings, Any]) -> None:
    """Both tasks are declared with their defaults; a week later each has run once, as
    jobs with no starter."""
    from datetime import timedelta

    from crm_server.db.engine import make_session_factory
    from crm_server.db.types import utcnow
    from crm_server.kit import scheduler

    settings, api = site
    admin = _sign_in(api)
    tasks = {t["name"]: t for t in api.get(f"{API}/scheduled-tasks", headers=admin).json()[
        "items"]}
    assert tasks["backup"]["effective_schedule"] == "daily 02:00"
    assert tasks["backup_restore_test"]["effective_schedule"] == "weekly sun 03:00"
    service.make(settings, BackupKind.MANUAL)  # whichever job runs first finds a backup
    engine = make_engine(settings.effective_database_url)
    try:
        factory = make_session_factory(engine)
        scheduler.tick(factory)  # the tasks' rows, if the runner has not made them yet
        queued = scheduler.tick(factory, utcnow() + timedelta(days=8))
    finally:
        engine.dispose()
    assert len(queued) == 2
    ended = [wait_for(lambda j=job_id: _ended(api, admin, j), "a scheduled job", 180)
             for job_id in queued]
    assert [job["state"] for job in ended] == ["succeeded", "succeeded"], ended
    assert all(job["started_by_id"] is None for job in ended)
    kinds = {item.name: item.kind for item in service.catalogue(settings)}
    made = next(job["result"]["name"] for job in ended if job["kind"] == "backup")
    assert kinds[made] == BackupKind.SCHEDULED


def _ended(api: Any, headers: Headers, job_id: int) -> dict[str, Any] | None:
    job: dict[str, Any] = api.get(f"{API}/jobs/{job_id}", headers=headers).json()
    return job if job["state"] in ("succeeded", "failed", "cancelled") else None


def test_a_cancelled_backup_leaves_nothing_and_is_no_failure(
        site: tuple[Settings, Any]) -> None:
    from crm_server.kit import jobs

    settings, _ = site
    before = {item.name for item in service.catalogue(settings)}

    def cancel(done: int, total: int | None) -> None:
        if done:
            raise jobs.Cancelled

    with pytest.raises(jobs.Cancelled):
        service.make(settings, BackupKind.MANUAL, step=cancel)
    assert {item.name for item in service.catalogue(settings)} == before
    assert not list(service.backup_dir(settings).glob("*.part"))
