"""Why an archive (or a backup key) was refused: one error type with a machine-readable reason.

``ArchiveError.reason`` is one of ``REASONS``; ``str()`` of the error is an English sentence an
operator can act on (it names the record, the offset or the key concerned).
"""

from __future__ import annotations

REASONS = (
    "not_archive",  # no archive's magic: another kind of file
    "unsupported",  # a format version, key kind or KDF cost this version does not read
    "wrong_key",  # made with another key file or passphrase than the one given
    "tampered",  # a checksum or an authentication tag does not match: altered or corrupted
    "truncated",  # the file ends before the archive's authenticated end
    "damaged",  # a field no writer writes (an impossible length, a garbled header)
    "key_file",  # the backup key file is missing, unreadable or garbled
)


class ArchiveError(Exception):
    """An archive or key that cannot be used; nothing read from it is to be trusted."""

    def __init__(self, reason: str, message: str) -> None:
        if reason not in REASONS:
            raise ValueError(f"unknown archive error reason {reason!r}")
        super().__init__(message)
        self.reason = reason
