"""Two letters are found through the pair index too: pinyin initials such as ``hw`` (华为).

Typing a company's pinyin initials is how many people search; two letters have no trigram,
so such a search read every customer in the user's scope along the sort order (a sales
rep's 16,000 customers for a rare pair: 6,000 buffers, 150 ms under load). The pair index
now also holds the pairs of adjacent lower-case letters (the search text is lower case):
``crm_search_pairs`` keeps its signature and its Chinese pairs, tagged as before, and adds
the letter pairs; a search for two letters asks for either form, as for two Chinese
characters.

The index is rebuilt for every customer and contact: on a million of each, expect minutes.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

SEARCH_TABLES = ("customer", "contact")

# The pairs within each run of letters a-z and each run of non-ASCII characters (Chinese),
# the one the name starts with tagged as in 0008. Walking the runs, not every position of
# the text, makes it faster than 0008's function (0.52 s against 0.88 s for 10,000
# customers; the same pairs as taking both functions' pairs apart).
PAIRS = r"""
CREATE OR REPLACE FUNCTION crm_search_pairs(head text, value text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT coalesce(array_agg(DISTINCT CASE WHEN pair = left(head, 2) COLLATE "C"
                                            THEN '^' || pair ELSE pair END), '{}')
    FROM (SELECT substr(run[1], i, 2) AS pair
          FROM regexp_matches(value, '[a-z]+|[^\x01-\x7f]+', 'g') AS run,
               generate_series(1, length(run[1]) - 1) AS i) pairs
$$"""

CHINESE_PAIRS = r"""
CREATE OR REPLACE FUNCTION crm_search_pairs(head text, value text) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT AS $$
    SELECT coalesce(array_agg(DISTINCT CASE WHEN pair = left(head, 2) COLLATE "C"
                                            THEN '^' || pair ELSE pair END), '{}')
    FROM (SELECT substr(cjk, i, 2) AS pair
          FROM (SELECT regexp_replace(value, '[\x01-\x7f]+', ' ', 'g') AS cjk) s,
               generate_series(1, length(cjk) - 1) AS i) pairs
    WHERE pair !~ ' '
$$"""


def _rebuild(function: str) -> None:
    # The function's body changes under an index of its results: the index is rebuilt.
    op.execute(function)
    for table in SEARCH_TABLES:
        op.execute(f"REINDEX INDEX ix_{table}_search_pairs")
    op.execute(f"ANALYZE {', '.join(SEARCH_TABLES)}")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _rebuild(PAIRS)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _rebuild(CHINESE_PAIRS)
