"""deploy_onprem/upgrade.sh end to end, as IT runs it but without root or systemd (its
CRM_PREFIX, CRM_DATA_DIR and CRM_SERVICE_CTL): a server of the previous release holding data
is upgraded from the offline wheelhouse build-wheelhouse.sh makes of this tree, and then a
broken next release (its migration fails half-way) is rolled back to this one, the data of
the automatic backup and a healthy server.

The previous release is built from git history (``PREVIOUS``); the version has been 0.1.0
since the first commit, so it is built as 0.0.1 (and the broken one as 0.2.0). Every version
gets a virtualenv of its own installed from its wheelhouse alone, as on a server without
internet."""

from __future__ import annotations

import getpass
import json
import os
import re
import shutil
import sqlite3
import ssl
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import pytest

from crm_server.db.migrate import head_revision

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy_onprem"
PYTHON = os.path.realpath(sys.executable)  # the interpreter the project's venv was made from
PASSWORD = "Upgrade-test-2026"
# The previous release: there is no release tag yet (replace this by the tag release-prev
# once there is one). Main as issue 11's backup and restore commands landed, before the
# scheduler's migration 0015: the upgrade migrates a database holding data.
PREVIOUS = "1665665764b32fbdd53f39ab58765ab88e5a1acb"
# What the scripts and the installed programs see: nothing of this process's settings or
# import path.
CLEAN_ENV = {name: value for name, value in os.environ.items()
             if not name.startswith("CRM_") and name != "PYTHONPATH"}

CTL = r"""#!/usr/bin/env bash
# The service as systemd runs it, for upgrade.sh's CRM_SERVICE_CTL.
set -euo pipefail
pid=$CTL_STATE/pid
running() {
    [[ -f $pid ]] && [[ $(ps -o stat= -p "$(cat "$pid")" 2>/dev/null) == [^Z]* ]]
}
case $1 in
start)
    "$CRM_PREFIX/bin/crm-server" run --data-dir "$CRM_DATA_DIR" >>"$CTL_STATE/log" 2>&1 &
    echo $! >"$pid" ;;
stop)
    if running; then
        kill "$(cat "$pid")"
        while running; do sleep 0.1; done
    fi
    rm -f "$pid" ;;
is-active) running ;;
esac
"""

MIGRATION = '''"""A migration that changes the schema and the data{ending_doc}."""
import sqlalchemy as sa
from alembic import op

revision = "9001"
down_revision = "{down}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("broken_note", sa.Column("id", sa.Integer, primary_key=True))
    op.execute("UPDATE customer SET name = 'lost'")
    {ending}


def downgrade() -> None:
    pass
'''


FAILS = 'raise RuntimeError("the new release\'s migration fails")'
# The new release's server cannot start (after its migration went through).
CANNOT_SERVE = 'raise RuntimeError("this release cannot serve")\n'


@dataclass
class Wheelhouses:
    previous: Path  # 0.0.1
    new: Path  # this tree, 0.1.0 or whatever it says
    broken: Path  # 0.2.0, its migration fails
    unhealthy: Path  # 0.2.1, migrates the data and then does not serve


def _run(*command: str | Path, env: dict[str, str] | None = None,
         cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(part) for part in command], text=True, capture_output=True,
                          env=env, cwd=cwd, timeout=900, check=False,
                          stdin=subprocess.DEVNULL)
    return done


def _checked(*command: str | Path, env: dict[str, str] | None = None,
             cwd: Path | None = None) -> str:
    done = _run(*command, env=env, cwd=cwd)
    assert done.returncode == 0, f"{command}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _tree(target: Path, version: str, commit: str | None = None) -> Path:
    """The source of ``commit`` (``git archive``), or a copy of this working tree's files
    (those git knows or would add), as ``version``."""
    target.mkdir()
    if commit is not None:
        archive = subprocess.run(["git", "archive", commit], cwd=ROOT, capture_output=True,
                                 check=True, timeout=120).stdout
        subprocess.run(["tar", "-x", "-C", str(target)], input=archive, check=True,
                       timeout=120)
    else:
        listed = _checked("git", "ls-files", "--cached", "--others", "--exclude-standard",
                          "-z", cwd=ROOT)
        for name in filter(None, listed.split("\0")):
            if (ROOT / name).is_file():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(ROOT / name, target / name)
    pyproject = target / "pyproject.toml"
    pyproject.write_text(re.sub(r'(?m)^version = ".*"$', f'version = "{version}"',
                                pyproject.read_text("utf-8"), count=1), "utf-8")
    init = target / "server/crm_server/__init__.py"
    init.write_text(re.sub(r'(?m)^__version__ = ".*"$', f'__version__ = "{version}"',
                           init.read_text("utf-8")), "utf-8")
    return target


def _wheelhouse(deps: Path, target: Path, tree: Path) -> Path:
    """``deps``'s dependency wheels and the crm wheel of ``tree``."""
    target.mkdir()
    for wheel in deps.glob("*.whl"):
        if not wheel.name.startswith("crm-"):
            shutil.copy2(wheel, target)
    _checked(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--wheel-dir",
             target, tree)
    return target


@pytest.fixture(scope="module")
def wheelhouses(tmp_path_factory: pytest.TempPathFactory) -> Wheelhouses:
    base = tmp_path_factory.mktemp("wheelhouses")
    new = base / "new"
    _checked(DEPLOY / "build-wheelhouse.sh", new, env={**CLEAN_ENV, "PYTHON": PYTHON})
    previous = _wheelhouse(new, base / "previous",
                           _tree(base / "tree-previous", "0.0.1", PREVIOUS))
    broken = _tree(base / "tree-broken", "0.2.0")
    _add_migration(broken, ", then fails", FAILS)
    unhealthy = _tree(base / "tree-unhealthy", "0.2.1")
    _add_migration(unhealthy, "", "")
    with (unhealthy / "server/crm_server/app.py").open("a", encoding="utf-8") as app:
        app.write(CANNOT_SERVE)
    return Wheelhouses(previous, new, _wheelhouse(new, base / "broken", broken),
                       _wheelhouse(new, base / "unhealthy", unhealthy))


def _add_migration(tree: Path, ending_doc: str, ending: str) -> None:
    (tree / "server/crm_server/migrations/versions/9001_next.py").write_text(
        MIGRATION.format(down=head_revision(), ending_doc=ending_doc, ending=ending), "utf-8")


@dataclass
class Machine:
    prefix: Path
    data: Path
    env: dict[str, str]
    port: int

    def upgrade(self, wheelhouse: Path, **env: str) -> subprocess.CompletedProcess[str]:
        return _run(DEPLOY / "upgrade.sh", "--wheelhouse", wheelhouse,
                    env={**self.env, **env})

    def crm_server(self, *args: str | Path) -> str:
        return _checked(self.prefix / "bin/crm-server", *args, "--data-dir", self.data,
                        env=self.env)

    def health(self) -> dict[str, object]:
        context = ssl.create_default_context(cafile=str(self.data / "tls/ca.crt"))
        url = f"https://localhost:{self.port}/api/v1/health"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, context=context, timeout=5) as response:
                    return dict(json.load(response))
            except OSError:  # not listening yet
                time.sleep(0.2)
        raise AssertionError(f"no answer from {url}")

    def query(self, sql: str) -> list[tuple[object, ...]]:
        database = f"file:{self.data / 'crm.sqlite3'}?mode=ro"
        with closing(sqlite3.connect(database, uri=True)) as connection:
            return connection.execute(sql).fetchall()

    def customers(self) -> list[tuple[object, ...]]:
        return self.query("SELECT id, name, status, version FROM customer ORDER BY id")

    def revision(self) -> object:
        return self.query("SELECT version_num FROM alembic_version")[0][0]

    def current(self) -> str:
        return os.readlink(self.prefix / "current")


def _free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def machine(wheelhouses: Wheelhouses, tmp_path: Path) -> Iterator[Machine]:
    """The previous release installed in the layout install.sh makes, initialised with
    SQLite, holding customers imported with it, and serving."""
    prefix, data, state = tmp_path / "opt-crm", tmp_path / "var-lib-crm", tmp_path / "ctl"
    state.mkdir()
    ctl = tmp_path / "service-ctl"
    ctl.write_text(CTL, "utf-8")
    ctl.chmod(0o755)
    env = {**CLEAN_ENV, "CRM_PREFIX": str(prefix), "CRM_DATA_DIR": str(data),
           "CRM_SERVICE_CTL": str(ctl), "CRM_PYTHON": PYTHON, "CRM_USER": getpass.getuser(),
           "CTL_STATE": str(state), "CRM_HEALTH_TIMEOUT": "120",
           "CRM_UPGRADE_TEST_PASSWORD": PASSWORD}
    _checked("bash", "-c", 'source "$0" && install_release "$1" "$2" "$3" && '
             'activate_release "$4" "$2"', DEPLOY / "releases.sh", PYTHON,
             prefix / "releases/0.0.1", wheelhouses.previous, prefix, env=env)
    port = _free_port()
    _checked(prefix / "bin/crm-server", "init", data, "--bind", "127.0.0.1", "--port",
             str(port), "--admin", "admin", "--admin-password-env",
             "CRM_UPGRADE_TEST_PASSWORD", env=env)
    with (data / "crm.toml").open("a", encoding="utf-8") as config:
        config.write("workers = 1\n")
    made = Machine(prefix, data, env, port)
    sheet = tmp_path / "customers.csv"
    sheet.write_text("客户名称,状态\n恒瑞精密机械有限公司,潜在\n苏州精工科技有限公司,潜在\n",
                     "utf-8")
    made.crm_server("import", "customer", sheet)
    _checked(ctl, "start", env=env)
    try:
        yield made
    finally:
        _run(ctl, "stop", env=env)


def test_an_upgrade_keeps_the_data_and_a_failed_one_rolls_back(
        machine: Machine, wheelhouses: Wheelhouses) -> None:
    assert machine.health()["version"] == "0.0.1"
    customers = machine.customers()
    assert len(customers) == 2

    done = machine.upgrade(wheelhouses.new)
    assert done.returncode == 0, done.stdout + done.stderr
    new_version = machine.health()["version"]
    assert new_version not in {"0.0.1", "0.2.0"}
    assert machine.health()["status"] == "ok"
    assert machine.customers() == customers
    assert machine.current() == f"releases/{new_version}"
    assert (machine.prefix / "releases/0.0.1/bin/crm-server").exists()  # kept for a rollback
    backup = re.search(r"backup:\s*(\S+)", done.stdout)
    assert backup is not None and Path(backup[1]).is_file()
    revision = machine.revision()

    failed = machine.upgrade(wheelhouses.broken)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    archive = re.search(r"backup:\s*(\S+)", failed.stdout)
    assert archive is not None and archive[1] != backup[1]
    assert f"FAILED; version {new_version} runs again" in failed.stderr
    assert archive[1] in failed.stderr and "ROLLING BACK" in failed.stdout
    assert "Restored" in failed.stdout  # by the old version, from that backup
    health = machine.health()
    assert health["status"] == "ok" and health["version"] == new_version
    assert machine.customers() == customers and machine.revision() == revision
    assert machine.current() == f"releases/{new_version}"
    assert not (machine.prefix / "releases/0.2.0").exists()

    refused = machine.upgrade(wheelhouses.previous)
    assert refused.returncode == 1
    assert "older than the installed" in refused.stderr and "downgrade" in refused.stderr
    assert machine.current() == f"releases/{new_version}"

    # Migrated, then the server does not come up: the backup's data comes back.
    unhealthy = machine.upgrade(wheelhouses.unhealthy, CRM_HEALTH_TIMEOUT="20")
    assert unhealthy.returncode == 1, unhealthy.stdout + unhealthy.stderr
    assert "== Starting" in unhealthy.stdout  # the migration went through
    assert "no healthy answer" in unhealthy.stderr and "Restored" in unhealthy.stdout
    assert f"FAILED; version {new_version} runs again" in unhealthy.stderr
    health = machine.health()
    assert health["status"] == "ok" and health["version"] == new_version
    assert machine.customers() == customers and machine.revision() == revision
    assert not machine.query("SELECT name FROM sqlite_master WHERE name = 'broken_note'")
