"""OcrTextClassifier: rendered words are read with the bundled RapidOCR models and scored by a text classifier."""

from __future__ import annotations

import pytest

from limner.classifiers.base import Classifier, ClassifierUnavailable
from limner.classifiers.image.ocr import OcrTextClassifier
from limner.classifiers.image.synthetic import encode, procedural_scene, text_image
from limner.types import Image, Sample, Score

LEXICON = {"violence/graphic": ("kill", "gore"), "hate": ("vermin",), "extremism": ("jihad",)}


class LexiconClassifier:
    """Test double for the text head: flags a few words per label."""

    def classify(self, sample: Sample) -> tuple[Score, ...]:
        words = sample.text.lower().split()
        scores = [
            Score(label, 1.0 if any(w in words for w in cues) else 0.0, f"lexicon {label}")
            for label, cues in LEXICON.items()
        ]
        return (*scores, Score("context/artistic", 0.0))  # the last one is dropped: not a content label


@pytest.fixture(scope="module")
def clf() -> OcrTextClassifier:
    return OcrTextClassifier(text_classifier=LexiconClassifier())


def test_protocol_and_examples(clf: OcrTextClassifier) -> None:
    assert isinstance(clf, Classifier)
    for sample, _ in OcrTextClassifier.examples():
        for s in clf.classify(sample):
            assert s.label in OcrTextClassifier.labels and 0.0 <= s.value <= 1.0


def test_unsafe_rendered_words_are_flagged_with_text_in_rationale(clf: OcrTextClassifier) -> None:
    scores = {s.label: s for s in clf.classify(Sample(image=Image(encode(text_image("KILL THEM ALL")))))}
    assert scores["violence/graphic"].value == 1.0
    assert 'ocr text "KILL THEM ALL"' in scores["violence/graphic"].rationale
    assert scores["hate"].value == 0.0
    assert "context/artistic" not in scores


def test_no_text_no_scores(clf: OcrTextClassifier) -> None:
    assert clf.classify(Sample(image=Image(encode(procedural_scene(4))))) == ()


def test_default_text_head_is_built_lazily_and_failure_is_loud(monkeypatch: pytest.MonkeyPatch) -> None:
    import limner.classifiers.image.ocr as ocr_module

    clf = OcrTextClassifier()
    assert clf.classify(Sample(image=Image(encode(procedural_scene(4))))) == ()  # no text: the head is never built
    assert clf.text_classifier is None

    def broken() -> None:
        raise ClassifierUnavailable("no head")

    monkeypatch.setattr(ocr_module, "default_text_classifier", broken)
    with pytest.raises(ClassifierUnavailable):
        clf.classify(Sample(image=Image(encode(text_image("HELLO")))))
