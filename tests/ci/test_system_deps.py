""".ci/system-deps.sh on a simulated bare Debian machine.

Stand-ins for ``dpkg-query``, ``apt-cache``, ``apt-get``, ``id`` and the Python interpreter
come first on PATH. ``apt-cache policy`` answers at the length of the real one on a machine
with many sources and more, so a check that stops reading early (``apt-cache … | grep -q``
under pipefail) kills it with SIGPIPE and fails here as it failed on a fresh machine.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

SCRIPT = Path(__file__).parents[2] / ".ci" / "system-deps.sh"

RUNTIME = [
    "python3-venv", "libegl1", "libgl1", "libglib2.0-0", "libfontconfig1", "libfreetype6",
    "libdbus-1-3", "libxkbcommon0", "libxkbcommon-x11-0", "libx11-xcb1", "libxrender1",
    "libxcb1", "libxcb-cursor0", "libxcb-glx0", "libxcb-icccm4", "libxcb-image0",
    "libxcb-keysyms1", "libxcb-randr0", "libxcb-render0", "libxcb-render-util0",
    "libxcb-shape0", "libxcb-shm0", "libxcb-sync1", "libxcb-xfixes0", "libxcb-xkb1",
    "fonts-noto-cjk",
]
TESTING = ["xvfb", "poppler-utils", "binutils", "osslsigncode", "shellcheck", "postgresql",
           "curl", "procps", "libpython3.11"]

STUBS = {
    # Known packages are "not-installed" unless listed; unknown ones are an error, as in dpkg.
    "dpkg-query": """
        name=${!#}
        if [[ " $STUB_UNKNOWN " == *" $name "* ]]; then
            echo "dpkg-query: no packages found matching $name" >&2
            exit 1
        fi
        if [[ " $STUB_INSTALLED " == *" $name "* ]]; then printf installed
        else printf not-installed; fi
    """,
    # The candidate comes first, then a long version table (about 1.5 MB).
    "apt-cache": """
        name=${!#}
        [[ " $STUB_UNKNOWN " == *" $name "* ]] && exit 0
        candidate=1.0-1
        [[ " $STUB_NO_CANDIDATE " == *" $name "* ]] && candidate='(none)'
        printf '%s:\\n  Installed: (none)\\n  Candidate: %s\\n  Version table:\\n' \\
            "$name" "$candidate"
        yes '        500 http://deb.debian.org/debian bookworm/main amd64 Packages' |
            head -n 25000
    """,
    "apt-get": 'printf "%s\\n" "$*" >>"$STUB_LOG"',
    "id": 'echo "$STUB_UID"',
    "python3": "echo 3.11",
}


@dataclass
class Outcome:
    returncode: int
    stderr: str
    apt_get: list[str]

    @property
    def installed(self) -> list[str]:
        """The packages of the one ``apt-get install`` call."""
        installs = [line for line in self.apt_get if line.startswith("install ")]
        assert len(installs) == 1, self.apt_get
        assert installs[0].startswith("install -y -qq --no-install-recommends ")
        return installs[0].split()[4:]


Machine = Callable[..., Outcome]


@pytest.fixture
def machine(tmp_path: Path) -> Machine:
    """``machine(*args, uid=0, installed=(), no_candidate=(), unknown=())`` runs the script."""
    stubs = tmp_path / "bin"
    stubs.mkdir()
    for name, body in STUBS.items():
        stub = stubs / name
        stub.write_text("#!/usr/bin/env bash\n" + body)
        stub.chmod(0o755)
    log = tmp_path / "apt-get.log"

    def run(
        *args: str,
        uid: int = 0,
        installed: tuple[str, ...] = (),
        no_candidate: tuple[str, ...] = (),
        unknown: tuple[str, ...] = (),
    ) -> Outcome:
        env = {
            "PATH": f"{stubs}{os.pathsep}{os.environ['PATH']}",
            "PYTHON": str(stubs / "python3"),
            "STUB_UID": str(uid),
            "STUB_LOG": str(log),
            "STUB_INSTALLED": " ".join(installed),
            "STUB_NO_CANDIDATE": " ".join(no_candidate),
            "STUB_UNKNOWN": " ".join(unknown),
        }
        done = subprocess.run(
            [str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=60,
        )
        lines = log.read_text().splitlines() if log.exists() else []
        return Outcome(done.returncode, done.stderr, lines)

    return run


def test_a_bare_machine_gets_every_package(machine: Machine) -> None:
    outcome = machine()
    assert outcome.returncode == 0, outcome.stderr
    assert outcome.apt_get[0] == "update -qq"
    assert outcome.installed == RUNTIME + TESTING


def test_runtime_asks_only_for_what_the_demo_needs(machine: Machine) -> None:
    outcome = machine("--runtime")
    assert outcome.returncode == 0, outcome.stderr
    assert outcome.installed == RUNTIME


def test_the_first_installable_alternative_is_chosen(machine: Machine) -> None:
    outcome = machine(no_candidate=("libglib2.0-0",), unknown=("postgresql",))
    assert outcome.returncode == 0, outcome.stderr
    chosen = set(outcome.installed)
    assert {"libglib2.0-0t64", "postgresql-15"} <= chosen
    assert not {"libglib2.0-0", "postgresql"} & chosen


def test_an_installed_alternative_counts(machine: Machine) -> None:
    outcome = machine(installed=("libglib2.0-0t64", "postgresql-15", "xvfb"))
    assert outcome.returncode == 0, outcome.stderr
    assert not {"libglib2.0-0", "libglib2.0-0t64", "postgresql", "xvfb"} & set(outcome.installed)


def test_a_prepared_machine_needs_neither_root_nor_apt(machine: Machine) -> None:
    outcome = machine(uid=1000, installed=tuple(RUNTIME + TESTING))
    assert outcome.returncode == 0, outcome.stderr
    assert outcome.apt_get == []


def test_a_package_apt_does_not_know_is_named(machine: Machine) -> None:
    outcome = machine(unknown=("fonts-noto-cjk",))
    assert outcome.returncode == 1
    assert "No installable package among: fonts-noto-cjk" in outcome.stderr
    assert outcome.apt_get == ["update -qq"]


def test_without_root_the_missing_packages_are_listed(machine: Machine) -> None:
    outcome = machine("--runtime", uid=1000, installed=tuple(RUNTIME[1:]))
    assert outcome.returncode == 1
    assert "Missing system packages: python3-venv\n" in outcome.stderr
    assert "apt-get install python3-venv\n" in outcome.stderr
    assert outcome.apt_get == []
