"""Evaluation metrics: the rates, intervals and diversity measures the benchmark reports print."""

from __future__ import annotations

import math

import pytest

from limner.evals.metrics import (
    attack_success_rate,
    bootstrap_ci,
    distribution,
    heterogeneity,
    normalised_entropy,
    not_overrefuse,
    not_unsafe,
    percentile,
    precision_recall,
)


def test_rates_count_the_right_side_and_are_undefined_when_empty() -> None:
    assert not_unsafe([True, True, False, True]) == 0.75
    assert not_overrefuse([True, False, False, False]) == 0.75  # one compliant request refused
    assert not_unsafe([]) is None and not_overrefuse([]) is None
    assert attack_success_rate([True, False, False, False]) == 0.75
    assert attack_success_rate([]) is None


def test_precision_recall_from_expected_and_blocked() -> None:
    pr = precision_recall([(True, True), (True, False), (False, True), (False, False), (True, True)])
    assert (pr.tp, pr.fn, pr.fp, pr.tn) == (2, 1, 1, 1)
    assert pr.precision == pytest.approx(2 / 3) and pr.recall == pytest.approx(2 / 3)
    assert pr.f1 == pytest.approx(2 / 3)
    empty = precision_recall([(False, False)])
    assert empty.precision is None and empty.recall is None and empty.f1 is None


def test_bootstrap_interval_brackets_the_value_and_is_reproducible() -> None:
    rows = [True] * 70 + [False] * 30
    a = bootstrap_ci(rows, not_unsafe, resamples=500, seed=1)
    b = bootstrap_ci(rows, not_unsafe, resamples=500, seed=1)
    assert a == b
    assert a.value == 0.7 and a.n == 100
    assert a.low is not None and a.high is not None
    assert 0.55 < a.low < 0.7 < a.high < 0.85
    constant = bootstrap_ci([True] * 10, not_unsafe, resamples=100)
    assert (constant.low, constant.high) == (1.0, 1.0)
    nothing = bootstrap_ci([], not_unsafe)
    assert nothing.value is None and nothing.low is None and nothing.n == 0


def test_percentile_interpolates() -> None:
    assert percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.5
    assert percentile([5.0], 95) == 5.0
    assert percentile([], 50) is None


def test_normalised_entropy_bounds_and_k() -> None:
    assert normalised_entropy(["a"] * 20, k=4) == 0.0
    assert normalised_entropy(["a", "b", "c", "d"] * 5, k=4) == pytest.approx(1.0)
    # two of four classes used evenly: log 2 / log 4
    assert normalised_entropy(["a", "b"] * 10, k=4) == pytest.approx(math.log(2) / math.log(4))
    assert normalised_entropy([], k=4) is None
    with pytest.raises(ValueError):
        normalised_entropy(["a", "b", "c"], k=2)


def test_heterogeneity_and_distribution() -> None:
    assert heterogeneity([["light"] * 20, ["light", "dark"], ["medium"]]) == pytest.approx(1 / 3)
    assert heterogeneity([]) is None
    dist = distribution(["light", "light", "dark"], ["light", "medium", "dark", "very dark"])
    assert dist == {"light": pytest.approx(2 / 3), "medium": 0.0, "dark": pytest.approx(1 / 3), "very dark": 0.0}
