"""Pure clean-up and validation functions for data typed, pasted or imported by users.

Each normaliser returns the canonical form or raises ``ValueError`` with a translatable
message, so schemas, the import wizard and client widgets all agree on what is valid.
"""

from .emails import normalise_email
from .industries import Industry, industry_reader
from .names import LEGAL_FORMS, company_key
from .phones import digits, normalise_mobile, normalise_phone
from .pinyin import full_pinyin, initials
from .regions import read_province, read_region
from .text import clean_text, remove_zero_width, to_halfwidth
from .uscc import normalise_uscc, uscc_check_char
from .values import Cleaned, read_amount, read_bool, read_choice, read_date

__all__ = [
    "LEGAL_FORMS",
    "Cleaned",
    "Industry",
    "clean_text",
    "company_key",
    "digits",
    "full_pinyin",
    "industry_reader",
    "initials",
    "normalise_email",
    "normalise_mobile",
    "normalise_phone",
    "normalise_uscc",
    "read_amount",
    "read_bool",
    "read_choice",
    "read_date",
    "read_province",
    "read_region",
    "remove_zero_width",
    "to_halfwidth",
    "uscc_check_char",
]
