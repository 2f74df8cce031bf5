"""SexualMinorsImageClassifier: the min of nudity and child-face evidence; harmless images only."""

from __future__ import annotations

import pytest
from PIL import Image as PILImage

from limner.classifiers.base import Classifier
from limner.classifiers.image.minors import SexualMinorsImageClassifier
from limner.classifiers.image.person import FaceEstimate, PersonAnalysis
from limner.types import Image, Sample


class FixedNsfw:
    def __init__(self, value: float) -> None:
        self.value = value

    def nsfw(self, pil: PILImage.Image) -> float:
        return self.value


class FixedPerson:
    def __init__(self, age: float | None) -> None:
        self.age = age

    def analyse(self, data: bytes) -> PersonAnalysis:
        p_child = 1.0 if self.age is None or self.age < 18 else 0.0
        return PersonAnalysis(0.1, (FaceEstimate((0, 0, 9, 9), 0.8, self.age, 0.1, p_child),))


def test_real_models_on_examples_score_low() -> None:
    clf = SexualMinorsImageClassifier()
    assert isinstance(clf, Classifier)
    for sample, expected in SexualMinorsImageClassifier.examples():
        assert expected == frozenset()
        (score,) = clf.classify(sample)
        assert score.label == "sexual/minors" and score.value < 0.1


@pytest.mark.parametrize(("nsfw", "age", "expected"), [(0.9, 8.0, 0.8), (0.9, 45.0, 0.0), (0.05, 8.0, 0.05)])
def test_needs_both_nudity_and_a_child_face(nsfw: float, age: float, expected: float) -> None:
    clf = SexualMinorsImageClassifier(nsfw=FixedNsfw(nsfw), person=FixedPerson(age))
    sample = SexualMinorsImageClassifier.examples()[0][0]
    (score,) = clf.classify(sample)
    assert score.value == pytest.approx(expected)
    assert "youngest-face child score" in score.rationale


def test_drawn_child_counts_and_unknown_age_is_child() -> None:
    clf = SexualMinorsImageClassifier(nsfw=FixedNsfw(0.7), person=FixedPerson(None))
    (score,) = clf.classify(SexualMinorsImageClassifier.examples()[1][0])
    assert score.value == pytest.approx(0.7)
    assert clf.classify(Sample(image=Image(b""))) == ()
