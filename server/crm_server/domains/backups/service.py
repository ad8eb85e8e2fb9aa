"""Backups: make one, prove it, restore it, keep the right ones.

A backup is one archive (``archive``: encrypted, authenticated, compressed) in the backup
directory holding the database dump (``database``), the file store and the server's
configuration, with a manifest of every table's row count and checksum and every file's
SHA-256. Next to each archive a small JSON file (its *sidecar*) records what is known of it:
written, verified, restore-tested or failed, when, and why. The backup directory is the
catalogue: the backup screen, ``/health`` and retention read it, and an archive copied in
from elsewhere (a disaster-recovery drill) is listed from its plaintext header.

Nothing here goes through the access choke point: a backup is the whole database by
definition, taken and restored only by administrators (the job kinds and routes) or by IT
on the server's console.
"""

from __future__ import annotations

import errno
import hashlib
import json
import logging
import os
import shutil
import signal
import tempfile
import tomllib
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO

import crm_server
from crm_common.schemas.backups import (
    BackupHealth,
    BackupInfo,
    BackupKind,
    BackupList,
    BackupState,
)
from crm_server.db import migrate
from crm_server.domains.attachments import store_dir
from crm_server.domains.backups import database, retention
from crm_server.domains.backups.archive import (
    ArchiveError,
    ArchiveReader,
    ArchiveWriter,
    Header,
    read_header,
)
from crm_server.domains.backups.keys import KeySource, new_key_file, read_key_file
from crm_server.kit import jobs
from crm_server.settings import CONFIG_NAME, Settings

log = logging.getLogger(__name__)

SUFFIX = ".crmbak"
SIDECAR = ".json"
PARTIAL = ".part"
MANIFEST_FORMAT = 1
MIB = 1 << 20
MARGIN = 64 * MIB  # free space kept beyond the estimate
STALE_AFTER = timedelta(hours=48)  # no good backup younger than this: health "stale"
RESTORE_REQUEST = "restore-request.json"
SERVE_PID = "CRM_SERVE_PID"  # set by serve.run: the process a restore restarts
RESTART_SIGNAL = signal.SIGUSR1  # stops serve.run's server to serve again (not to exit)
FILES = "files/"
CONFIG = "config/"
TLS_PUBLIC = ("tls_ca_cert", "tls_cert")
TLS_PRIVATE = ("tls_ca_key", "tls_key")

Step = Callable[[int, int | None], None]  # progress: done, total (MiB)


class BackupError(Exception):
    """A backup, verification or restore could not be done; the message says why and what
    to do, and nothing was changed (a restore) or left half-written (a backup). ``reason``:
    the archive's (``archive.REASONS``: wrong_key, tampered, truncated…) or "failed"."""

    def __init__(self, message: str, reason: str = "failed") -> None:
        super().__init__(message)
        self.reason = reason


def _wrapped(error: BaseException) -> BackupError:
    if isinstance(error, BackupError):
        return error
    return BackupError(_describe(error), getattr(error, "reason", "failed"))


def _quiet(done: int, total: int | None) -> None:
    """No progress to show."""


# --- keys ------------------------------------------------------------------------------------

def key_path(settings: Settings) -> Path:
    return settings.path(settings.backup_key_file)


def ensure_key(settings: Settings) -> str | None:
    """Make the backup key file unless it exists or a passphrase is used instead: its
    printable form (to show once, with the advice to keep a copy offline), else None."""
    path = key_path(settings)
    if settings.backup_passphrase or path.exists():
        return None
    path.parent.mkdir(parents=True, exist_ok=True)
    return new_key_file(path)


def writing_key(settings: Settings) -> KeySource:
    if settings.backup_passphrase:
        return KeySource(passphrase=settings.backup_passphrase)
    created = ensure_key(settings)
    if created is not None:
        log.warning("a new backup key was made at %s: keep a copy of it offline, without it "
                    "no backup can be restored", key_path(settings))
    return KeySource(key=read_key_file(key_path(settings)))


def reading_key(settings: Settings, header: Header, key_file: Path | None = None,
                passphrase: str | None = None) -> KeySource:
    """The key an archive needs, as its header asks: the given key file or passphrase,
    else the server's own."""
    if header.key.get("kind") == "passphrase":
        given = passphrase or settings.backup_passphrase
        if not given:
            raise BackupError("this backup was made with a passphrase: give it "
                              "(--passphrase-env VAR, or CRM_BACKUP_PASSPHRASE)")
        return KeySource(passphrase=given)
    path = key_file or key_path(settings)
    if not path.exists():
        raise BackupError(f"this backup was made with a key file and {path} does not exist: "
                          "give the key kept offline with --key-file")
    return KeySource(key=read_key_file(path))


# --- the catalogue ---------------------------------------------------------------------------

def backup_dir(settings: Settings) -> Path:
    return settings.path(settings.backup_dir)


def _sidecar(archive: Path) -> Path:
    return archive.with_name(archive.name + SIDECAR)


def _save(directory: Path, info: BackupInfo) -> BackupInfo:
    target = _sidecar(directory / info.name)
    temp = target.with_name(target.name + PARTIAL)
    temp.write_text(info.model_dump_json(indent=1), "utf-8")
    os.replace(temp, target)
    return info


def _from_header(path: Path) -> BackupInfo:
    with path.open("rb") as source:
        header = read_header(source)
    meta = header.meta
    return BackupInfo(name=path.name, created_at=header.created_at, size=path.stat().st_size,
                      kind=meta.get("kind", BackupKind.MANUAL),
                      database=meta.get("database", "?"), version=meta.get("version", "?"),
                      migration=meta.get("migration"),
                      includes_tls_keys=bool(meta.get("includes_tls_keys")),
                      state=BackupState.WRITTEN)


def info(directory: Path, name: str) -> BackupInfo:
    """What is known of the backup ``name`` (its sidecar, else its header)."""
    sidecar = _sidecar(directory / name)
    if sidecar.exists():
        with suppress(ValueError, OSError):
            return BackupInfo.model_validate_json(sidecar.read_text("utf-8"))
    try:
        return _from_header(directory / name)
    except (ArchiveError, OSError) as error:
        return BackupInfo(name=name, created_at=datetime.fromtimestamp(
            (directory / name).stat().st_mtime, UTC), size=(directory / name).stat().st_size,
            kind=BackupKind.MANUAL, database="?", version="?", migration=None,
            includes_tls_keys=False, state=BackupState.FAILED, error=str(error))


def catalogue(settings: Settings) -> list[BackupInfo]:
    """Every backup of the directory, newest first: archives and failed attempts."""
    directory = backup_dir(settings)
    if not directory.is_dir():
        return []
    names = {p.name for p in directory.glob(f"*{SUFFIX}")}
    names |= {p.name[:-len(SIDECAR)] for p in directory.glob(f"*{SUFFIX}{SIDECAR}")}
    found = [info(directory, name) for name in names]
    return sorted(found, key=lambda item: item.created_at, reverse=True)


def health(items: list[BackupInfo], now: datetime | None = None
           ) -> tuple[BackupHealth, str | None]:
    """``failed`` when the newest backup or its verification failed, ``stale`` when no
    good backup is younger than ``STALE_AFTER``, ``none`` before the first."""
    if not items:
        return BackupHealth.NONE, "no backup has been made yet"
    newest = items[0]
    if newest.state == BackupState.FAILED:
        return BackupHealth.FAILED, newest.error or "the newest backup failed"
    good = [item for item in items if item.state != BackupState.FAILED]
    if (now or datetime.now(UTC)) - good[0].created_at > STALE_AFTER:
        return BackupHealth.STALE, f"the newest good backup is from {good[0].created_at:%Y-%m-%d}"
    return BackupHealth.OK, None


def listing(settings: Settings) -> BackupList:
    items = catalogue(settings)
    state, detail = health(items)
    directory = backup_dir(settings)
    free = shutil.disk_usage(directory).free if directory.is_dir() else None
    return BackupList(items=items, directory=str(directory.resolve()), free_bytes=free,
                      health=state, detail=detail)


def archive_path(settings: Settings, name: str) -> Path:
    """The archive ``name`` in the backup directory (names are checked by the API's
    pattern: never a path); BackupError when there is none."""
    path = backup_dir(settings) / PurePosixPath(name).name
    if not path.name.endswith(SUFFIX) or not path.is_file():
        raise BackupError(f"there is no backup {name}")
    return path


def prune(settings: Settings) -> list[str]:
    """Delete the backups retention does not keep; their names."""
    directory = backup_dir(settings)
    items = catalogue(settings)
    local = datetime.now().astimezone().tzinfo
    keep = retention.kept(
        [retention.Candidate(i.name, i.created_at.astimezone(local),
                             i.state != BackupState.FAILED,
                             i.state in (BackupState.VERIFIED, BackupState.RESTORED),
                             i.kind in (BackupKind.PRE_UPGRADE, BackupKind.SAFETY))
         for i in items],
        settings.backup_keep_daily, settings.backup_keep_weekly, settings.backup_keep_monthly)
    gone = [item.name for item in items if item.name not in keep]
    for name in gone:
        for path in (directory / name, _sidecar(directory / name)):
            path.unlink(missing_ok=True)
    return gone


# --- making one ------------------------------------------------------------------------------

def _data_files(settings: Settings, include_tls_keys: bool) -> Iterator[tuple[str, Path]]:
    """(member name, path) of every file a backup carries besides the database."""
    store = store_dir(settings)
    if store.is_dir():
        for path in sorted(store.rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                yield FILES + path.relative_to(store).as_posix(), path
    config = settings.data_dir / CONFIG_NAME
    if config.is_file():
        yield CONFIG + CONFIG_NAME, config
    for setting in TLS_PUBLIC + (TLS_PRIVATE if include_tls_keys else ()):
        path = settings.path(getattr(settings, setting))
        if path.is_file():
            yield f"{CONFIG}{setting}", path


def _check_space(directory: Path, needed: int) -> None:
    free = shutil.disk_usage(directory).free
    if free < needed + MARGIN:
        raise BackupError(
            f"not enough free space in {directory}: {free // MIB} MiB free, about "
            f"{(needed + MARGIN) // MIB} MiB needed; free some space or set backup_dir to "
            "a larger disk")


def _name(kind: BackupKind) -> str:
    return (f"crm-{datetime.now():%Y%m%d-%H%M%S}-{kind.value}-{uuid.uuid4().hex[:4]}"
            f"{SUFFIX}")


def make(settings: Settings, kind: BackupKind, include_tls_keys: bool = False,
         step: Step = _quiet, verify_after: bool = True) -> BackupInfo:
    """Write one backup and verify it (integrity); then apply retention. A failure leaves
    no archive, only a failed entry in the catalogue, and raises BackupError."""
    directory = backup_dir(settings)
    directory.mkdir(parents=True, exist_ok=True)
    db = database.for_settings(settings)
    name = _name(kind)
    partial = directory / (name + PARTIAL)
    created = datetime.now(UTC)
    meta = {"kind": kind.value, "database": db.kind, "version": crm_server.__version__,
            "migration": migrate.current_revision(settings),
            "includes_tls_keys": include_tls_keys}
    entry = BackupInfo(name=name, created_at=created, size=0, database=db.kind,
                       version=meta["version"], migration=meta["migration"], kind=kind,
                       includes_tls_keys=include_tls_keys, state=BackupState.FAILED)
    try:
        files = list(_data_files(settings, include_tls_keys))
        payload = sum(path.stat().st_size for _, path in files)
        size = db.size()
        _check_space(directory, payload + size * (2 if db.kind == "sqlite" else 1))
        total = (size + payload) // MIB + 1
        with partial.open("wb") as out, database.scratch_dir(directory) as scratch:
            writer = ArchiveWriter(out, writing_key(settings), meta)
            step(0, total)
            tables = db.dump(writer, scratch)
            done = size
            step(done // MIB, total)
            for member, path in files:
                writer.add_file(member, path)
                done += path.stat().st_size
                step(done // MIB, total)
            writer.finish({"format": MANIFEST_FORMAT, **meta, "created_at": created.isoformat(),
                           "tables": tables,
                           "files": [asdict(m) for m in writer.members]})
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, directory / name)
    except BaseException as error:
        partial.unlink(missing_ok=True)
        if isinstance(error, jobs.Cancelled | KeyboardInterrupt):
            raise  # stopped on purpose: nothing failed
        failed = _wrapped(error)
        _save(directory, entry.model_copy(update={"error": str(failed)}))
        if failed is error or isinstance(error, jobs.Interrupted) or not isinstance(
                error, Exception):
            raise
        raise failed from error
    entry = _save(directory, entry.model_copy(update={
        "state": BackupState.WRITTEN, "size": (directory / name).stat().st_size}))
    if verify_after:
        entry = verify(settings, directory / name)
    prune(settings)
    return entry


def _describe(error: BaseException) -> str:
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return "the backup directory ran out of space; free some space and back up again"
    if isinstance(error, BackupError | ArchiveError | database.DatabaseError):
        return str(error)
    if isinstance(error, Exception):
        return f"{type(error).__name__}: {error}"
    return "the backup was stopped"


# --- verifying one ---------------------------------------------------------------------------

class Hashed:
    """A member as read, with the SHA-256 of what was read of it (checked against the
    manifest once the archive's end is authenticated)."""

    def __init__(self, member: database.MemberReader) -> None:
        self.name = member.name
        self.digest = hashlib.sha256()
        self.size = 0
        self._blocks = self._hashing(member)

    def _hashing(self, member: database.MemberReader) -> Iterator[bytes]:
        for block in member.blocks():
            self.digest.update(block)
            self.size += len(block)
            yield block

    def blocks(self) -> Iterator[bytes]:
        """The member's blocks (one pass: what was read is not read again)."""
        return self._blocks

    def drain(self) -> None:
        for _ in self._blocks:
            pass


def _database_for(settings: Settings, kind: str) -> database.Database:
    if kind == "sqlite":
        return database.SqliteDatabase(Path(os.devnull))
    if kind != ("sqlite" if settings.is_sqlite else "postgresql"):
        raise BackupError(f"this backup holds a {kind} database; this server uses "
                          f"{'SQLite' if settings.is_sqlite else 'PostgreSQL'}")
    return database.for_settings(settings)


def read_all(source: BinaryIO, key: KeySource,
             on_member: Callable[[Hashed], None]) -> tuple[Header, dict[str, Any]]:
    """Read the whole archive, handing each member to ``on_member`` (what it leaves unread
    is read after it); then check the members against the manifest: the same names, sizes
    and SHA-256s. The header and the manifest."""
    reader = ArchiveReader(source, key)
    found: dict[str, Hashed] = {}
    for member in reader.members():
        hashed = found[member.name] = Hashed(member)
        on_member(hashed)
        hashed.drain()
    manifest = reader.manifest
    listed = {entry["name"]: entry for entry in manifest.get("files", [])}
    if listed.keys() != found.keys():
        odd = sorted(listed.keys() ^ found.keys())
        raise BackupError(f"the archive's members differ from its manifest ({odd[0]})")
    for name, hashed in found.items():
        if (hashed.size, hashed.digest.hexdigest()) != (listed[name]["size"],
                                                          listed[name]["sha256"]):
            raise BackupError(f"{name} differs from its manifest entry")
    return reader.header, manifest


def verify(settings: Settings, path: Path, restore_test: bool = False,
           key_file: Path | None = None, passphrase: str | None = None,
           step: Step = _quiet) -> BackupInfo:
    """Verify the archive at ``path``: integrity (every chunk authenticated, the manifest
    and the SHA-256s checked, the dump readable), and with ``restore_test`` a restore into
    a scratch database whose fingerprints must equal the manifest's. The result is
    recorded in its sidecar when it is one of the backup directory's; BackupError (also
    recorded, unless the caller gave a key of their own) when it fails."""
    directory = path.parent
    ours = directory.resolve() == backup_dir(settings).resolve()
    entry = info(directory, path.name)
    try:
        with path.open("rb") as source:
            header = read_header(source)
        db = _database_for(settings, header.meta.get("database", "?"))
        key = reading_key(settings, header, key_file, passphrase)
        total = path.stat().st_size // MIB + 1
        dump = database.DUMP_MEMBER[db.kind]
        found: dict[str, Any] = {}
        with path.open("rb") as source, database.scratch_dir(backup_dir(settings)) as scratch:
            def on_member(member: Hashed) -> None:
                if member.name == dump:
                    found["tables"] = (db.restore_test(member, scratch) if restore_test
                                       else db.check(member, scratch))
                step(source.tell() // MIB, total)

            _, manifest = read_all(source, key, on_member)
        if "tables" not in found:
            raise BackupError("the archive holds no database")
        tables = manifest.get("tables", {})
        problems = (database.compare(tables, found["tables"]) if restore_test else
                    [f"the dump lacks the data of table {name}"
                     for name in sorted(tables.keys() - found["tables"])])
        if problems:
            raise BackupError("; ".join(problems[:5]))
    except (BackupError, ArchiveError, database.DatabaseError, OSError) as error:
        failed = _wrapped(error)
        if ours and key_file is None and passphrase is None:  # not an operator's own key
            _save(directory, entry.model_copy(update={"state": BackupState.FAILED,
                                                      "error": str(failed)}))
        raise failed from error
    now = datetime.now(UTC)
    update: dict[str, Any] = {"error": None, "verified_at": now}
    if restore_test:
        update.update(state=BackupState.RESTORED, restore_tested_at=now)
    elif entry.state != BackupState.RESTORED:
        update["state"] = BackupState.VERIFIED
    entry = entry.model_copy(update=update)
    return _save(directory, entry) if ours else entry


# --- restoring one ---------------------------------------------------------------------------

def _revision_number(revision: str | None) -> int:
    return int(revision) if revision and revision.isdigit() else -1


def header_of(path: Path) -> Header:
    """The archive's plaintext header; BackupError for a file that is not an archive."""
    try:
        with path.open("rb") as source:
            return read_header(source)
    except (ArchiveError, OSError) as error:
        raise _wrapped(error) from error


def check_restorable(settings: Settings, header: Header) -> None:
    """Refuse an archive of another kind of database, or of a newer (or unknown)
    migration level than this version of the server knows."""
    _database_for(settings, header.meta.get("database", "?"))
    theirs, head = header.meta.get("migration"), migrate.head_revision()
    if theirs is None or _revision_number(theirs) > _revision_number(head):
        raise BackupError(
            f"this backup is of database revision {theirs}, newer than this server's "
            f"{head} (version {crm_server.__version__}): install the version that made it "
            f"({header.meta.get('version', '?')}) or newer first")


def _member_path(root: Path, name: str) -> Path:
    """Where member ``name`` is staged: only plain relative names inside ``root``."""
    parts = PurePosixPath(name).parts
    if not parts or any(part in ("", ".", "..") for part in parts) or name.startswith("/"):
        raise BackupError(f"the archive holds a file with a forbidden name: {name!r}")
    return root.joinpath(*parts)


def stage(settings: Settings, path: Path, staging: Path, key: KeySource,
          step: Step = _quiet) -> dict[str, Any]:
    """Unpack the whole archive into ``staging``, authenticating every chunk and checking
    it against the manifest (nothing outside ``staging`` is touched); the manifest."""
    total = path.stat().st_size // MIB + 1
    with path.open("rb") as source:
        def on_member(member: Hashed) -> None:
            target = _member_path(staging, member.name)
            target.parent.mkdir(parents=True, exist_ok=True)
            with target.open("wb") as out:
                for block in member.blocks():
                    out.write(block)
            step(source.tell() // MIB, total)

        _, manifest = read_all(source, key, on_member)
    return manifest


def _swap_files(settings: Settings, staged: Path) -> None:
    """The file store becomes the staged one (renames on one disk: the old one stays whole
    until the new one is in place)."""
    store = store_dir(settings)
    old = store.with_name(store.name + ".before-restore")
    shutil.rmtree(old, ignore_errors=True)
    if store.exists():
        os.replace(store, old)
    if staged.is_dir():
        shutil.move(str(staged), store)
    else:
        store.mkdir(parents=True)
    shutil.rmtree(old, ignore_errors=True)


def _restore_config(settings: Settings, staged: Path, with_tls: bool) -> None:
    """The archived ``crm.toml``, keeping this machine's database URL (the database the
    restore went into); the TLS files only when the archive carries their keys (a
    certificate without its key would not serve)."""
    archived = staged / CONFIG_NAME
    if archived.is_file():
        import tomli_w

        values = tomllib.loads(archived.read_text("utf-8"))
        target = settings.data_dir / CONFIG_NAME
        mine = tomllib.loads(target.read_text("utf-8")) if target.is_file() else {}
        values.pop("database_url", None)
        if "database_url" in mine:
            values["database_url"] = mine["database_url"]
        target.write_text("# Restored from a backup; database_url is this machine's.\n"
                          + tomli_w.dumps(values), "utf-8")
        target.chmod(0o600)
    if with_tls:
        for setting in TLS_PUBLIC + TLS_PRIVATE:
            source = staged / setting
            if source.is_file():
                target = settings.path(getattr(settings, setting))
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(source, target)
                if setting in TLS_PRIVATE:
                    target.chmod(0o600)


@dataclass(frozen=True)
class Restored:
    name: str
    safety: BackupInfo | None  # the backup of what was there before
    migrated_from: str | None  # the archive's revision when it was migrated forward
    tables: int
    files: int


def restore(settings: Settings, path: Path, key_file: Path | None = None,
            passphrase: str | None = None, safety_backup: bool = True,
            step: Step = _quiet) -> Restored:
    """Replace the database, the file store and the configuration with the archive's.

    First the whole archive is unpacked and checked (a tampered, truncated, reordered or
    wrong-key archive is refused here, with nothing changed); then the current state is
    backed up (the safety backup); then the database is replaced in one transaction and
    checked against the manifest, the files and configuration follow, and an archive of
    an older revision is migrated forward. The server must not be serving meanwhile."""
    header = header_of(path)
    check_restorable(settings, header)
    key = reading_key(settings, header, key_file, passphrase)
    db = database.for_settings(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=settings.data_dir))
    try:
        try:
            manifest = stage(settings, path, staging, key, step)
        except (ArchiveError, database.DatabaseError, OSError) as error:
            raise _wrapped(error) from error
        dump = staging / database.DUMP_MEMBER[db.kind]
        if not dump.is_file():
            raise BackupError("the archive holds no database")
        safety = None
        if safety_backup and migrate.current_revision(settings) is not None:
            safety = make(settings, BackupKind.SAFETY, include_tls_keys=True,
                          verify_after=True)
        db.restore(dump)
        problems = database.compare(manifest.get("tables", {}), fingerprints(settings))
        if problems:
            raise BackupError("the restored database differs from the backup: "
                              + "; ".join(problems[:5]) + (
                                  f"; the previous state is in {safety.name}" if safety
                                  else ""))
        _swap_files(settings, staging / FILES.rstrip("/"))
        _restore_config(settings, staging / CONFIG.rstrip("/"),
                        bool(header.meta.get("includes_tls_keys")))
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    revision = header.meta.get("migration")
    migrate.upgrade(settings)
    return Restored(path.name, safety,
                    revision if revision != migrate.head_revision() else None,
                    len(manifest.get("tables", {})),
                    sum(1 for e in manifest.get("files", []) if e["name"].startswith(FILES)))


def fingerprints(settings: Settings) -> database.Tables:
    """Every table's row count and checksum in the live database."""
    db = database.for_settings(settings)
    if isinstance(db, database.SqliteDatabase):
        with database.opened(db.path) as live:
            return database.sqlite_tables(live)
    assert isinstance(db, database.PostgresDatabase)
    with db.engine() as engine, engine.connect() as connection:
        return database.table_fingerprints(connection)


# --- a restore asked for from the client -----------------------------------------------------

def request_path(settings: Settings) -> Path:
    return settings.data_dir / RESTORE_REQUEST


def request_restore(settings: Settings, name: str, username: str) -> None:
    """Arm a restore of backup ``name``, applied when the server next starts
    (``apply_requested``), before it serves anyone."""
    archive_path(settings, name)
    body = {"name": name, "requested_by": username,
            "requested_at": datetime.now(UTC).isoformat()}
    temp = request_path(settings).with_suffix(PARTIAL)
    temp.write_text(json.dumps(body), "utf-8")
    os.replace(temp, request_path(settings))


def apply_requested(settings: Settings, say: Callable[[str], None]) -> bool:
    """Apply an armed restore, if any (whatever happens the request is used up: a failed
    restore changed nothing and must not be retried at every start). Whether one was."""
    path = request_path(settings)
    if not path.exists():
        return False
    try:
        request = json.loads(path.read_text("utf-8"))
    finally:
        path.unlink()
    name = str(request.get("name", ""))
    say(f"Restoring backup {name} (asked for by {request.get('requested_by')}) …")
    try:
        done = restore(settings, archive_path(settings, name))
    except BackupError as error:
        say(f"The restore of {name} failed and changed nothing: {error}")
        return True
    say(f"Restored {name}: {done.tables} tables, {done.files} files"
        + (f"; the state before is in {done.safety.name}" if done.safety else ""))
    return True
