"""A PostgreSQL cluster of a test's own, which the test may stop, start and restart (the
suite's shared cluster must never be restarted under the other tests).

``initdb`` in a temporary directory, trust authentication on 127.0.0.1 and a free port,
durability off (the cluster lives for one test). As root PostgreSQL's binaries run as the
``postgres`` user, which owns the directory. The binaries come with the ``postgresql``
package that ``.ci/system-deps.sh`` installs for the test suite.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text

PG_BIN_DIRS = tuple(Path(f"/usr/lib/postgresql/{v}/bin") for v in (17, 16, 15))
SETTINGS = {"listen_addresses": "127.0.0.1", "fsync": "off", "full_page_writes": "off",
            "synchronous_commit": "off", "max_connections": "100"}


def pg_binary(name: str) -> str:
    """The path of a PostgreSQL server binary (not on PATH on Debian)."""
    for directory in PG_BIN_DIRS:
        if (directory / name).exists():
            return str(directory / name)
    found = shutil.which(name)
    assert found, f"PostgreSQL's {name} is missing: run .ci/system-deps.sh"
    return found


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PgCluster:
    """A stopped or running cluster in ``directory``; ``url`` names its database."""

    def __init__(self, directory: Path, database: str) -> None:
        self.data = directory / "data"
        self.port = free_port()
        self.url = f"postgresql+psycopg2://postgres@127.0.0.1:{self.port}/{database}"
        self.database = database

    def _run(self, *command: str, check: bool = True) -> None:
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=check, stdout=subprocess.DEVNULL,
                       stderr=None if check else subprocess.DEVNULL)

    def init(self) -> None:
        self.data.mkdir(parents=True)
        if os.geteuid() == 0:
            shutil.chown(self.data.parent, "postgres", "postgres")
            shutil.chown(self.data, "postgres", "postgres")
        self._run(pg_binary("initdb"), "-D", str(self.data), "--locale=C.UTF-8",
                  "--encoding=UTF8", "-A", "trust", "-U", "postgres")

    def _ctl(self, action: str, *extra: str, check: bool = True) -> None:
        self._run(pg_binary("pg_ctl"), "-D", str(self.data), "-l",
                  str(self.data / "server.log"), "-w", *extra, action, check=check)

    def start(self) -> None:
        options = " ".join(f"-c {key}={value}" for key, value in SETTINGS.items())
        self._ctl("start", "-o", f"{options} -p {self.port} -k {self.data}")

    def stop(self, mode: str = "fast", check: bool = True) -> None:
        """Fast shutdown: open transactions are rolled back, connections closed."""
        self._ctl("stop", "-m", mode, check=check)

    def restart(self) -> None:
        options = " ".join(f"-c {key}={value}" for key, value in SETTINGS.items())
        self._ctl("restart", "-m", "fast", "-o", f"{options} -p {self.port} -k {self.data}")

    def create_database(self) -> None:
        admin_url = self.url.rsplit("/", 1)[0] + "/postgres"
        engine = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as connection:
                connection.execute(text(
                    f"CREATE DATABASE {self.database} TEMPLATE template0 ENCODING 'UTF8' "
                    "LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"))
        finally:
            engine.dispose()


@contextmanager
def pg_cluster(database: str = "crm") -> Iterator[PgCluster]:
    """A new running cluster with an empty ``database``; stopped and removed afterwards."""
    with tempfile.TemporaryDirectory(prefix="crm-pg-") as directory:
        cluster = PgCluster(Path(directory), database)
        cluster.init()
        cluster.start()
        try:
            cluster.create_database()
            yield cluster
        finally:
            cluster.stop("immediate", check=False)  # may be stopped already
