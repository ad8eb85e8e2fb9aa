""""Contains" search over an entity's ``search_text`` (names, pinyin initials, codes, phone
digits), fast on a million rows.

On PostgreSQL the condition that finds the rows is an index condition: pg_trgm for terms of
three characters or more, and ``crm_search_pairs`` (migrations 0002, 0008, 0010) for two
Chinese characters or two letters (pinyin initials: ``hw``), which have no trigram. How the
page is then read depends on how many rows match, by the planner's estimate:

* sorted by the name (the first search field) and searching for a pair with more than
  ``BLOCK_MIN`` matches, most of which start their name with it (a city: 上海, 47,000
  companies, all ``上海…``), the page is read from two places at once: the block of names
  starting with the pair, an index range of ``(name, id)`` read in order, and the few other
  matches, which the pair index lists apart (it tags the pair a name starts with:
  ``HEAD_TAG``), found and sorted;
* otherwise, up to ``FENCE_MAX`` matches are found by the index first and sorted (the
  subquery keeps the planner from walking the sort index instead, which took over a second
  for 苏州);
* above it, or when the index finds more than ``FENCE_MAX`` rows of which the user's scope
  keeps a few hundred (精密 in a sales rep's own customers), a common term is usually met
  within a few hundred rows of any order: the next ``PROBE_ROWS`` rows of the (scope's) sort
  order are filtered with the cheap LIKE; only when they hold no full page are the matches
  found first and sorted. Such a term's total in a scope is the planner's estimate unless
  asked for: counting it costs all of the index's rows.
* a term no index narrows (one character; two digits; a letter and a digit) can only be
  found by reading the scope's rows: its page is read along the sort order until it is
  full, which for a common term ends within a few thousand rows, and its total is the
  estimate unless asked for.

The total is counted (or estimated) only when asked for: a first page that is not full
holds every match, and says how many itself (``Narrowed.count``).

SQLite, small by definition, scans with LIKE.

The search text holds one segment per entry of the entity's ``search_fields``, in that order,
joined by ``SEPARATOR``: each segment is the field's text, its pinyin initials and its digits.
A user who may not read every one of those fields (masked counts as unreadable) gets a match
only inside the segments of the fields they may read (``split_part``; SQLite has it from
``db.engine``): the combined index still narrows, the segment condition decides. Terms never
contain the separator, so no match spans two fields.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    bindparam,
    false,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY, array
from sqlalchemy.orm import Session, aliased
from sqlalchemy.types import Text

from crm_common.cleansing import clean_text, digits, initials, to_halfwidth
from crm_common.entities import EntitySpec
from crm_common.errors import BadRequest
from crm_common.i18n import N_
from crm_server.kit import counting, paging

FENCE_MAX = 30_000  # estimated matches up to which "find, then sort" beats walking the order
APART_MAX = FENCE_MAX  # the most matches outside a name block that are found and sorted apart
APART_SHARE = 0.5  # ... and at most this share of all matches (else the probe is better)
BLOCK_MIN = 2_000  # matches above which a name block is read apart (below: sorted at once)
PAGE_HINT = 100  # matches below which no full page is worth looking for along the order
SEPARATOR = "\x1f"  # between the segments of a search text (ASCII unit separator)
HEAD_TAG = "^"  # marks, in the pair index, the pair a record's name starts with
# Above every character in the ICU collations (CLDR gives U+FFFF the highest primary weight
# for exactly this): the names starting with P are those from P up to P + NAME_END.
NAME_END = "\uffff"

Sources = Mapping[str, str | Iterable[str | None] | None]
Within = Callable[[Any], ColumnElement[bool]]


def _printable(value: str) -> str:
    """``value`` with control characters (the separator among them) made spaces, cleaned."""
    if value.isprintable():  # nothing to replace: the usual case, without a look at each
        return clean_text(value)
    return clean_text("".join(" " if unicodedata.category(char) == "Cc" else char
                              for char in value))


def _segment(texts: Iterable[str | None]) -> str:
    """What one field contributes: each text in lower case, its pinyin initials, and its
    digits when it has four or more and is not just digits."""
    pieces: list[str] = []
    for raw in texts:
        part = _printable(raw or "")
        if not part:
            continue
        pieces.append(part.lower())
        letters = initials(part)
        if letters and letters != part.lower():
            pieces.append(letters)
        number = digits(part)
        if len(number) >= 4 and number != part:
            pieces.append(number)
    return " ".join(dict.fromkeys(pieces))


def search_text(spec: EntitySpec, sources: Sources) -> str:
    """The search text of a record: one segment per ``spec.search_fields`` entry, in that
    order; ``sources`` maps each to its text (or texts, for fields gathered from other
    records such as ``contact.mobile``)."""
    unknown = set(sources) - set(spec.search_fields)
    if unknown:
        raise ValueError(f"not search fields of {spec.key}: {sorted(unknown)}")
    segments = []
    for name in spec.search_fields:
        value = sources.get(name)
        segments.append(_segment([value] if value is None or isinstance(value, str)
                                 else value))
    return SEPARATOR.join(segments)


def record_search_text(spec: EntitySpec, record: Any) -> str:
    """The search text of a record whose search fields are all its own (a contact)."""
    return search_text(spec, {name: getattr(record, name) for name in spec.search_fields})


def write_search_texts(session: Session, model: Any, texts: Mapping[int, str]) -> None:
    """Store ``texts`` (by id) as the records' search text, in one statement."""
    if not texts:
        return
    table = model.__table__
    session.execute(update(table).where(table.c.id == bindparam("record_id"))
                    .values(search_text=bindparam("text")),
                    [{"record_id": key, "text": text} for key, text in texts.items()])


def search_term(q: str) -> str:
    """The normalised form of what was typed: half-width, lower case; a phone-like query
    ("138-0013 8000", "+86 138…") becomes its digits."""
    term = to_halfwidth(_printable(q)).lower()
    compact = term.replace(" ", "").replace("-", "").removeprefix("+86")
    return compact if compact.isdigit() else term


def like_pattern(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def is_cjk_pair(term: str) -> bool:
    return len(term) == 2 and not any(char.isascii() for char in term)


def is_pair(term: str) -> bool:
    """Whether the pair index holds ``term``: two Chinese characters, or two letters a-z
    (a search term is in lower case)."""
    return is_cjk_pair(term) or (len(term) == 2 and term.isascii() and term.isalpha())


def _like(entity: Any, term: str) -> ColumnElement[bool]:
    return entity.search_text.like(like_pattern(term), escape="\\")  # type: ignore[no-any-return]


def _within(readable: Sequence[int], term: str) -> Within:
    """The condition that ``term`` lies in one of the ``readable`` segments (1-based)."""
    pattern = like_pattern(term)

    def condition(entity: Any) -> ColumnElement[bool]:
        return or_(false(), *[
            func.split_part(entity.search_text, SEPARATOR, position).like(pattern, escape="\\")
            for position in readable])

    return condition


def _pairs(model: Any) -> Any:
    """The indexed pairs of a record's search text, the one its name starts with tagged
    (the name in the default collation, as the search text: the planner's statistics of the
    pairs are then sorted as it looks them up)."""
    return func.crm_search_pairs(model.name.collate("default"), model.search_text,
                                 type_=ARRAY(Text))


def is_indexed(term: str) -> bool:
    """Whether a PostgreSQL index narrows ``term``: a pair, or a trigram."""
    return is_pair(term) or len(term) >= 3


def _indexed(model: Any, term: str) -> ColumnElement[bool]:
    """The condition a PostgreSQL index answers for ``term``: the pair index for a pair (no
    trigram exists; in either form), else the trigram-indexed LIKE."""
    if is_pair(term):
        return _pairs(model).overlap(array([term, HEAD_TAG + term], type_=Text))  # type: ignore[no-any-return]
    return _like(model, term)


@dataclass(frozen=True)
class Narrowed:
    """How to read the rows matching a search: the statement and the entity its columns
    come from (the model, or an alias of the narrowed subquery), and how to get the total
    to show, ``(count, is_exact)``, when the page does not tell it.

    ``few``: the matches are at hand without walking a sort index, so any order costs the
    same (rank freely). ``probe``: walk the sort order filtering by it, and when that finds
    no full page nearby, read ``fallback`` (find all matches, then sort) instead.
    ``by_name``: how to read when the page is sorted by name, if better than the above."""

    stmt: Select[Any]
    entity: Any
    count: Callable[[], tuple[int, bool]]
    few: bool = False
    probe: Callable[[Any], ColumnElement[bool]] | None = None
    fallback: Narrowed | None = None
    by_name: NameBlock | None = None

    def keyset(self, field: str, nullable: bool) -> paging.Keyset:
        return paging.Keyset(self.stmt, self.entity, field, nullable, self.probe)


def narrow(session: Session, stmt: Select[Any], model: Any, spec: EntitySpec, q: str | None,
           exact_total: bool, readable: Sequence[int] | None = None,
           next_page: bool = False) -> Narrowed:
    """``stmt`` (already scoped and filtered) narrowed to the rows matching ``q``.

    ``readable``: when the user may not read every field the search text is made of, the
    positions (1-based, in ``spec.search_fields``) of those they may read; a match must lie
    in one of those segments, so none means nothing matches. ``next_page``: the total is
    estimated, not counted (``counting.total``)."""
    term = search_term(q) if q else ""
    if not term:
        return Narrowed(stmt, model, _counter(session, stmt, exact_total, next_page))
    if not spec.searchable:
        raise BadRequest(N_("This list cannot be searched"), {"q": q or ""})
    within = None if readable is None else _within(readable, term)
    found = stmt.where(_like(model, term))
    found = found if within is None else found.where(within(model))
    if session.get_bind().dialect.name != "postgresql":
        return Narrowed(found, model, _counter(session, found, exact_total, next_page),
                        few=True)
    # Parallel workers cost more than they save on the tens of thousands of rows a search
    # reads (上海 on a million customers: 68 ms with 2 workers, 55 ms without, on 2 cores).
    session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    if not is_indexed(term):
        return Narrowed(found, model, _counter(session, found, exact_total, True))
    candidates = stmt.where(_indexed(model, term))
    # A term the index finds more than FENCE_MAX times costs that many rows to count or to
    # sort in any scope (精密 in a sales rep's own customers: 600 of 36,000): its total is
    # the estimate unless asked for, and its page is looked for along the scope's order.
    wide = counting.estimate(session, select(model.id).where(_indexed(model, term))) > FENCE_MAX
    estimate = counting.estimate(session, candidates)
    if within is None:
        found_stmt, count = candidates, _counter(session, candidates, exact_total,
                                                 next_page or wide, estimate)
    else:
        # The planner cannot estimate the segment condition: the decision below rests on
        # the candidates' estimate, the total counts only matches in readable fields.
        found_stmt = candidates.where(within(model))

        def count() -> tuple[int, bool]:
            return counting.total_within(session, found_stmt, estimate, exact_total)

    fenced_entity = aliased(model, found_stmt.offset(0).subquery())
    fenced = Narrowed(select(fenced_entity), fenced_entity, count, few=True)
    scattered = wide and estimate > PAGE_HINT  # a page of them may exist along the order
    by_name = (_by_name(session, stmt, model, term, within, count, estimate)
               if estimate > BLOCK_MIN or scattered else None)
    if estimate <= FENCE_MAX and not scattered:
        return replace(fenced, by_name=by_name)
    return Narrowed(stmt, model, count, probe=_probe(term, within), fallback=fenced,
                    by_name=by_name)


def _counter(session: Session, stmt: Select[Any], exact: bool, estimate_only: bool,
             planned: int | None = None) -> Callable[[], tuple[int, bool]]:
    """The total of ``stmt``'s rows, when asked (``counting.total``)."""
    return lambda: counting.total(session, stmt, exact, estimate_only, planned)


@dataclass(frozen=True)
class NameBlock:
    """The matches of a pair, sorted by name, read from two places: the rows whose name
    starts with the pair (``starting``: the range of the name order from the pair to the
    pair + ``NAME_END``, walked as a probe filtered by the exact rule), and the others
    (``rest``: found and sorted); the page is the first rows of both, in the scoped
    statement's order."""

    scoped: Select[Any]
    model: Any
    starting: paging.Keyset
    rest: Narrowed

    def page(self, session: Session, sort: paging.Sort, after: str | None,
             limit: int) -> list[Any] | None:
        starting = paging.page_rows(session, self.starting, sort, after, limit)
        if starting is None:
            return None
        rest = paging.page_rows(session, self.rest.keyset("name", False), sort, after, limit)
        if not rest:
            return starting
        ids = [row.id for row in (*starting, *rest)]
        order = (self.model.name, self.model.id)
        return list(session.scalars(
            self.scoped.where(self.model.id.in_(ids))
            .order_by(*[column.desc() if sort.descending else column for column in order])
            .limit(limit + 1)))


def _by_name(session: Session, stmt: Select[Any], model: Any, term: str,
             within: Within | None, count: Callable[[], tuple[int, bool]],
             estimate: int) -> NameBlock | None:
    """For a pair most of whose ``estimate`` matches start their name with it: the
    ``NameBlock``, when the planner estimates the other matches at most ``APART_MAX`` and
    at most ``APART_SHARE`` of them."""
    if not is_cjk_pair(term):
        return None
    rest = stmt.where(_pairs(model).contains(array([term], type_=Text)))
    # Estimated without the segment condition, which the planner cannot estimate (as above).
    if counting.estimate(session, rest) > min(APART_MAX, estimate * APART_SHARE):
        return None
    if within is not None:
        rest = rest.where(within(model))
    others = aliased(model, rest.offset(0).subquery())

    def starts(entity: Any) -> ColumnElement[bool]:
        """The rule the index tags by: the name's first two characters are the pair."""
        rule = and_(func.left(entity.name, 2) == term, _like(entity, term))
        return rule if within is None else and_(rule, within(entity))

    block = stmt.where(model.name >= term, model.name < term + NAME_END)
    return NameBlock(stmt, model, paging.Keyset(block, model, "name", False, starts),
                     Narrowed(select(others), others, count, few=True))


def _probe(term: str, within: Within | None) -> Within:
    """The filter of a walk along the sort order: the cheap LIKE, and the segments."""
    if within is None:
        return lambda entity: _like(entity, term)
    return lambda entity: and_(_like(entity, term), within(entity))


def read_page(session: Session, narrowed: Narrowed, sort: paging.Sort, after: str | None,
              limit: int, nullable: bool) -> list[Any]:
    """Up to ``limit + 1`` matching rows after the cursor, in the sort order."""
    if narrowed.by_name is not None and sort.field == "name":
        rows = narrowed.by_name.page(session, sort, after, limit)
        if rows is not None:
            return rows
    current: Narrowed | None = narrowed
    while current is not None:
        rows = paging.page_rows(session, current.keyset(sort.field, nullable), sort, after,
                                limit)
        if rows is not None:
            return rows
        current = current.fallback
    raise AssertionError("the last way of reading a page never declines")
