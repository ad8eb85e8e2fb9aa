"""Argon2id password hashes at OWASP's parameters (19 MiB, t=2, p=1): ~30 ms per check here,
slow enough to make offline guessing expensive, fast enough for sign-in.

A check holds its 19 MiB and a core until done, so no more run at once than there are cores:
a burst of sign-ins (everyone at 8:30) queues in front of ``_SLOTS`` instead of allocating
19 MiB in each of the server's threads at once (fifty sign-ins within seconds were measured
to leave the process ~450 MiB larger: ``crm_server.memory``) and sharing the cores between
them, which finishes none sooner."""

from __future__ import annotations

import os
import threading
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from crm_common.i18n import N_
from crm_common.schemas.security import character_classes

_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_SLOTS = threading.BoundedSemaphore(os.cpu_count() or 2)
# Verified against when the user does not exist, so timing does not reveal valid usernames.
_DUMMY_HASH = _HASHER.hash("timing-equaliser")


def hash_password(password: str) -> str:
    with _SLOTS:
        return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        with _SLOTS:
            verified = _HASHER.verify(password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return verified and bool(password_hash)


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
