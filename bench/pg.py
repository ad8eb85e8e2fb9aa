"""The benchmark's PostgreSQL: ``CRM_BENCH_DATABASE_URL`` if set, else a throwaway cluster of
its own.

The cluster is made by ``initdb --locale=C.UTF-8 --encoding=UTF8`` under ``var/bench/pg`` (as
root its binaries run as ``postgres``), kept between runs so the data is generated once, and
started on a free port on 127.0.0.1 with the settings of a small dedicated server; it is
stopped when the benchmark ends.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

PG_BIN_DIRS = tuple(Path(f"/usr/lib/postgresql/{v}/bin") for v in (15, 16, 17))
PG_DATABASE = "crm_bench"
# A small dedicated server (2 cores, a few GB for PostgreSQL). fsync is off because the
# cluster is disposable; it does not change read timings.
PG_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "shared_buffers": "1GB",
    "effective_cache_size": "4GB",
    "maintenance_work_mem": "512MB",
    "max_wal_size": "4GB",
    "fsync": "off",
    "full_page_writes": "off",
    "synchronous_commit": "off",
}


def pg_binary(name: str) -> str:
    for directory in PG_BIN_DIRS:
        if (directory / name).exists():
            return str(directory / name)
    found = shutil.which(name)
    if found is None:
        raise SystemExit(f"PostgreSQL's {name} not found: install postgresql-15")
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run its binaries as the postgres user then."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _pg_run(command: list[str]) -> None:
    subprocess.run(_as_postgres(command), check=True, stdout=subprocess.DEVNULL)


def _initdb(data: Path) -> None:
    data.mkdir(parents=True, exist_ok=True)
    if os.geteuid() == 0:
        shutil.chown(data, "postgres", "postgres")
        for parent in data.parents:  # postgres must be able to reach its directory
            if not parent.stat().st_mode & 0o001:
                parent.chmod(parent.stat().st_mode | 0o001)
    _pg_run([pg_binary("initdb"), "-D", str(data), "--locale=C.UTF-8", "--encoding=UTF8",
             "-A", "trust", "-U", "postgres"])


@contextmanager
def throwaway_postgres(directory: Path, fresh: bool,
                       extra: Mapping[str, str] | None = None) -> Iterator[str]:
    """Start the cluster in ``directory`` (made on first use) on a free port, with
    ``PG_SETTINGS`` and ``extra``, and yield the URL of its ``crm_bench`` database (UTF-8,
    C.UTF-8 locale); stop it afterwards."""
    directory = directory.resolve()
    data = directory / "data"
    if fresh and directory.exists():
        shutil.rmtree(directory)
    if not (data / "PG_VERSION").exists():
        _initdb(data)
    port = free_port()
    settings = {**PG_SETTINGS, **(extra or {})}
    options = " ".join(f"-c {key}={value}" for key, value in settings.items())
    _pg_run([pg_binary("pg_ctl"), "-D", str(data), "-l", str(data / "server.log"), "-w",
             "-o", f"{options} -p {port} -k {data}", "start"])
    try:
        _create_database(port)
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/{PG_DATABASE}"
    finally:
        _pg_run([pg_binary("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"])


def _create_database(port: int) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(f"postgresql+psycopg2://postgres@127.0.0.1:{port}/postgres",
                           isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            exists = connection.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                                        {"name": PG_DATABASE}).first()
            if exists is None:
                connection.execute(text(
                    f"CREATE DATABASE {PG_DATABASE} TEMPLATE template0 ENCODING 'UTF8' "
                    "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"))
    finally:
        engine.dispose()


@contextmanager
def database(fresh: bool, pg_dir: Path,
             extra: Mapping[str, str] | None = None) -> Iterator[str]:
    """The URL of the benchmark database for the length of the block; ``extra`` settings
    apply to the throwaway cluster only."""
    url = os.environ.get("CRM_BENCH_DATABASE_URL")
    if url:
        yield url
        return
    with throwaway_postgres(pg_dir, fresh, extra) as url:
        yield url
