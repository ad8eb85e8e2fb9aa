"""Backup keys: the key file made at ``init``, or an admin's passphrase.

A key file holds a random 256-bit key as text an admin can print, or copy by hand::

    CRM-BACKUP-KEY-1
    id 3f9a1b2c4d5e6f70
    key ABCD EFGH … (the key in base32, 13 groups of four)

The id is a fingerprint of the key, never the key: every archive records the id of the key it
was made with, so a wrong key file is told apart from a damaged archive, and the id line catches
a key mistyped from paper. A passphrase goes through Argon2id (memory-hard); its salt and costs
are written in the archive's header, with the fingerprint of its output so a wrong passphrase is
named as such (the first record's tag would tell it anyway: the fingerprint gives nothing away).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.kdf.argon2 import Argon2id

from crm_server.domains.backups.errors import ArchiveError

KEY_FILE_HEADER = "CRM-BACKUP-KEY-1"
KEY_BYTES = 32
SALT_BYTES = 16


@dataclass(frozen=True)
class KdfCost:
    """Argon2id's costs: memory in KiB, passes over it, lanes."""

    memory_kib: int = 64 * 1024
    iterations: int = 3
    lanes: int = 1


# What new archives use, and the most a header may ask for (a hostile header must not make a
# restore allocate 100 GiB or spin for hours).
DEFAULT_KDF_COST = KdfCost()
MAX_KDF_COST = KdfCost(memory_kib=512 * 1024, iterations=16, lanes=8)


@dataclass(frozen=True)
class KeySource:
    """How the key of an archive is had: exactly one of a key file's key or a passphrase."""

    key: bytes | None = field(default=None, repr=False)
    passphrase: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if (self.key is None) == (self.passphrase is None):
            raise ValueError("a key source is either a key or a passphrase")
        if self.key is not None and len(self.key) != KEY_BYTES:
            raise ValueError(f"a backup key has {KEY_BYTES} bytes")
        if self.passphrase is not None and not self.passphrase:
            raise ValueError("an empty passphrase")

    def describe(self) -> str:
        """The source as messages name it, e.g. ``key file 3f9a1b2c4d5e6f70``."""
        return "passphrase" if self.key is None else f"key file {key_id(self.key)}"


def key_id(master: bytes) -> str:
    """A short public fingerprint of a master key (one-way, domain-separated)."""
    return hashlib.sha256(b"crm-backup key id\0" + master).hexdigest()[:16]


def new_key_file(path: Path) -> str:
    """Write a new random 256-bit key to ``path`` (mode 0600, refuse to overwrite an
    existing file: FileExistsError) and return its printable form (the text an admin
    writes down or keeps offline; the file holds the same text)."""
    text = printable_key(os.urandom(KEY_BYTES))
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as out:
        os.fchmod(descriptor, 0o600)  # whatever the umask
        out.write(text)
        out.flush()
        os.fsync(descriptor)
    return text


def printable_key(key: bytes) -> str:
    """A key as a key file holds it: header line, id line, key line."""
    letters = base64.b32encode(key).decode("ascii").rstrip("=")
    groups = " ".join(letters[start : start + 4] for start in range(0, len(letters), 4))
    return f"{KEY_FILE_HEADER}\nid {key_id(key)}\nkey {groups}\n"


def read_key_file(path: Path) -> bytes:
    """The key in a key file; ArchiveError ("key_file") when it is missing, unreadable or
    garbled, saying which."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ArchiveError("key_file", f"The backup key file {path} does not exist.") from None
    except OSError as exc:
        raise ArchiveError(
            "key_file", f"The backup key file {path} cannot be read: {exc.strerror}."
        ) from None
    except UnicodeDecodeError:
        text = ""
    return parse_key_text(text, f"The backup key file {path}")


def parse_key_text(text: str, what: str) -> bytes:
    """The key in a key file's text (spaces, dashes and case in the key line do not matter);
    ``what`` names the text in messages."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if not lines or lines[0] != KEY_FILE_HEADER:
        raise ArchiveError(
            "key_file",
            f"{what} is not a backup key file: it does not start with {KEY_FILE_HEADER}.",
        )
    fields = {
        name.lower(): value.strip() for name, _, value in (line.partition(" ") for line in lines)
    }
    letters = "".join(fields.get("key", "").split()).replace("-", "").upper()
    try:
        key = base64.b32decode(letters + "=" * (-len(letters) % 8))
    except binascii.Error:
        key = b""
    if len(key) != KEY_BYTES:
        raise ArchiveError(
            "key_file", f"{what} is garbled: its key line does not hold a {KEY_BYTES * 8}-bit key."
        )
    if fields.get("id", "").lower() != key_id(key):
        raise ArchiveError(
            "key_file",
            f"{what} is garbled: its key does not match its id line (a character mistyped?).",
        )
    return key


def new_master_key(source: KeySource) -> tuple[bytes, dict[str, Any]]:
    """The master key of a new archive, and the key descriptor its header records."""
    if source.key is not None:
        return source.key, {"kind": "file", "id": key_id(source.key)}
    assert source.passphrase is not None  # a KeySource holds exactly one
    salt = os.urandom(SALT_BYTES)
    master = _argon2(source.passphrase, salt, DEFAULT_KDF_COST)
    return master, {
        "kind": "passphrase",
        "kdf": "argon2id",
        "salt": salt.hex(),
        "memory_kib": DEFAULT_KDF_COST.memory_kib,
        "iterations": DEFAULT_KDF_COST.iterations,
        "lanes": DEFAULT_KDF_COST.lanes,
        "id": key_id(master),
    }


def master_key_for(source: KeySource, descriptor: dict[str, Any]) -> bytes:
    """The master key of an archive whose header holds ``descriptor``; ArchiveError when the
    source is not the archive's key ("wrong_key") or the descriptor is not one this version
    reads ("unsupported", "damaged")."""
    kind = descriptor.get("kind")
    if kind not in ("file", "passphrase"):
        raise ArchiveError(
            "unsupported", f"This archive's key is of a kind ({kind!r}) this version does not know."
        )
    made_with = _text(descriptor, "id")
    if kind == "file":
        if source.key is None or key_id(source.key) != made_with:
            raise ArchiveError(
                "wrong_key",
                f"This archive was made with key file {made_with}; "
                f"the key given is {_given(source)}.",
            )
        return source.key
    salt, cost = _kdf_parameters(descriptor)
    if source.passphrase is None:
        raise ArchiveError(
            "wrong_key",
            f"This archive was made with a passphrase; the key given is {_given(source)}.",
        )
    master = _argon2(source.passphrase, salt, cost)
    if key_id(master) != made_with:
        raise ArchiveError(
            "wrong_key", "The passphrase given is not the one this archive was made with."
        )
    return master


def _given(source: KeySource) -> str:
    return "a passphrase" if source.key is None else source.describe()


def _argon2(passphrase: str, salt: bytes, cost: KdfCost) -> bytes:
    # NFC: the same passphrase typed on another system's keyboard gives the same key.
    return Argon2id(
        salt=salt,
        length=KEY_BYTES,
        iterations=cost.iterations,
        lanes=cost.lanes,
        memory_cost=cost.memory_kib,
    ).derive(unicodedata.normalize("NFC", passphrase).encode("utf-8"))


def _kdf_parameters(descriptor: dict[str, Any]) -> tuple[bytes, KdfCost]:
    """A passphrase descriptor's salt and costs, refused beyond ``MAX_KDF_COST``."""
    if descriptor.get("kdf") != "argon2id":
        raise ArchiveError(
            "unsupported",
            f"This archive's passphrase uses a key derivation "
            f"({descriptor.get('kdf')!r}) this version does not know.",
        )
    try:
        salt = bytes.fromhex(_text(descriptor, "salt"))
    except ValueError:
        salt = b""
    if not SALT_BYTES <= len(salt) <= 64:
        raise ArchiveError(
            "damaged", "The archive's header is damaged: its passphrase salt is not valid."
        )
    cost = KdfCost(*(_number(descriptor, name) for name in ("memory_kib", "iterations", "lanes")))
    if not (
        1 <= cost.lanes <= MAX_KDF_COST.lanes
        and 1 <= cost.iterations <= MAX_KDF_COST.iterations
        and 8 * cost.lanes <= cost.memory_kib <= MAX_KDF_COST.memory_kib
    ):
        raise ArchiveError(
            "unsupported",
            f"This archive's passphrase asks for {cost.memory_kib} "
            f"KiB, {cost.iterations} passes and {cost.lanes} lanes of Argon2id; "
            f"this version allows at most {MAX_KDF_COST.memory_kib} KiB, "
            f"{MAX_KDF_COST.iterations} passes and {MAX_KDF_COST.lanes} lanes.",
        )
    return salt, cost


def _text(descriptor: dict[str, Any], name: str) -> str:
    value = descriptor.get(name)
    if not isinstance(value, str):
        raise ArchiveError("damaged", f"The archive's header is damaged: its key has no {name}.")
    return value


def _number(descriptor: dict[str, Any], name: str) -> int:
    value = descriptor.get(name)
    if not isinstance(value, int) or isinstance(value, bool):
        raise ArchiveError("damaged", f"The archive's header is damaged: its key has no {name}.")
    return value
