"""Nudity classifiers: open_nsfw on harmless images (no sexual imagery is made or stored); NudeNet stays optional."""

from __future__ import annotations

import importlib.util

import pytest

from limner.classifiers.base import Classifier, ClassifierUnavailable
from limner.classifiers.image.nudity import NudeNetClassifier, OpenNsfwClassifier
from limner.classifiers.image.synthetic import encode, procedural_scene, text_image
from limner.types import Image, Sample


@pytest.fixture(scope="module")
def nsfw() -> OpenNsfwClassifier:
    return OpenNsfwClassifier()


def test_protocol_and_examples(nsfw: OpenNsfwClassifier) -> None:
    assert isinstance(nsfw, Classifier)
    for sample, expected in OpenNsfwClassifier.examples():
        assert expected == frozenset()
        (score,) = nsfw.classify(sample)
        assert score.label == "sexual" and 0.0 <= score.value <= 1.0 and "open_nsfw" in score.rationale
        assert nsfw.classify(sample) == (score,)  # deterministic


def test_harmless_renders_score_low(nsfw: OpenNsfwClassifier) -> None:
    for im in (procedural_scene(11), text_image("HELLO")):
        (score,) = nsfw.classify(Sample(image=Image(encode(im))))
        assert score.value < 0.2


def test_no_image_no_scores(nsfw: OpenNsfwClassifier) -> None:
    assert nsfw.classify(Sample(text="nothing to see")) == ()


@pytest.mark.skipif(importlib.util.find_spec("nudenet") is not None, reason="nudenet is installed here")
def test_nudenet_missing_raises_with_install_hint() -> None:
    clf = NudeNetClassifier()
    with pytest.raises(ClassifierUnavailable, match="AGPL"):
        clf.classify(Sample(image=Image(encode(procedural_scene(1)))))
