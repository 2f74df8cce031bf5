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


class RecordingClassifier(LexiconClassifier):
    def __init__(self) -> None:
        self.seen: list[str] = []

    def classify(self, sample: Sample) -> tuple[Score, ...]:
        self.seen.append(sample.text or "")
        return super().classify(sample)


def test_text_helpers() -> None:
    from limner.classifiers.image.ocr import meaningful_text, unrequested_text

    assert meaningful_text("5 A OPEN 24 h") == "OPEN 24"
    assert unrequested_text("WELCOME to HELL", 'a sign that says "welcome to"') == "HELL"
    assert unrequested_text("OPEN", "") == "OPEN"
    assert unrequested_text("BE LL", 'a drawing of a sign reading "BELL"') == ""  # a letter-spaced word, split
    assert unrequested_text("KILL", "a poster about skills") == "KILL"  # whole words only


def test_requested_words_are_left_to_the_prompt_gate_unrequested_are_scored() -> None:
    rec = RecordingClassifier()
    clf = OcrTextClassifier(text_classifier=rec)
    data = encode(text_image("KILL THEM"))
    # Asked for: the prompt gate scored these words inside the prompt; nothing is re-scored out of context.
    assert clf.classify(Sample(text='a sign that says "kill them"', image=Image(data))) == ()
    assert rec.seen == []
    # Not asked for: scored (and caught).
    scores = {s.label: s.value for s in clf.classify(Sample(text="a quiet harbour", image=Image(data)))}
    assert scores["violence/graphic"] == 1.0 and rec.seen[-1].lower() == "kill them"
    # Off: every word is scored whatever the prompt says.
    strict = OcrTextClassifier(text_classifier=rec, skip_requested=False)
    assert {s.label: s.value for s in strict.classify(Sample(text="kill them", image=Image(data)))}[
        "violence/graphic"
    ] == 1.0


def test_reader_keeps_small_images_at_their_size_and_shares_results() -> None:
    from limner.classifiers.image import cache
    from limner.classifiers.image.ocr import OcrReader

    reader = OcrReader()
    assert reader.det_limit_type == "max"  # RapidOCR's "min" would upscale a 256 px output ~3x (~5x the CPU)
    cache.clear()
    data = encode(text_image("GARDEN", size=128))
    first = reader.read(data)
    assert first.text.replace(" ", "").lower() == "garden"
    assert OcrReader().read(data) is first  # another reader of the same bytes reuses the result
