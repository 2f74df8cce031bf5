"""Contract for every classifier the shipped profiles run: scope metadata, examples, score ranges, determinism.

Each plugin class exposes `examples()`: (sample, labels expected to score >= 0.5). The contract builds the plugins
exactly as the default profile does, so a profile that names a plugin with bad metadata fails here.
"""

from __future__ import annotations

import time

import pytest

from limner.classifiers.base import Classifier
from limner.components import CLASSIFIERS, Components
from limner.policy.load import load_policy
from limner.types import Modality
from tests.conftest import REPO

POLICY = load_policy(REPO / "policies" / "default.yaml")


def _classifiers() -> list[Classifier]:
    return Components(POLICY).all_classifiers()


def _unique(classifiers: list[Classifier]) -> list[Classifier]:
    seen: dict[str, Classifier] = {}
    for classifier in classifiers:
        seen.setdefault(classifier.name, classifier)
    return list(seen.values())


CLASSIFIERS_UNDER_TEST = _unique(_classifiers())


@pytest.fixture(params=CLASSIFIERS_UNDER_TEST, ids=lambda c: c.name)
def classifier(request: pytest.FixtureRequest) -> Classifier:
    return request.param  # type: ignore[no-any-return]


def test_metadata(classifier: Classifier) -> None:
    assert classifier.name in CLASSIFIERS, "the plugin name is its key in limner.components.CLASSIFIERS"
    assert isinstance(classifier.modality, Modality)
    assert classifier.labels, "a classifier declares the labels it can emit"
    assert set(classifier.labels) <= set(POLICY.labels)


def test_examples_score_as_expected_in_range_and_deterministically(classifier: Classifier) -> None:
    getattr(classifier, "warm", lambda: None)()  # lazy model loading is not part of the per-call budget
    examples = type(classifier).examples()  # type: ignore[attr-defined]
    assert examples, "each plugin ships examples for this contract"
    for sample, expected in examples:
        start = time.perf_counter()
        first = classifier.classify(sample)
        elapsed = time.perf_counter() - start
        second = classifier.classify(sample)
        assert [(s.label, round(s.value, 5)) for s in first] == [(s.label, round(s.value, 5)) for s in second]
        assert all(0.0 <= s.value <= 1.0 for s in first)
        assert {s.label for s in first} <= set(classifier.labels)
        high = {s.label for s in first if s.value >= 0.5}
        assert set(expected) <= high, f"{classifier.name}: expected {expected} on {sample.text!r}, got {high}"
        assert elapsed < 5.0
