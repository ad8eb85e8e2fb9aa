"""统一社会信用代码 (unified social credit code), GB 32100-2015.

Eighteen characters from a 31-character alphabet (no I, O, Z, S, V); the last one is a check
character computed from the first seventeen with a weighted sum modulo 31.
"""

from __future__ import annotations

from crm_common.i18n import N_

from .text import to_halfwidth

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
LENGTH = 18

_VALUES = {char: value for value, char in enumerate(ALPHABET)}


def uscc_check_char(first17: str) -> str:
    """The check character (18th) for the first 17 characters of a code.

    Test-data builders use it to make valid codes; ``first17`` must already be upper-case.
    """
    if len(first17) != LENGTH - 1:
        raise ValueError(
            N_("Unified social credit code without its check character must be 17 characters")
        )
    _require_alphabet(first17)
    total = sum(_VALUES[char] * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(len(ALPHABET) - total % len(ALPHABET)) % len(ALPHABET)]


def normalise_uscc(value: str) -> str:
    """The code in canonical form (half-width, upper-case, no spaces or hyphens), validated."""
    code = "".join(to_halfwidth(value).split()).replace("-", "").upper()
    if len(code) != LENGTH:
        raise ValueError(N_("Unified social credit code must be 18 characters"))
    _require_alphabet(code)
    if uscc_check_char(code[:-1]) != code[-1]:
        raise ValueError(N_("Unified social credit code check character is wrong"))
    return code


def _require_alphabet(code: str) -> None:
    if any(char not in _VALUES for char in code):
        raise ValueError(N_("Unified social credit code contains invalid characters"))
