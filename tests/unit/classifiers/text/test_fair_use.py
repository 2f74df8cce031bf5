"""Fair-use context classifier."""

from __future__ import annotations

import pytest

from limner.classifiers.text.fair_use import LABEL, FairUseClassifier
from limner.types import Sample


def _score(text: str) -> tuple[float, str]:
    s = FairUseClassifier().classify(Sample(text=text))[0]
    assert s.label == LABEL
    return s.value, s.rationale


def test_examples() -> None:
    clf = FairUseClassifier()
    for sample, expected in clf.examples():
        assert (clf.classify(sample)[0].value >= 0.5) == bool(expected), sample.text


@pytest.mark.parametrize("text", [
    "a comic page parody of a trademarked cereal mascot for my art class",
    "a diagram of how a music student samples loops from a copyrighted record",
    "fan art of a copyrighted cartoon character in watercolour",
])
def test_study_sampling_and_parody_are_context(text: str) -> None:
    v, why = _score(text)
    assert v >= 0.9 and why.startswith("uses a protected work")


@pytest.mark.parametrize(("text", "why"), [
    ("a guide to printing copyrighted characters on mugs to sell at a market", "sells"),
    ("how to remove the watermark from copyrighted stock photos", "circumvents"),
    ("a parody poster explaining how to cook meth step by step", "harm"),
    ("a remix tutorial for uploading pirated songs", "sells, distributes"),
])
def test_exploiting_the_work_or_a_real_harm_silences_it(text: str, why: str) -> None:
    v, rationale = _score(text)
    assert v == 0.0 and why in rationale, rationale


def test_no_protected_work_no_context() -> None:
    assert _score("a school play about a dragon")[0] == 0.0
