"""Updating the Windows client from the installer its server hosts, without Qt.

The installer is trusted only after two checks on this machine: its SHA-256 must be the one
the server announced (a damaged or swapped download), and its Authenticode signer must be
the one that signed the running client (``crm_common.authenticode``; trust by pinning the
certificate, as the client pins its server's CA). A development build is unsigned: it
accepts any installer whose hash matches, and says whether that one is signed.
"""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import crm_client
from crm_client.api.client import ApiClient
from crm_client.core.i18n import _
from crm_common.schemas.release import ClientRelease, version_key

if TYPE_CHECKING:  # ``authenticode`` (asn1crypto) is imported when a download is checked,
    # not at every start of the client
    from crm_common.authenticode import Signer

log = logging.getLogger(__name__)


class UpdateRefused(Exception):
    """The downloaded installer must not run; the message (translated) says why."""


@dataclass(frozen=True)
class Installation:
    """How this client runs: on which platform, frozen into a bundle or not, from which
    executable. Only a frozen Windows client updates itself with the Windows installer."""

    platform: str = sys.platform
    frozen: bool = bool(getattr(sys, "frozen", False))
    executable: Path = field(default_factory=lambda: Path(sys.executable))

    @property
    def updatable(self) -> bool:
        return self.platform == "win32" and self.frozen

    def signer(self) -> Signer | None:
        """Who signed the running client (None: an unsigned build)."""
        from crm_common import authenticode

        try:
            return authenticode.signer(self.executable)
        except authenticode.SignatureInvalid as error:
            log.error("the running client's signature is invalid: %s", error)
            raise UpdateRefused(_("This client's own signature is invalid, so no installer "
                                  "can be checked against it. Ask your IT department to "
                                  "reinstall the client.")) from error


@dataclass(frozen=True)
class Verified:
    """An installer that passed both checks, ready to run."""

    path: Path
    signer: Signer | None


def is_newer(release: ClientRelease, current: str | None = None) -> bool:
    """Whether ``release`` is newer than ``current`` (this client's version by default)."""
    return version_key(release.version) > version_key(current or crm_client.__version__)


DOWNLOAD_PREFIX = "crm-update-"
KEEP_DOWNLOADS_S = 24 * 3600  # the installer runs from its download folder: leave it a day


def download_dir() -> Path:
    """A new private folder for one download (the installer keeps its own name in it)."""
    return Path(tempfile.mkdtemp(prefix=DOWNLOAD_PREFIX))


def remove_old_downloads(temp: Path | None = None, now: float | None = None) -> int:
    """Delete the download folders of earlier updates once a day old (their installers have
    long finished); returns how many went. Nothing else in the temporary folder is touched."""
    removed = 0
    cutoff = (time.time() if now is None else now) - KEEP_DOWNLOADS_S
    for folder in (temp or Path(tempfile.gettempdir())).glob(DOWNLOAD_PREFIX + "*"):
        try:
            if folder.is_dir() and not folder.is_symlink() and folder.stat().st_mtime < cutoff:
                shutil.rmtree(folder)
                removed += 1
        except OSError as error:  # in use, or not ours to delete: try again next time
            log.info("cannot remove the old download %s: %s", folder, error)
    return removed


def fetch(api: ApiClient, release: ClientRelease, installation: Installation,
          progress: Callable[[int], None], cancelled: threading.Event) -> Verified:
    """Download ``release`` into a new folder and check it (off the GUI thread: it hashes
    the whole file twice). A refused or interrupted download is deleted."""
    running = installation.signer()
    folder = download_dir()
    try:
        target = folder / release.file_name
        sha256 = api.download_installer(release.file_name, target, progress, cancelled)
        return Verified(target, verify(target, sha256, release, running))
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def verify(path: Path, sha256: str, release: ClientRelease,
           running: Signer | None) -> Signer | None:
    """The installer's signer, when ``path`` may run; ``UpdateRefused`` otherwise."""
    from crm_common import authenticode

    if sha256 != release.sha256.lower():
        raise UpdateRefused(_("The downloaded installer is not the one the server announced "
                              "(its SHA-256 differs): it may have been damaged or replaced "
                              "on the way. It was deleted."))
    try:
        found = authenticode.signer(path)
    except authenticode.SignatureInvalid as error:
        log.warning("refused installer %s: %s", path.name, error)
        raise UpdateRefused(_("The installer's signature is invalid: the file was changed "
                              "after it was signed. It was deleted.")) from error
    if running is not None and found is None:
        raise UpdateRefused(_("This client is signed by {signer}, but the installer is not "
                              "signed at all. It was deleted; ask your IT department.").format(
                                  signer=running.common_name))
    if running is not None and found is not None and found.fingerprint != running.fingerprint:
        raise UpdateRefused(_("The installer is signed by {other}, not by {signer} who signed "
                              "this client. It was deleted; ask your IT department.").format(
                                  other=found.common_name or found.fingerprint,
                                  signer=running.common_name or running.fingerprint))
    return found


def launch_installer(path: Path) -> None:
    """Start the installer detached from this process. On Windows through the shell, which
    asks for the administrator's consent the per-machine installer needs (a plain
    ``CreateProcess`` of an executable that requires elevation fails)."""
    if sys.platform == "win32":
        os.startfile(path)
    else:
        subprocess.Popen([str(path)], start_new_session=True, close_fds=True)
