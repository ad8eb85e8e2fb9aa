"""Argon2id password hashes at OWASP's parameters (19 MiB, t=2, p=1): ~30 ms per check here,
slow enough to make offline guessing expensive, fast enough for sign-in."""

from __future__ import annotations

from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from crm_common.i18n import N_
from crm_common.schemas.security import character_classes

_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
# Verified against when the user does not exist, so timing does not reveal valid usernames.
_DUMMY_HASH = _HASHER.hash("timing-equaliser")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _HASHER.check_needs_rehash(password_hash)


def policy_problem(password: str, min_length: int, classes: int) -> str | None:
    """Why ``password`` falls short of the policy (a catalogue key), or None."""
    if len(password) < min_length:
        return N_("The password is too short")
    if character_classes(password) < classes:
        return N_("The password needs more kinds of characters "
                  "(lower case, upper case, digits, symbols)")
    return None


def password_expired(changed_at: datetime | None, expiry_days: int, now: datetime) -> bool:
    """Whether a password set at ``changed_at`` is past the policy's expiry (0: never
    expires). A password of unknown age counts as expired once expiry is switched on."""
    if expiry_days <= 0:
        return False
    return changed_at is None or changed_at + timedelta(days=expiry_days) <= now
