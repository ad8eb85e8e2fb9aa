"""deploy_onprem/releases.sh, the program's layout install.sh and upgrade.sh share: a
virtualenv per version, ``current`` and ``bin/crm-server`` following the one that runs, and an
install made before this layout (one virtualenv in the prefix) kept as the release to go back
to. Stand-in releases (a ``crm-server`` that prints its name) keep it quick; the real thing
runs in test_upgrade_script.py."""

from __future__ import annotations

import subprocess
from pathlib import Path

RELEASES = Path(__file__).resolve().parents[2] / "deploy_onprem/releases.sh"


def _call(function: str, *args: str | Path) -> str:
    done = subprocess.run(["bash", "-c", f'set -euo pipefail; source "$0"; {function} "$@"',
                           RELEASES, *map(str, args)], capture_output=True, text=True,
                          check=False, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _release(directory: Path, name: str) -> Path:
    (directory / "bin").mkdir(parents=True)
    program = directory / "bin/crm-server"
    program.write_text(f"#!/bin/sh\necho {name}\n", "utf-8")
    program.chmod(0o755)
    return directory


def _runs(prefix: Path) -> str:
    return subprocess.run([prefix / "bin/crm-server"], capture_output=True, text=True,
                          check=True).stdout.strip()


def test_the_wheelhouse_version_is_the_crm_wheels(tmp_path: Path) -> None:
    for name in ("crm-0.9.0-py3-none-any.whl", "crm-0.10.1-py3-none-any.whl",
                 "cryptography-50.0.2-cp311-abi3-manylinux_2_34_x86_64.whl",
                 "crm_extra-7.0-py3-none-any.whl"):
        (tmp_path / name).touch()
    assert _call("wheelhouse_version", tmp_path) == "0.10.1"
    assert _call("wheelhouse_version", tmp_path / "none") == ""


def test_releases_switch_and_the_running_one_is_never_reused(tmp_path: Path) -> None:
    prefix = tmp_path.resolve() / "crm"
    first = _release(prefix / "releases/1.0", "1.0")
    _call("activate_release", prefix, first)
    assert _runs(prefix) == "1.0" and _call("active_release", prefix) == str(first)
    again = Path(_call("release_dir", prefix, "1.0"))
    assert again.name.startswith("1.0-") and again.parent == first.parent
    assert _call("release_dir", prefix, "2.0") == str(prefix / "releases/2.0")
    second = _release(prefix / "releases/2.0", "2.0")
    _call("activate_release", prefix, second)
    assert _runs(prefix) == "2.0" and (prefix / "current").readlink() == Path("releases/2.0")
    _release(prefix / "releases/0.9", "0.9")
    _call("prune_releases", prefix, second, first)
    assert sorted(p.name for p in (prefix / "releases").iterdir()) == ["1.0", "2.0"]


def test_a_legacy_install_is_the_release_to_go_back_to(tmp_path: Path) -> None:
    prefix = _release(tmp_path.resolve() / "crm", "legacy")
    (prefix / "pyvenv.cfg").write_text("home = /usr/bin\n", "utf-8")
    assert _call("active_release", prefix) == str(prefix)
    new = _release(prefix / "releases/2.0", "2.0")
    _call("activate_release", prefix, new)
    assert _runs(prefix) == "2.0" and _call("active_release", prefix) == str(new)
    _call("activate_release", prefix, prefix)
    assert _runs(prefix) == "legacy" and _call("active_release", prefix) == str(prefix)
