"""An archive's records: each sealed with AES-256-GCM where it stands (the format is described
in ``archive``).

A record's place is part of what its tag authenticates (the nonce and the associated data hold
its index; the associated data also the header's digest and whether it is the final record), so
a record moved, dropped, repeated or taken from another archive fails where it is read. Lengths
read from the file are bounded before anything is allocated.
"""

from __future__ import annotations

import struct
from enum import IntEnum
from typing import IO, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.hashes import SHA256
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from crm_server.domains.backups.errors import ArchiveError

BLOCK_SIZE = 1 << 20  # member data per record
MAX_PLAINTEXT = BLOCK_SIZE + 1  # the kind byte and a full block
TAG_BYTES = 16
PREFIX = struct.Struct(">I")  # bit 31: final record; bits 0-30: the sealed length
FINAL = 1 << 31


class Kind(IntEnum):
    """A record's kind, its plaintext's first byte."""

    OPEN = 1  # a member starts: its name
    RAW = 2  # member data as it is
    ZLIB = 3  # member data, zlib-compressed
    CLOSE = 4  # a member ends: its size and SHA-256
    MANIFEST = 5  # a piece of the manifest's JSON
    END = 6  # the archive's end, the one final record


def data_cipher(master: bytes, archive_id: bytes) -> AESGCM:
    """The archive's own AES-256-GCM key: unique per archive, so an index is a safe nonce."""
    hkdf = HKDF(algorithm=SHA256(), length=32, salt=archive_id, info=b"crm-backup data key 1")
    return AESGCM(hkdf.derive(master))


def read_exact(source: IO[bytes], size: int) -> bytes:
    """``size`` bytes, fewer only at the end of the stream (a pipe may give less per read)."""
    chunk = source.read(size)
    if len(chunk) in (0, size):
        return chunk
    parts = [chunk]
    missing = size - len(chunk)
    while missing and (chunk := source.read(missing)):
        parts.append(chunk)
        missing -= len(chunk)
    return b"".join(parts)


class RecordWriter:
    """Seals records in order after a header whose digest is ``header_digest``."""

    def __init__(self, target: BinaryIO, cipher: AESGCM, header_digest: bytes) -> None:
        self._target = target
        self._cipher = cipher
        self._header_digest = header_digest
        self.index = 0

    def write(self, kind: Kind, body: bytes) -> None:
        """Seal and write one record; the END record is the final one."""
        if len(body) >= MAX_PLAINTEXT:
            raise ValueError(f"a record holds at most {MAX_PLAINTEXT - 1} bytes")
        final = kind is Kind.END
        associated = _associated(self._header_digest, self.index, final)
        sealed = self._cipher.encrypt(_nonce(self.index), bytes([kind]) + body, associated)
        self._target.write(PREFIX.pack(len(sealed) | (FINAL if final else 0)))
        self._target.write(sealed)
        self.index += 1


class RecordReader:
    """Reads and opens records in order; the first failure is raised again by any later read."""

    def __init__(self, source: BinaryIO, cipher: AESGCM, header_digest: bytes, offset: int) -> None:
        self._source = source
        self._cipher = cipher
        self._header_digest = header_digest
        self.offset = offset  # of the next record: how far the archive was read
        self._index = 0
        self._failure: ArchiveError | None = None

    def read(self) -> tuple[Kind, bytes]:
        """The next record's kind and body, authenticated; after the END record, the file
        must end."""
        if self._failure is None:
            try:
                return self._read()
            except ArchiveError as failure:
                self._failure = failure
        raise self._failure

    def _read(self) -> tuple[Kind, bytes]:
        where = f"record {self._index} (at byte {self.offset})"
        prefix = read_exact(self._source, PREFIX.size)
        if len(prefix) < PREFIX.size:
            raise ArchiveError(
                "truncated",
                f"The archive is truncated: it ends before {where}; "
                "the archive's authenticated end is missing.",
            )
        (word,) = PREFIX.unpack(prefix)
        final, length = bool(word & FINAL), word & ~FINAL
        if not TAG_BYTES < length <= MAX_PLAINTEXT + TAG_BYTES:
            raise ArchiveError(
                "damaged",
                f"The archive is damaged: {where} claims {length} bytes, which no record has.",
            )
        sealed = read_exact(self._source, length)
        if len(sealed) < length:
            raise ArchiveError("truncated", f"The archive is truncated: it ends inside {where}.")
        plaintext = self._open(sealed, final, where)
        self._index += 1
        self.offset += PREFIX.size + length
        return self._kind(plaintext[0], final, where), plaintext[1:]

    def _open(self, sealed: bytes, final: bool, where: str) -> bytes:
        associated = _associated(self._header_digest, self._index, final)
        try:
            return self._cipher.decrypt(_nonce(self._index), sealed, associated)
        except InvalidTag:
            raise ArchiveError(
                "tampered",
                f"The archive was altered or corrupted: {where} fails "
                "authentication (changed bytes, or records reordered, dropped, "
                "repeated or taken from another archive).",
            ) from None

    def _kind(self, byte: int, final: bool, where: str) -> Kind:
        try:
            kind = Kind(byte)
        except ValueError:
            kind = None
        if kind is None or final != (kind is Kind.END):
            raise ArchiveError(
                "damaged", f"The archive is damaged: {where} is of no known kind or out of place."
            )
        if final and self._source.read(1):
            raise ArchiveError(
                "tampered", "The archive was altered: bytes follow its authenticated end."
            )
        return kind


def _nonce(index: int) -> bytes:
    return bytes(4) + index.to_bytes(8, "big")


def _associated(header_digest: bytes, index: int, final: bool) -> bytes:
    return header_digest + index.to_bytes(8, "big") + (b"\1" if final else b"\0")
