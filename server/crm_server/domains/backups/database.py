"""The database's part of a backup: a consistent dump, its fingerprint, its proof, its return.

Each kind of database does four things, always on one consistent snapshot:

* ``dump`` writes the database into the archive while the server keeps serving, and returns
  the row count and checksum of every table *as of the dump's snapshot*. PostgreSQL: one
  REPEATABLE READ transaction exports its snapshot, ``pg_dump -Fc --snapshot`` dumps exactly
  that, and the fingerprints are computed in the same transaction meanwhile. SQLite: the
  online backup API copies the file in one step under one read transaction (WAL: writers go
  on meanwhile); the fingerprints are taken from the copy. Either way a transaction
  committed during the backup is wholly in it or wholly not.
* ``check`` proves the dump readable without restoring it: ``pg_restore --list`` (every
  table's data is in the table of contents), SQLite's ``integrity_check``.
* ``restore_test`` restores the dump into a scratch database (PostgreSQL: a database of its
  own, dropped after; SQLite: a temporary file) and fingerprints it there.
* ``restore`` replaces the live database with the dump, all or nothing: PostgreSQL replays
  it with ``psql --single-transaction`` after dropping the schema in that same transaction;
  SQLite copies it in with the backup API, which swaps the content under the database's
  write lock.

A table's fingerprint is its row count and the sum, modulo 2**64, of a 64-bit hash of each
row's text: independent of row order (a restore may store rows in another order), and
computed by the database itself on PostgreSQL (a million rows in a few seconds).
Fingerprints are only ever compared within one kind of database.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, exc, inspect, text
from sqlalchemy.engine import URL, make_url

from crm_server.db.engine import make_engine
from crm_server.db.types import PINYIN_COLLATION
from crm_server.domains.backups.archive import ArchiveWriter
from crm_server.settings import Settings

Tables = dict[str, dict[str, Any]]  # table -> {"rows": n, "checksum": hex}
MASK = 2**64 - 1
DUMP_MEMBER = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}


class DatabaseError(Exception):
    """A dump, check or restore failed; the message says why and what to do."""


class MemberReader(Protocol):
    """A member of an archive being read: its name and its blocks (one pass)."""

    name: str

    def blocks(self) -> Iterator[bytes]: ...


class Database(Protocol):
    kind: str

    def size(self) -> int: ...

    def dump(self, writer: ArchiveWriter, scratch: Path) -> Tables: ...

    def check(self, member: MemberReader, scratch: Path) -> set[str]: ...

    def restore_test(self, member: MemberReader, scratch: Path) -> Tables: ...

    def restore(self, dump: Path) -> None: ...


def for_settings(settings: Settings) -> Database:
    if settings.is_sqlite:
        return SqliteDatabase(Path(make_url(settings.effective_database_url).database or ""))
    return PostgresDatabase(settings)


def compare(expected: Tables, found: Tables) -> list[str]:
    """The differences between the manifest's fingerprints and a restored database's, as
    sentences (empty: identical)."""
    problems = [f"table {name} is missing" for name in sorted(expected.keys() - found.keys())]
    problems += [f"table {name} is not in the backup" for name in
                 sorted(found.keys() - expected.keys())]
    for name in sorted(expected.keys() & found.keys()):
        want, got = expected[name], found[name]
        if want["rows"] != got["rows"]:
            problems.append(f"table {name}: {got['rows']} rows, the backup had {want['rows']}")
        elif want["checksum"] != got["checksum"]:
            problems.append(f"table {name}: the rows differ from the backup's")
    return problems


def _drain(blocks: Iterator[bytes]) -> None:
    for _ in blocks:
        pass


# --- SQLite ----------------------------------------------------------------------------------

def _row_hash(row: tuple[Any, ...]) -> int:
    digest = hashlib.blake2b(repr(row).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


@contextmanager
def opened(path: Path) -> Iterator[sqlite3.Connection]:
    """A plain connection to the SQLite file at ``path`` (with the collation its name
    indexes need), closed afterwards."""
    from crm_common.cleansing.pinyin import compare as pinyin_compare

    connection = sqlite3.connect(path)
    try:
        connection.create_collation(PINYIN_COLLATION, pinyin_compare)
        yield connection
    finally:
        connection.close()


def sqlite_tables(connection: sqlite3.Connection) -> Tables:
    names = [row[0] for row in connection.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
        "ORDER BY name")]
    tables: Tables = {}
    for name in names:
        rows = total = 0
        for row in connection.execute(f'SELECT * FROM "{name}"'):
            rows += 1
            total = (total + _row_hash(row)) & MASK
        tables[name] = {"rows": rows, "checksum": f"{total:016x}"}
    return tables


def _integrity(path: Path) -> None:
    try:
        with opened(path) as connection:
            verdict = [row[0] for row in connection.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as error:
        raise DatabaseError(f"the database in the backup is damaged: {error}") from None
    if verdict != ["ok"]:
        raise DatabaseError("the database in the backup is damaged: " + "; ".join(verdict[:5]))


def _write_member(member: MemberReader, target: Path) -> None:
    with target.open("wb") as out:
        for block in member.blocks():
            out.write(block)


class SqliteDatabase:
    kind = "sqlite"

    def __init__(self, path: Path) -> None:
        self.path = path

    def size(self) -> int:
        return sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal"))
                   if p.exists())

    def copy(self, target: Path) -> None:
        """A consistent copy of the live database (one read transaction)."""
        source = sqlite3.connect(self.path, timeout=30)
        try:
            copy = sqlite3.connect(target)
            try:
                source.backup(copy)  # every page in one step: one snapshot
                copy.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            finally:
                copy.close()
        finally:
            source.close()

    def dump(self, writer: ArchiveWriter, scratch: Path) -> Tables:
        copy = scratch / "database.sqlite3"
        self.copy(copy)
        with opened(copy) as connection:
            tables = sqlite_tables(connection)
        writer.add_file(DUMP_MEMBER[self.kind], copy)
        copy.unlink()
        return tables

    @staticmethod
    @contextmanager
    def _unpacked(member: MemberReader, target: Path) -> Iterator[sqlite3.Connection]:
        """The member written to ``target`` and checked whole, opened; removed after."""
        _write_member(member, target)
        try:
            _integrity(target)
            with opened(target) as connection:
                yield connection
        finally:
            target.unlink()

    def check(self, member: MemberReader, scratch: Path) -> set[str]:
        """Integrity checked; the tables the copy holds."""
        with self._unpacked(member, scratch / "check.sqlite3") as connection:
            return {row[0] for row in connection.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}

    def restore_test(self, member: MemberReader, scratch: Path) -> Tables:
        with self._unpacked(member, scratch / "restore-test.sqlite3") as connection:
            return sqlite_tables(connection)

    def restore(self, dump: Path) -> None:
        _integrity(dump)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        source = sqlite3.connect(dump)
        try:
            live = sqlite3.connect(self.path, timeout=30)
            try:
                source.backup(live)
            finally:
                live.close()
        finally:
            source.close()


# --- PostgreSQL ------------------------------------------------------------------------------

# hashtextextended: PostgreSQL's 64-bit text hash, the one hash partitioning relies on
# staying the same across versions; a third cheaper than md5 (bench/README.md, "Backups").
CHECKSUM_SQL = ("SELECT count(*), coalesce(sum(hashtextextended(t::text, 0)::numeric), 0) "
                "FROM {table} AS t")
SCRATCH_PREFIX = "crm_restore_test_"
DROP_ATTEMPTS = 120  # half a second apart


def libpq_environment(url: URL, database: str | None = None) -> dict[str, str]:
    """The environment pg_dump, pg_restore and psql connect with: the password never on
    a command line (``ps`` would show it to every user of the machine)."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("PG")}
    query = dict(url.query)
    values = {"PGHOST": url.host or query.get("host"), "PGPORT": url.port,
              "PGUSER": url.username, "PGPASSWORD": url.password,
              "PGDATABASE": database or url.database, "PGSSLMODE": query.get("sslmode")}
    env.update({name: str(value) for name, value in values.items() if value})
    env["PGAPPNAME"] = "crm-backup"
    return env


def table_fingerprints(connection: Connection) -> Tables:
    quote = connection.dialect.identifier_preparer.quote
    tables: Tables = {}
    for name in sorted(inspect(connection).get_table_names()):
        rows, total = connection.execute(text(CHECKSUM_SQL.format(table=quote(name)))).one()
        tables[name] = {"rows": int(rows), "checksum": f"{int(total) & MASK:016x}"}
    return tables


def _drop_database(connection: Connection, name: str) -> None:
    """Drop a scratch database. Autovacuum may be busy in it (it was just filled), and a
    role that is not superuser cannot terminate its worker on PostgreSQL 15 ("must be a
    member of the role whose process is being terminated"): the worker gives way in
    moments, so ask again for a while."""
    for attempt in range(DROP_ATTEMPTS):
        try:
            connection.exec_driver_sql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            return
        except exc.ProgrammingError as error:
            if "must be a member of the role" not in str(error) or attempt == DROP_ATTEMPTS - 1:
                raise
            time.sleep(0.5)


class PostgresDatabase:
    kind = "postgresql"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.url = make_url(settings.effective_database_url)

    @contextmanager
    def engine(self, database: str | None = None) -> Iterator[Engine]:
        url = self.url.set(database=database) if database else self.url
        engine = make_engine(url.render_as_string(hide_password=False), pool_size=1,
                             max_overflow=0)
        try:
            yield engine
        finally:
            engine.dispose()

    def tool(self, name: str) -> str:
        """``name`` of the newest installed PostgreSQL (pg_dump must not be older than the
        server), or the configured ``pg_bin_dir``'s, or the one on PATH."""
        if self.settings.pg_bin_dir is not None:
            return str(self.settings.pg_bin_dir / name)
        installed = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"),
                           key=lambda p: int(p.parts[-3]) if p.parts[-3].isdigit() else 0)
        if installed:
            return str(installed[-1])
        found = shutil.which(name)
        if found is None:
            raise DatabaseError(f"{name} is not installed (apt-get install postgresql-client)")
        return found

    def _run(self, command: list[str], database: str | None = None,
             **options: Any) -> subprocess.Popen[bytes]:
        return subprocess.Popen(command, env=libpq_environment(self.url, database),
                                stderr=subprocess.PIPE, **options)

    @staticmethod
    def _finish(process: subprocess.Popen[bytes], what: str) -> None:
        error = process.stderr.read().decode(errors="replace") if process.stderr else ""
        if process.wait() != 0:
            raise DatabaseError(f"{what} failed: {error.strip()[-2000:]}")

    def size(self) -> int:
        with self.engine() as engine, engine.connect() as connection:
            return int(connection.scalar(text(
                "SELECT pg_database_size(current_database())")) or 0)

    def dump(self, writer: ArchiveWriter, scratch: Path) -> Tables:
        with self.engine() as engine, engine.connect().execution_options(
                isolation_level="REPEATABLE READ") as connection, connection.begin():
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
            snapshot = connection.scalar(text("SELECT pg_export_snapshot()"))
            found: Tables = {}
            failed: list[BaseException] = []

            def fingerprint() -> None:  # meanwhile, on the same snapshot
                try:
                    found.update(table_fingerprints(connection))
                except BaseException as error:
                    failed.append(error)

            counter = threading.Thread(target=fingerprint, name="crm-backup-sums")
            # zlib level 1: half pg_dump's CPU of its default level, for a dump some 23 %
            # larger (bench/README.md, "Backups")
            process = self._run([self.tool("pg_dump"), "--format=custom", "--compress=1",
                                 f"--snapshot={snapshot}", "--no-owner", "--no-acl"],
                                stdout=subprocess.PIPE)
            counter.start()
            try:
                assert process.stdout is not None
                writer.add_stream(DUMP_MEMBER[self.kind], process.stdout, compress=False)
            finally:
                counter.join()
                self._finish(process, "pg_dump")
            if failed:
                raise DatabaseError(f"counting the rows failed: {failed[0]}")
            return found

    def _feed(self, member: MemberReader, process: subprocess.Popen[bytes]) -> None:
        """Pour the member into the process; one that stops reading early (pg_restore
        --list has what it needs from the table of contents) gets no more, but the member
        is still read to its end (where it is authenticated)."""
        assert process.stdin is not None
        blocks = member.blocks()
        try:
            for block in blocks:
                process.stdin.write(block)
        except BrokenPipeError:
            _drain(blocks)
        finally:
            with suppress(BrokenPipeError):
                process.stdin.close()

    def check(self, member: MemberReader, scratch: Path) -> set[str]:
        """The tables whose data the dump's table of contents lists."""
        listing = scratch / "listing.txt"
        with listing.open("wb") as out:
            process = self._run([self.tool("pg_restore"), "--list"], stdin=subprocess.PIPE,
                                stdout=out)
            self._feed(member, process)
            self._finish(process, "pg_restore --list")
        entries = listing.read_text("utf-8", errors="replace").splitlines()
        listing.unlink()
        # "123; 0 16390 TABLE DATA public customer crm"
        return {line.split(" TABLE DATA public ", 1)[1].split()[0] for line in entries
                if " TABLE DATA public " in line and not line.startswith(";")}

    def restore_test(self, member: MemberReader, scratch: Path) -> Tables:
        name = SCRATCH_PREFIX + uuid.uuid4().hex[:12]
        with self.engine() as engine, engine.connect().execution_options(
                isolation_level="AUTOCOMMIT") as connection:
            collate, ctype = connection.execute(text(
                "SELECT datcollate, datctype FROM pg_database "
                "WHERE datname = current_database()")).one()
            try:
                connection.exec_driver_sql(
                    f"CREATE DATABASE {name} TEMPLATE template0 ENCODING 'UTF8' "
                    f"LC_COLLATE '{collate}' LC_CTYPE '{ctype}'")
            except Exception as error:
                raise DatabaseError(
                    "a scratch database for the restore test cannot be created (the "
                    "database role needs CREATEDB: ALTER ROLE … CREATEDB): "
                    f"{getattr(error, 'orig', error)}") from None
            try:
                process = self._run([self.tool("pg_restore"), "--exit-on-error",
                                     "--no-owner", "--no-acl", f"--dbname={name}"],
                                    database=name, stdin=subprocess.PIPE,
                                    stdout=subprocess.DEVNULL)
                self._feed(member, process)
                self._finish(process, "pg_restore into a scratch database")
                with self.engine(name) as scratch_engine, scratch_engine.connect() as other:
                    return table_fingerprints(other)
            finally:
                _drop_database(connection, name)

    def restore(self, dump: Path) -> None:
        """Replace the database's objects with the dump's, in one transaction (psql's
        ``--single-transaction``: a failure leaves the database as it was)."""
        listing = dump.with_name("restore.list")
        self._restore_list(dump, listing)
        source = self._run([self.tool("pg_restore"), "--no-owner", "--no-acl", "--file=-",
                            f"--use-list={listing}", str(dump)], stdout=subprocess.PIPE)
        sink = self._run([self.tool("psql"), "--quiet", "--no-psqlrc", "--single-transaction",
                          "--set=ON_ERROR_STOP=1", "--output=/dev/null"],
                         stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
        assert source.stdout is not None and sink.stdin is not None
        try:
            sink.stdin.write(CLEAR_SQL.encode())
            shutil.copyfileobj(source.stdout, sink.stdin, 1 << 20)
        except BrokenPipeError:
            pass  # psql stopped at an error: reported below
        finally:
            with suppress(BrokenPipeError):
                sink.stdin.close()
            self._finish(source, "pg_restore")
            self._finish(sink, "restoring the database")

    def _restore_list(self, dump: Path, listing: Path) -> None:
        """The dump's table of contents without its extensions: they belong to the
        database (pg-setup.sh makes pg_trgm as the superuser; the CRM's role may neither
        drop nor comment on it) and are made, if missing, before the restore."""
        with listing.open("wb") as out:
            self._finish(self._run([self.tool("pg_restore"), "--list", str(dump)],
                                   stdout=out), "pg_restore --list")
        kept = [line for line in listing.read_text("utf-8").splitlines()
                if " EXTENSION " not in line]
        listing.write_text("\n".join(kept) + "\n", "utf-8")


# What a restore replaces: the tables, sequences, views and functions of schema public that
# no extension owns, dropped in the restore's own transaction (so a failed restore leaves
# them). The schema itself stays: on PostgreSQL 15 it belongs to the database's owner.
CLEAR_SQL = """
CREATE EXTENSION IF NOT EXISTS pg_trgm;
DO $clear$
DECLARE statement text;
BEGIN
  FOR statement IN
    SELECT format('DROP %s IF EXISTS public.%I CASCADE',
                  CASE c.relkind WHEN 'S' THEN 'SEQUENCE' WHEN 'v' THEN 'VIEW'
                                 WHEN 'm' THEN 'MATERIALIZED VIEW' ELSE 'TABLE' END,
                  c.relname)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p', 'v', 'm', 'S')
      AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_class'::regclass
                      AND d.objid = c.oid AND d.deptype = 'e')
    ORDER BY c.relkind <> 'r'
  LOOP
    EXECUTE statement;
  END LOOP;
  FOR statement IN
    SELECT format('DROP FUNCTION IF EXISTS public.%I(%s) CASCADE', p.proname,
                  pg_get_function_identity_arguments(p.oid))
    FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'public'
      AND NOT EXISTS (SELECT FROM pg_depend d WHERE d.classid = 'pg_proc'::regclass
                      AND d.objid = p.oid AND d.deptype = 'e')
  LOOP
    EXECUTE statement;
  END LOOP;
END
$clear$;
"""


@contextmanager
def scratch_dir(near: Path) -> Iterator[Path]:
    """A private temporary directory in ``near`` (the backup directory, whose free space
    was checked), removed afterwards."""
    near.mkdir(parents=True, exist_ok=True)
    path = Path(tempfile.mkdtemp(prefix=".scratch-", dir=near))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)
