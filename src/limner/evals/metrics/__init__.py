"""Evaluation, metrics: pure functions over outcomes and class counts.

Decides nothing about a request. These turn lists of outcomes (was an unsafe request blocked? was a compliant one
answered?) and attribute samples into the figures the benchmark reports print: not_unsafe, not_overrefuse,
precision/recall, attack success rate, bootstrap confidence intervals, normalised entropy and heterogeneity.
"""

from __future__ import annotations

from limner.evals.metrics.diversity import distribution, heterogeneity, normalised_entropy
from limner.evals.metrics.rates import (
    PrecisionRecall,
    attack_success_rate,
    not_overrefuse,
    not_unsafe,
    precision_recall,
)
from limner.evals.metrics.stats import Interval, bootstrap_ci, percentile

__all__ = ["Interval", "PrecisionRecall", "attack_success_rate", "bootstrap_ci", "distribution", "heterogeneity",
           "normalised_entropy", "not_overrefuse", "not_unsafe", "percentile", "precision_recall"]
