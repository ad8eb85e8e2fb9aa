"""Which column of a spreadsheet holds which field of an entity, read from its headings.

A heading matches a field by the field's name, its label in either language, or one of the
field's declared ``headings`` (客户名称 / 公司名称 / 单位名称 …); width, case, spaces, a
trailing colon or asterisk and bracketed notes (手机（必填）) do not matter. Chinese sheets
often open with a title row or two, so the header is the row among the first
``HEADER_ROWS`` whose cells match the most fields.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from crm_common.cleansing.values import cell_text
from crm_common.entities.spec import EntitySpec, FieldSpec
from crm_common.i18n import LANGUAGES, translate

HEADER_ROWS = 10
_NOTE = re.compile(r"[(\[【].*?[)\]】]")


def folded(heading: object) -> str:
    """A heading as compared: half-width, lower case, no spaces, notes or marks."""
    text = cell_text(heading).lower()
    text = _NOTE.sub("", text.replace("（", "(").replace("）", ")"))
    return "".join(text.split()).strip(":*：")


def _wordings(field: FieldSpec) -> set[str]:
    names = {field.name, *field.headings, *(translate(field.label, lang) for lang in LANGUAGES)}
    return {folded(name) for name in names}


def match_columns(spec: EntitySpec, headings: Sequence[object],
                  fields: Sequence[FieldSpec] | None = None) -> dict[int, str]:
    """Column index → field name for each heading that names one of ``fields`` (default:
    the editable fields of ``spec``); a field claimed by two columns goes to the first."""
    chosen = fields if fields is not None else [f for f in spec.fields if f.editable]
    wordings = {field.name: _wordings(field) for field in chosen}
    found: dict[int, str] = {}
    for index, heading in enumerate(headings):
        key = folded(heading)
        if not key:
            continue
        for name, words in wordings.items():
            if key in words and name not in found.values():
                found[index] = name
                break
    return found


def header_row(spec: EntitySpec, rows: Sequence[Sequence[object]]) -> int | None:
    """The index of the row that is the sheet's header (the most matched headings among the
    first ``HEADER_ROWS``; the first of equals), or None when no row names any field."""
    best, best_count = None, 0
    for index, row in enumerate(rows[:HEADER_ROWS]):
        count = len(match_columns(spec, row))
        if count > best_count:
            best, best_count = index, count
    return best
