"""The client installer a server hosts: how its file is named and what the server says of it.

The Windows build names its installer ``crm-client-setup-<version>.exe`` when signed and
``crm-client-setup-<version>-unsigned.exe`` when not; versions are dotted numbers, compared
number by number (``0.10.0`` is newer than ``0.9.1``).
"""

from __future__ import annotations

import re

from pydantic import BaseModel

INSTALLER_NAME = re.compile(r"crm-client-setup-([0-9]+(?:\.[0-9]+)*)(-unsigned)?\.exe")
_LEADING_NUMBERS = re.compile(r"[0-9]+(?:\.[0-9]+)*")


class ClientRelease(BaseModel):
    """The newest valid installer of the server's client folder, as ``GET /client/latest``
    describes it. ``signer_*`` are None for an unsigned installer."""

    version: str
    file_name: str
    size: int
    sha256: str  # hex, of the whole file
    signed: bool
    signer_fingerprint: str | None = None  # SHA-256 of the signing certificate, "AB:CD:…"
    signer_name: str | None = None  # the certificate's subject common name


def parse_installer_name(name: str) -> tuple[str, bool] | None:
    """``(version, signed)`` for an installer's file name, None for any other name."""
    match = INSTALLER_NAME.fullmatch(name)
    if match is None:
        return None
    return match.group(1), match.group(2) is None


def version_key(version: str) -> tuple[int, ...]:
    """``"0.2.0.1"`` → ``(0, 2, 0, 1)``: the leading dotted numbers of a version (a suffix
    such as ``.dev1`` is ignored), trailing zeros dropped so ``0.2`` equals ``0.2.0``."""
    match = _LEADING_NUMBERS.match(version.strip())
    numbers = [int(part) for part in match.group(0).split(".")] if match else []
    while numbers and numbers[-1] == 0:
        numbers.pop()
    return tuple(numbers)
