"""E-mail addresses: a pragmatic check, not RFC 5322.

It catches what users really get wrong (a missing ``@`` or top-level domain, spaces, full-width
``＠``) and lower-cases the domain so duplicate checks match; the local part keeps its case
because a few mail servers honour it.
"""

from __future__ import annotations

import re

from crm_common.i18n import N_

from .text import remove_zero_width, to_halfwidth

MAX_LENGTH = 254  # the longest address SMTP can carry

_LOCAL = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
_EMAIL = re.compile(rf"(?P<local>{_LOCAL})@(?P<domain>(?:{_LABEL}\.)+[A-Za-z]{{2,}})")


def normalise_email(value: str) -> str:
    """``value`` half-width and stripped, with its domain lower-cased, or ``ValueError``."""
    text = remove_zero_width(to_halfwidth(value)).strip()
    match = _EMAIL.fullmatch(text)
    if match is None or len(text) > MAX_LENGTH:
        raise ValueError(N_("Not a valid email address"))
    return f"{match['local']}@{match['domain'].lower()}"
