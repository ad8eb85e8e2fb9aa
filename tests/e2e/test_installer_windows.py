"""The Windows installers (``make bundle-windows``: NSIS and MSI, built on Linux) as company IT
uses them, on a fresh Wine prefix: signed with a throwaway code-signing certificate made
here, installed silently with the server and the CA fingerprint pre-set, the installed client
signing in to a real ``crm-server run`` without being told what to trust, an upgrade over an
older build in place, and uninstalls that keep — or, when asked, remove — the user's settings.

Slow (building the installers takes minutes), so it runs in ``make test-slow``. Wine runs
everything an installer does on Windows here: NSIS' pages are skipped by ``/S`` and MSI's by
``/qn`` as IT would, so their dialogs are not exercised.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

import builders
from bundles import ROOT, built, newest_input
from crm_common import authenticode
from crm_common.entities import entity
from crm_common.tlsinfo import fingerprint
from serving import crm_server_cli
from signed_pe import make_signer, write_pfx
from wine import Wine, windows_path

pytestmark = pytest.mark.slow

DIST = ROOT / "dist" / "windows"
PACKAGE = ROOT / "installer" / "windows" / "package.sh"
VERSION = "0.1.0"  # crm_client.__version__
OLDER = "0.0.9"  # a test build of the same bundle, to upgrade from
PROGRAM = ("Program Files", "CRM Client")
SETTINGS = r"HKCU\Software\CRM\CRM Client"
DEPLOYMENT = r"HKLM\Software\CRM\CRM Client\deployment"
UNINSTALL = r"HKLM\Software\Microsoft\Windows\CurrentVersion\Uninstall\CRM Client"
SIGNING = {name: ROOT / "build" / "windows" / "test-signing" / file for name, file in
           (("pfx", "codesign.pfx"), ("password", "password"), ("certificate", "codesign.pem"))}


@pytest.fixture(scope="module")
def signing() -> dict[str, Path]:
    """A throwaway code-signing certificate as IT would hand it over: a .pfx and its password
    in a file; also the certificate alone, to verify signatures with. Made anew whenever
    the installers are (``installers``), kept with them otherwise."""
    paths = SIGNING
    if all(path.exists() for path in paths.values()) and _packages_current():
        return paths
    signer = make_signer(SIGNING["pfx"].parent, "温州测试设备有限公司 Code Signing", days=30)
    password = b"pfx-secret-1234"
    write_pfx(signer, paths["pfx"], password)
    paths["password"].write_bytes(password)
    shutil.copy(signer.cert, paths["certificate"])
    return paths


INSTALLERS = {
    "older": DIST / f"crm-client-setup-{OLDER}-unsigned.exe",
    "older-msi": DIST / f"crm-client-{OLDER}-unsigned.msi",
    "setup": DIST / f"crm-client-setup-{VERSION}.exe",
    "msi": DIST / f"crm-client-{VERSION}.msi",
}


def _packages_current() -> bool:
    """The installers exist and are newer than the bundle, the signing certificate and every
    input of the build."""
    bundle = built(DIST / "crm-client" / "crm-client.exe",
                   ROOT / "installer" / "windows" / "build.sh")
    if not all(path.exists() for path in INSTALLERS.values()):
        return False
    made_of = [bundle.stat().st_mtime, newest_input(),
               *(path.stat().st_mtime for path in SIGNING.values() if path.exists())]
    return min(path.stat().st_mtime for path in INSTALLERS.values()) > max(made_of)


@pytest.fixture(scope="module")
def installers(signing: dict[str, Path]) -> dict[str, Path]:
    """This version signed (.exe and .msi) and an older unsigned one, from one bundle;
    reused while nothing they are made of changed."""
    if not _packages_current():
        unsigned = {k: v for k, v in os.environ.items() if not k.startswith("CRM_SIGN_")}
        _package(["--version", OLDER], unsigned)
        _package([], {**unsigned, "CRM_SIGN_PFX": str(signing["pfx"]),
                      "CRM_SIGN_PASSWORD_FILE": str(signing["password"])})
    return INSTALLERS


def _package(args: list[str], environment: dict[str, str]) -> None:
    result = subprocess.run([str(PACKAGE), *args], env=environment, capture_output=True,
                            text=True, timeout=1200, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture()
def wine(tmp_path: Path) -> Iterator[Wine]:
    """A fresh Wine prefix in Simplified Chinese, as on a desktop in a Chinese office."""
    machine = Wine.fresh(tmp_path / "prefix", language="zh_CN.UTF-8")
    yield machine
    machine.stop()
    shutil.rmtree(machine.prefix, ignore_errors=True)


def _verify(path: Path, certificate: Path) -> str:
    result = subprocess.run(["osslsigncode", "verify", "-CAfile", str(certificate), "-in",
                             str(path)], capture_output=True, text=True, timeout=120, check=False)
    return result.stdout + result.stderr if result.returncode == 0 else "FAILED " + result.stdout


def _install(wine: Wine, setup: Path, *options: str) -> subprocess.CompletedProcess[str]:
    result = wine.run(str(setup), "/S", *options)
    wine.wait()
    return result


def _wait_for_window(process: subprocess.Popen[bytes]) -> None:
    """Until the client Wine started is up: Wine's loader has become the Windows process
    (its command line names the program), plus a moment for the program to load."""
    deadline = time.monotonic() + 60
    cmdline = Path(f"/proc/{process.pid}/cmdline")
    while time.monotonic() < deadline and process.poll() is None:
        if b"crm-client.exe" in cmdline.read_bytes() and b"wine" not in cmdline.read_bytes():
            time.sleep(3)
            return
        time.sleep(0.5)
    raise AssertionError("the installed client did not start")


def _installed(wine: Wine, *parts: str) -> Path:
    return wine.drive_c(*PROGRAM, *parts)


def _shortcuts(wine: Wine) -> set[str]:
    """The client's shortcuts for all users, as "start-menu/NAME" and "desktop/NAME"."""
    places = {"start-menu": wine.drive_c("ProgramData", "Microsoft", "Windows", "Start Menu",
                                         "Programs"),
              "desktop": wine.drive_c("users", "Public", "Desktop")}
    return {f"{label}/{link.name}" for label, place in places.items() if place.is_dir()
            for link in place.glob("CRM*.lnk")}


def test_unsigned_builds_say_so_and_signed_ones_carry_the_certificate(
        installers: dict[str, Path], signing: dict[str, Path], tmp_path: Path) -> None:
    certificate = signing["certificate"]
    assert "Signature verification: ok" in _verify(installers["setup"], certificate)
    assert "Signature verification: ok" in _verify(installers["msi"], certificate)
    assert _verify(installers["older"], certificate).startswith("FAILED")
    assert installers["older-msi"].name.endswith("-unsigned.msi")
    for installer in installers.values():
        size = installer.stat().st_size
        assert 20_000_000 < size <= 120_000_000, f"{installer.name}: {size} bytes"
    # The client inside is signed too (the MSI's cabinet holds the same files as the stage).
    staged = ROOT / "build" / "windows" / "stage" / "crm-client" / "crm-client.exe"
    assert "Signature verification: ok" in _verify(staged, certificate)
    tampered = tmp_path / "tampered.exe"
    data = bytearray(installers["setup"].read_bytes())
    data[4096] ^= 0xFF
    tampered.write_bytes(bytes(data))
    assert _verify(tampered, certificate).startswith("FAILED")
    # The client's own check of an update (crm_common.authenticode) reads these real builds
    # the same way: the signer of the installer is the one of the client it installs.
    pinned = x509.load_pem_x509_certificate(certificate.read_bytes())
    expected = fingerprint(pinned.public_bytes(serialization.Encoding.PEM).decode("ascii"))
    setup_signer = authenticode.signer(installers["setup"])
    assert setup_signer is not None and setup_signer.fingerprint == expected
    client_signer = authenticode.signer(staged)
    assert client_signer is not None and client_signer.fingerprint == expected
    assert authenticode.signer(installers["older"]) is None
    with pytest.raises(authenticode.SignatureInvalid):
        authenticode.signer(tampered)


def test_the_server_publishes_a_real_installer_for_clients_to_update_from(
        installers: dict[str, Path], server: tuple[str, Path], tmp_path: Path) -> None:
    _url, data = server
    published = crm_server_cli("publish-client", str(installers["setup"]), "--data-dir",
                               str(data))
    assert published.returncode == 0, published.stdout + published.stderr
    assert f"version {VERSION}, signed by" in published.stdout
    assert (data / "client" / installers["setup"].name).read_bytes() == \
        installers["setup"].read_bytes()
    renamed = tmp_path / f"crm-client-setup-{VERSION}-unsigned.exe"
    shutil.copy(installers["setup"], renamed)  # a signed file must not claim to be unsigned
    refused = crm_server_cli("publish-client", str(renamed), "--data-dir", str(data))
    assert refused.returncode == 1 and "is signed" in refused.stderr


def test_a_bad_option_fails_the_silent_install_and_installs_nothing(
        installers: dict[str, Path], wine: Wine) -> None:
    bad_fingerprint = _install(wine, installers["setup"], "/CAFINGERPRINT=AB:CD:EF")
    bad_server = _install(wine, installers["setup"], "/SERVER=crm.corp.local")
    assert (bad_fingerprint.returncode, bad_server.returncode) == (2, 2)
    assert not _installed(wine).exists()
    assert wine.reg_value(UNINSTALL, "DisplayVersion") is None
    assert wine.reg_value(DEPLOYMENT, "server") is None


def test_silent_install_upgrade_and_uninstall(
        installers: dict[str, Path], wine: Wine, server: tuple[str, Path], server_admin: Any,
        tmp_path: Path, signing: dict[str, Path]) -> None:
    url, data = server
    server_admin.create(entity("customer"),
                        builders.customer(name=f"温州安装{builders.unique()}有限公司"))
    ca_pem = (data / "tls" / "ca.crt").read_text("ascii")
    typed = fingerprint(ca_pem).lower()  # IT copies it however it likes

    # 1. The older build, silently, with the server and the fingerprint to trust.
    first = _install(wine, installers["older"], f"/SERVER={url}", f"/CAFINGERPRINT={typed}")
    assert first.returncode == 0, first.stdout + first.stderr
    assert _installed(wine, "crm-client.exe").is_file()
    assert _installed(wine, "uninstall.exe").is_file()
    assert wine.reg_value(UNINSTALL, "DisplayVersion") == OLDER
    assert wine.reg_value(DEPLOYMENT, "server") == url
    assert wine.reg_value(DEPLOYMENT, "ca_fingerprint") == typed
    assert _shortcuts(wine) == {"start-menu/CRM 客户端.lnk", "desktop/CRM 客户端.lnk"}

    # 2. The installed client signs in with no --server and no CA given: the pre-set ones.
    shot = tmp_path / "installed-client.png"
    started = wine.run(str(_installed(wine, "crm-client.exe")), "--user", "admin",
                       "--password", builders.ADMIN_PASSWORD, "--language", "zh_CN",
                       "--smoke", windows_path(shot))
    assert started.returncode == 0, started.stdout + started.stderr
    assert shot.stat().st_size > 10_000
    artefacts = ROOT / "var" / "ci"
    artefacts.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, artefacts / "windows-installed-client.png")

    # 3. Upgrade in place to this version (signed), without repeating the options: the
    # pre-set and the user's settings stay, the old version's files go. Not while the client
    # runs: that would leave a mix of both versions (exit code 3, nothing touched).
    wine.reg_set(SETTINGS + r"\session", "last_user", "zhangwei")
    stale = _installed(wine, "_internal", "left-by-0.0.9.dll")
    stale.write_bytes(b"old")
    running = wine.start(str(_installed(wine, "crm-client.exe")))  # at its sign-in dialog
    try:
        _wait_for_window(running)
        refused = wine.run(str(installers["setup"]), "/S")
    finally:
        running.kill()
        running.wait(timeout=60)
    assert refused.returncode == 3, refused.stdout + refused.stderr
    assert stale.exists() and wine.reg_value(UNINSTALL, "DisplayVersion") == OLDER
    upgrade = _install(wine, installers["setup"])
    assert upgrade.returncode == 0, upgrade.stdout + upgrade.stderr
    assert wine.reg_value(UNINSTALL, "DisplayVersion") == VERSION
    assert not stale.exists()
    assert _installed(wine, "crm-client.exe").is_file()
    assert "Signature verification: ok" in _verify(_installed(wine, "crm-client.exe"),
                                                    signing["certificate"])
    assert "Signature verification: ok" in _verify(_installed(wine, "uninstall.exe"),
                                                    signing["certificate"])
    assert wine.reg_value(DEPLOYMENT, "server") == url
    assert wine.reg_value(SETTINGS + r"\session", "last_user") == "zhangwei"

    # 4. Uninstall: the program, its shortcuts and the machine's pre-set go; the user's
    # settings stay.
    removed = wine.run(str(_installed(wine, "uninstall.exe")), "/S")
    wine.wait()
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert not _installed(wine).exists()
    assert _shortcuts(wine) == set()
    assert wine.reg_value(UNINSTALL, "DisplayVersion") is None
    assert wine.reg_value(DEPLOYMENT, "server") is None
    assert wine.reg_value(SETTINGS + r"\session", "last_user") == "zhangwei"

    # 5. Install again and uninstall asking to remove the settings: now they go too.
    assert _install(wine, installers["setup"], "/NODESKTOPSHORTCUT").returncode == 0
    assert _shortcuts(wine) == {"start-menu/CRM 客户端.lnk"}
    wine.run(str(_installed(wine, "uninstall.exe")), "/S", "/REMOVESETTINGS")
    wine.wait()
    assert not _installed(wine).exists()
    assert wine.reg_value(SETTINGS + r"\session", "last_user") is None


def test_the_msi_installs_with_its_properties_upgrades_and_uninstalls(
        installers: dict[str, Path], wine: Wine, server: tuple[str, Path], tmp_path: Path) -> None:
    url, data = server
    pinned = fingerprint((data / "tls" / "ca.crt").read_text("ascii"))

    def msiexec(*args: str) -> None:
        result = wine.run("msiexec", *args, "/qn")
        wine.wait()
        assert result.returncode == 0, result.stdout + result.stderr

    msiexec("/i", windows_path(installers["older-msi"]), f"SERVER={url}",
            f"CAFINGERPRINT={pinned}")
    assert _installed(wine, "crm-client.exe").is_file()
    assert wine.reg_value(DEPLOYMENT, "ca_fingerprint") == pinned
    # A newer MSI replaces the older one and keeps what IT set before.
    msiexec("/i", windows_path(installers["msi"]))
    assert wine.reg_value(DEPLOYMENT, "server") == url
    assert wine.reg_value(DEPLOYMENT, "ca_fingerprint") == pinned
    shot = tmp_path / "msi-client.png"
    started = wine.run(str(_installed(wine, "crm-client.exe")), "--user", "admin",
                       "--password", builders.ADMIN_PASSWORD, "--smoke", windows_path(shot))
    assert started.returncode == 0, started.stdout + started.stderr
    msiexec("/x", windows_path(installers["msi"]))
    assert not _installed(wine, "crm-client.exe").exists()
    assert wine.reg_value(DEPLOYMENT, "server") is None


def test_the_server_option_is_honoured_without_a_fingerprint(
        installers: dict[str, Path], wine: Wine, server: tuple[str, Path]) -> None:
    """Only a server pre-set: installed, and the user will be asked to trust its CA."""
    url, _data = server
    result = _install(wine, installers["setup"], f"/SERVER={url}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert wine.reg_value(DEPLOYMENT, "server") == url
    assert wine.reg_value(DEPLOYMENT, "ca_fingerprint") is None
