"""How much of a spreadsheet the server agrees to read."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Bounds checked before a file is inflated or parsed."""

    max_bytes: int = 50 * 2**20  # the upload itself
    max_uncompressed: int = 1 * 2**30  # the sum of a zip's members' declared sizes
    max_ratio: int = 200  # per zip member (above RATIO_FLOOR): uncompressed / compressed
    # Rows x columns a sheet may span, by its cells' references: calamine holds about 32
    # bytes per spanned cell, so this keeps a sheet's worst case near 400 MB (a million
    # rows of twelve columns under their header still fit).
    max_cells: int = 12_100_000
    max_columns: int = 1_000
