"""The load benchmark's arithmetic (bench/figures.py): percentiles and per-operation figures."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from figures import OpFigures, per_request_ms, percentile, rate


def test_percentile_interpolates_between_closest_ranks() -> None:
    values = [40.0, 10.0, 30.0, 20.0]  # unsorted on purpose
    assert percentile(values, 0) == 10.0
    assert percentile(values, 50) == 25.0
    assert percentile(values, 95) == pytest.approx(38.5)
    assert percentile(values, 100) == 40.0
    assert percentile([7.0], 99) == 7.0


def test_percentile_of_nothing_and_out_of_range() -> None:
    assert math.isnan(percentile([], 50))
    with pytest.raises(ValueError):
        percentile([1.0], 101)


def test_summary_keeps_expected_refusals_apart_from_errors() -> None:
    figures = OpFigures(durations_ms=[float(n) for n in range(1, 101)], responses=103)
    figures.expected[409] += 2
    summary = figures.summary(target_ms=100.0)
    assert summary["p50_ms"] == 50.5
    assert summary["p99_ms"] == 99.0
    assert summary["expected_refusals"] == {"409": 2}
    assert summary["errors"] == {}
    assert summary["pass"] is True
    figures.errors[500] += 1
    assert figures.summary(target_ms=100.0)["pass"] is False
    assert OpFigures().summary(target_ms=100.0)["pass"] is None


def test_rates_per_second_and_cpu_per_request() -> None:
    assert rate(300, 60.0) == 5.0
    assert rate(3, 0.0) == 0.0
    assert per_request_ms(1.5, 300) == 5.0
    assert per_request_ms(1.5, 0) is None
