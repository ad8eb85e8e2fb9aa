"""Pure arithmetic of the load benchmark: percentiles and per-operation summaries.

Kept apart from the I/O so it can be unit-tested (``tests/bench/test_figures.py``).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0–100) of ``values`` by linear interpolation between closest
    ranks (numpy's default, "inclusive"); NaN for no values."""
    if not 0 <= q <= 100:
        raise ValueError(f"percentile {q} outside 0–100")
    if not values:
        return math.nan
    ordered = sorted(values)
    rank = (len(ordered) - 1) * q / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class OpFigures:
    """What one operation did in a measuring window: durations of its successes (ms), the
    expected refusals (a stale version's 409) and failures by status (0: no response)."""

    durations_ms: list[float] = field(default_factory=list)
    responses: int = 0
    expected: Counter[int] = field(default_factory=Counter)
    errors: Counter[int] = field(default_factory=Counter)

    def summary(self, target_ms: float | None) -> dict[str, Any]:
        p95 = percentile(self.durations_ms, 95)
        return {
            "count": len(self.durations_ms),
            "responses": self.responses,
            "p50_ms": _round(percentile(self.durations_ms, 50)),
            "p95_ms": _round(p95),
            "p99_ms": _round(percentile(self.durations_ms, 99)),
            "max_ms": _round(max(self.durations_ms, default=math.nan)),
            "expected_refusals": {str(k): v for k, v in sorted(self.expected.items())},
            "errors": {str(k): v for k, v in sorted(self.errors.items())},
            "target_p95_ms": target_ms,
            "pass": None if target_ms is None or math.isnan(p95)
            else bool(p95 <= target_ms and not self.errors),
        }


def _round(value: float) -> float | None:
    return None if math.isnan(value) else round(value, 1)


def rate(count: float, seconds: float) -> float:
    """``count`` per second, 0 for an empty window."""
    return round(count / seconds, 2) if seconds > 0 else 0.0


def per_request_ms(cpu_seconds: float, requests: int) -> float | None:
    """CPU milliseconds per request, or None without requests."""
    return round(cpu_seconds * 1000 / requests, 2) if requests else None
