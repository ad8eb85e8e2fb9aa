"""References in a sheet: an owner written as a person's name or login, a contact's
customer as its name or USCC. Each is looked up among the records the importer may read
(the target's scoped query: the choke point), a page of rows at a time — one query per
reference field and key, never one per row."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from crm_common.entities import REGISTRY, EntitySpec, FieldSpec, Kind, Match
from crm_common.entities.cells import Verdict, clean_cell
from crm_common.i18n import N_
from crm_server.kit.binding import binding
from crm_server.security.principal import Principal

NOT_FOUND = N_("No such record found among those you may see")
AMBIGUOUS = N_("Several records match: write a code or a login instead")
SEPARATORS = re.compile(r"[,，;；、|\n]")


def _keys_of(spec: EntitySpec) -> tuple[Match, ...]:
    """How a record of ``spec`` may be named in a cell: its title, then its matches."""
    keys = spec.match_keys
    if any(m.field == spec.title_field for m in keys):
        return keys
    return (Match(spec.title_field), *keys)


def _reduce(spec: EntitySpec, key: Match, text: str) -> str | None:
    """``text`` as the stored form of ``key`` (a code cleaned as its field cleans it, a
    name reduced by its key); None when it cannot be one."""
    if key.key is not None:
        return key.key(text)
    field = spec.owns(key.field)
    if field is not None and field.format is not None:
        cell = clean_cell(field, text)
        return None if cell.verdict is Verdict.ERROR else str(cell.value)
    return text


@dataclass(frozen=True)
class Found:
    record_id: int | None
    error: str | None = None


class References:
    """Resolves the reference cells of one page of rows for ``user``."""

    def __init__(self, session: Session, user: Principal) -> None:
        self.session, self.user = session, user
        # (entity, text) → the record found: owners recur on every page. What was not found
        # is asked again (the file may create it meanwhile: a parent company above).
        self.known: dict[tuple[str, str], Found] = {}

    def resolve(self, field: FieldSpec, texts: Iterable[str]) -> dict[str, Found]:
        """Each distinct text of ``field``'s cells → the record it names, or why not."""
        assert field.ref is not None
        key = field.ref
        wanted = {text for text in texts if text}
        new = self._look_up(key, {text for text in wanted if (key, text) not in self.known})
        self.known.update(((key, text), found) for text, found in new.items()
                          if found.record_id is not None)
        return {text: self.known.get((key, text)) or new[text] for text in wanted}

    def _look_up(self, key: str, wanted: set[str]) -> dict[str, Found]:
        if not wanted:
            return {}
        target = REGISTRY[key]
        service = binding(target.key).service
        model = service.model
        ids: dict[str, set[int]] = {text: set() for text in wanted}
        for match in _keys_of(target):
            forms: dict[str, list[str]] = {}
            for text in wanted:
                form = _reduce(target, match, text)
                if form:
                    forms.setdefault(form, []).append(text)
            if not forms:
                continue
            column = getattr(model, match.stored)
            stmt = service.base_query(self.user).where(column.in_(list(forms)))
            for record_id, value in self.session.execute(
                    stmt.with_only_columns(model.id, column)):
                for text in forms.get(value, []):
                    ids[text].add(record_id)
        return {text: _found(found) for text, found in ids.items()}

    def resolve_many(self, field: FieldSpec, texts: Iterable[str]) -> dict[str, Found]:
        """As ``resolve``, for the parts of list cells (roles: 销售, 财务)."""
        return self.resolve(field, {part for text in texts for part in split(text)})


def split(text: str) -> list[str]:
    return [part.strip() for part in SEPARATORS.split(text) if part.strip()]


def _found(ids: set[int]) -> Found:
    if len(ids) == 1:
        return Found(next(iter(ids)))
    return Found(None, AMBIGUOUS if ids else NOT_FOUND)


def is_reference(field: FieldSpec) -> bool:
    return field.kind in (Kind.REF, Kind.REFS) and field.ref is not None
