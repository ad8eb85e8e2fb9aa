"""The client installer this server hosts, so desktops update inside a network without
internet access.

Installers live in ``DATA_DIR/client/``: ``crm-server publish-client FILE`` checks one and
copies it there atomically, or IT drops the file in by hand. Either way a file counts only
when its name is an installer's (``crm_common.schemas.release``) and it is a Windows
executable whose Authenticode signature holds — or that has none, when its name says
``-unsigned``. Other files are ignored, with a warning in the log saying why.

Hashing and checking a 60 MB installer takes a good part of a second, so each file's
outcome is kept per process until it is replaced or its size or modification time changes.
"""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response

from crm_common import authenticode
from crm_common.errors import NotFound
from crm_common.i18n import N_
from crm_common.schemas.release import ClientRelease, parse_installer_name, version_key
from crm_server.kit.web import Caller, disposition, json_response, settings_of, signed_in
from crm_server.settings import Settings

FOLDER = "client"
CHUNK = 1 << 20

log = logging.getLogger(__name__)
router = APIRouter(prefix="/client", tags=["Client updates"])

_Stat = tuple[int, int, int]  # inode (a file renamed into place has a new one), size, mtime
_lock = threading.Lock()
_checked: dict[Path, dict[str, tuple[_Stat, ClientRelease | str]]] = {}


class InstallerRefused(Exception):
    """Not an installer the server may offer; the message says why."""


def folder(settings: Settings) -> Path:
    return settings.data_dir / FOLDER


def inspect(path: Path) -> ClientRelease:
    """What the installer at ``path`` is, or ``InstallerRefused``."""
    parsed = parse_installer_name(path.name)
    if parsed is None:
        raise InstallerRefused(f"{path.name} is not named crm-client-setup-<version>.exe "
                               "(signed) or crm-client-setup-<version>-unsigned.exe")
    version, named_signed = parsed
    try:
        signer = authenticode.signer(path)
    except authenticode.SignatureInvalid as error:
        raise InstallerRefused(f"{path.name}: {error}") from None
    if named_signed and signer is None:
        raise InstallerRefused(f"{path.name} has no signature; an unsigned installer must be "
                               f"named crm-client-setup-{version}-unsigned.exe")
    if not named_signed and signer is not None:
        raise InstallerRefused(f"{path.name} is signed; name it crm-client-setup-{version}.exe")
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return ClientRelease(
        version=version, file_name=path.name, size=path.stat().st_size,
        sha256=digest.hexdigest(), signed=signer is not None,
        signer_fingerprint=signer.fingerprint if signer else None,
        signer_name=signer.common_name if signer else None)


def installers(settings: Settings) -> dict[str, ClientRelease]:
    """The valid installers of the client folder by file name (files being written, whose
    name starts with a dot, are passed over)."""
    directory = folder(settings)
    try:
        entries = [entry for entry in os.scandir(directory)
                   if not entry.name.startswith(".") and entry.is_file()]
    except FileNotFoundError:
        return {}
    with _lock:
        before = _checked.get(directory, {})
        now: dict[str, tuple[_Stat, ClientRelease | str]] = {}
        for entry in entries:
            try:
                stat = entry.stat()
            except FileNotFoundError:  # removed meanwhile
                continue
            key = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
            known = before.get(entry.name)
            now[entry.name] = known if known and known[0] == key else (key, _outcome(entry.path))
        _checked[directory] = now
    return {name: outcome for name, (_key, outcome) in now.items()
            if isinstance(outcome, ClientRelease)}


def _outcome(path: str) -> ClientRelease | str:
    try:
        return inspect(Path(path))
    except InstallerRefused as error:
        log.warning("ignoring %s: %s", path, error)
        return str(error)
    except OSError as error:
        log.warning("ignoring %s: cannot read it (%s)", path, error)
        return str(error)


def newest(settings: Settings) -> ClientRelease | None:
    """The installer of the highest version (the signed one when both exist)."""
    found = installers(settings).values()
    return max(found, key=lambda r: (version_key(r.version), r.signed), default=None)


def publish(settings: Settings, source: Path) -> ClientRelease:
    """Check the installer ``source`` and copy it into the client folder under its name;
    clients see it once it is complete (the copy is renamed into place)."""
    release = inspect(source)
    directory = folder(settings)
    directory.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=directory, prefix=".publish-")
    try:
        with os.fdopen(handle, "wb") as out, source.open("rb") as stream:
            shutil.copyfileobj(stream, out, CHUNK)
        os.chmod(temp, 0o644)
        os.replace(temp, directory / release.file_name)
    finally:
        if os.path.exists(temp):
            os.unlink(temp)
    return release


@router.get("/latest", response_model=ClientRelease)
def latest(request: Request, caller: Caller) -> Response:
    """The newest client installer this server hosts (any signed-in user may ask)."""
    _authenticate(request, caller)
    release = newest(settings_of(request))
    if release is None:
        raise NotFound(N_("This server offers no client installer"))
    return json_response(ClientRelease, release)


@router.get("/download/{file_name}", response_class=FileResponse)
def download(request: Request, caller: Caller, file_name: str) -> Any:
    """One of the valid installers, by its file name (any other name is not found)."""
    _authenticate(request, caller)
    settings = settings_of(request)
    if file_name not in installers(settings):
        raise NotFound(N_("This server offers no such client installer"))
    return FileResponse(folder(settings) / file_name, media_type="application/octet-stream",
                        headers={"Content-Disposition": disposition(file_name)})


def _authenticate(request: Request, caller: Caller) -> None:
    """401 unless signed in; every role may update its client."""
    with signed_in(request, caller):
        pass
