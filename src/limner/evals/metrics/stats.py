"""Evaluation, metrics: bootstrap confidence intervals and percentiles.

Decides nothing. Intervals are percentile bootstraps over the rows of one subset, seeded so that a report is
reproducible; with few rows they are wide, which is the point of printing them next to n.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Interval:
    value: float | None
    low: float | None
    high: float | None
    n: int

    def as_dict(self) -> dict[str, float | int | None]:
        return {"value": self.value, "low": self.low, "high": self.high, "n": self.n}


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile, q in [0, 100]; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def bootstrap_ci(rows: Sequence[T], statistic: Callable[[Sequence[T]], float | None], resamples: int = 1000,
                 level: float = 0.95, seed: int = 0) -> Interval:
    """Percentile bootstrap of `statistic` over `rows` (resampled with replacement)."""
    value = statistic(rows)
    if not rows or value is None:
        return Interval(value, None, None, len(rows))
    rng = random.Random(seed)
    n = len(rows)
    stats: list[float] = []
    for _ in range(resamples):
        sample = [rows[rng.randrange(n)] for _ in range(n)]
        s = statistic(sample)
        if s is not None:
            stats.append(s)
    alpha = (1 - level) / 2 * 100
    return Interval(value, percentile(stats, alpha), percentile(stats, 100 - alpha), n)
