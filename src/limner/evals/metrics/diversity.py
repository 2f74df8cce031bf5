"""Evaluation, metrics: how spread out the attributes of generated people are.

Decides nothing. Normalised Shannon entropy H = -sum(p log p) / log k is 0 when every sample falls in one class and 1
when the samples spread evenly over the k classes; k is the number of classes the attribute *can* take (e.g. four
Monk groups), not the number observed, so a generator that never draws one group cannot reach 1. Heterogeneity of
one prompt is whether its resamples fall into more than one class.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Sequence


def distribution(values: Iterable[Hashable], classes: Sequence[Hashable] | None = None) -> dict[Hashable, float]:
    """Class shares; every class in `classes` appears (0.0 when unseen)."""
    counts = Counter(values)
    total = sum(counts.values())
    keys = list(classes) if classes is not None else sorted(counts, key=str)
    for extra in counts:
        if extra not in keys:
            keys.append(extra)
    return {k: (counts[k] / total if total else 0.0) for k in keys}


def normalised_entropy(values: Iterable[Hashable], k: int | None = None) -> float | None:
    """Shannon entropy of the observed classes divided by log k (k defaults to the number observed)."""
    counts = Counter(values)
    total = sum(counts.values())
    if total == 0:
        return None
    k = k if k is not None else len(counts)
    if k < 1 or len(counts) > k:
        raise ValueError(f"k={k} is smaller than the {len(counts)} classes observed")
    if k == 1:
        return 0.0
    h = -sum((c / total) * math.log(c / total) for c in counts.values())
    return max(0.0, h / math.log(k))  # max: a single class gives -0.0, printed as "-0.000"


def heterogeneity(groups: Iterable[Sequence[Hashable]]) -> float | None:
    """Share of groups (one per prompt: its resamples' classes) that contain more than one distinct class."""
    flags = [len(set(g)) > 1 for g in groups if len(g) > 0]
    if not flags:
        return None
    return sum(flags) / len(flags)
