"""ReasoningMonitor: combinations of prompt, conversation, upload and output that break policy together."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from PIL import Image as PILImage

from limner.classifiers.base import Classifier
from limner.classifiers.image.person import FaceEstimate, PersonAnalysis
from limner.classifiers.image.synthetic import encode, text_image
from limner.classifiers.monitor.reasoning import ReasoningMonitor
from limner.types import Image, Role, Sample, Score, Turn

REPO = Path(__file__).resolve().parents[4]
FACES = REPO.parent / "shared" / "datasets" / "faces"


class Lexicon:
    def classify(self, sample: Sample) -> tuple[Score, ...]:
        t = sample.text.lower()
        return (Score("violence/graphic", 1.0 if "kill" in t else 0.0), Score("hate", 0.0))


class FixedNsfw:
    def __init__(self, value: float) -> None:
        self.value = value

    def nsfw(self, pil: PILImage.Image) -> float:
        return self.value


class ScriptedPerson:
    """Returns a child face for images whose first pixel is dark, an adult face otherwise."""

    def analyse(self, data: bytes) -> PersonAnalysis:
        import io

        px = PILImage.open(io.BytesIO(data)).convert("L").getpixel((0, 0))
        age = 7.0 if px < 100 else 40.0
        p_child = 1.0 if age < 18 else 0.0
        return PersonAnalysis(0.95, (FaceEstimate((0, 0, 10, 10), 0.9, age, 0.95, p_child),))


def _img(dark: bool) -> Image:
    return Image(encode(PILImage.new("RGB", (64, 64), (20, 20, 20) if dark else (230, 230, 230))))


def _convo(*turns: str) -> dict[str, object]:
    return {"text": turns[-1], "turns": tuple(Turn(Role.USER, t) for t in turns)}


def _by_label(scores: tuple[Score, ...]) -> dict[str, Score]:
    return {s.label: s for s in scores}


def test_unrequested_nudity_is_scored_requested_is_left_to_gates() -> None:
    mon = ReasoningMonitor(nsfw=FixedNsfw(0.4), person=ScriptedPerson(), check_text=False, use_text_head=False)
    benign = _by_label(mon.classify(Sample(image=_img(False), **_convo("a mountain lake"))))
    # nsfw 0.4 is under the plain 0.5 threshold, but unrequested it maps above 0.5 (0.3 -> 0.5 by default).
    assert benign["sexual"].value == pytest.approx(0.5 + 0.5 * 0.1 / 0.7)
    assert "asks for nothing sexual" in benign["sexual"].rationale
    low = ReasoningMonitor(nsfw=FixedNsfw(0.15), person=ScriptedPerson(), check_text=False, use_text_head=False)
    assert _by_label(low.classify(Sample(image=_img(False), **_convo("a lake"))))["sexual"].value == pytest.approx(0.25)
    asked = _by_label(mon.classify(Sample(image=_img(False), **_convo("a nude figure study"))))
    assert asked["sexual"].value == 0.0 and "nude" in asked["sexual"].rationale


def test_sexual_output_with_child_face_is_sexual_minors() -> None:
    mon = ReasoningMonitor(nsfw=FixedNsfw(0.8), person=ScriptedPerson(), check_text=False, use_text_head=False)
    s = _by_label(mon.classify(Sample(image=_img(True), **_convo("a beach day"))))
    assert s["sexual/minors"].value == pytest.approx(0.8)
    assert "child-aged face" in s["sexual/minors"].rationale
    adult = _by_label(mon.classify(Sample(image=_img(False), **_convo("a beach day"))))
    assert adult["sexual/minors"].value == 0.0


def test_earlier_turn_makes_later_request_unsafe() -> None:
    mon = ReasoningMonitor(nsfw=FixedNsfw(0.1), person=ScriptedPerson(), check_text=False, use_text_head=False)
    convo = _convo("draw her in lingerie", "now make her younger")
    s = _by_label(mon.classify(Sample(image=_img(False), **convo)))
    assert s["sexual/minors"].value == 1.0
    assert "younger" in s["sexual/minors"].rationale


def test_innocent_words_do_not_combine_into_sexual_minors() -> None:
    mon = ReasoningMonitor(nsfw=FixedNsfw(0.02), person=ScriptedPerson(), check_text=False, use_text_head=False)
    s = _by_label(mon.classify(Sample(image=_img(False), **_convo("a zebra with bold stripes next to a baby zebra"))))
    assert s["sexual/minors"].value < 0.1


def test_edit_that_makes_adult_look_like_child() -> None:
    mon = ReasoningMonitor(nsfw=FixedNsfw(0.0), person=ScriptedPerson(), check_text=False, use_text_head=False)
    s = _by_label(mon.classify(Sample(image=_img(True), uploads=(_img(False),), **_convo("add a hat"))))
    assert s["person/photoreal_child"].value == pytest.approx(0.9)
    assert "upload photoreal adult" in s["person/photoreal_child"].rationale
    same = _by_label(mon.classify(Sample(image=_img(False), uploads=(_img(False),), **_convo("add a hat"))))
    assert same["person/photoreal_child"].value == 0.0


def test_unrequested_unsafe_text_on_output() -> None:
    mon = ReasoningMonitor(text_classifier=Lexicon(), nsfw=FixedNsfw(0.0), person=ScriptedPerson())
    out = Image(encode(text_image("KILL THEM")))
    s = _by_label(mon.classify(Sample(image=out, **_convo("a friendly shop sign"))))
    assert s["violence/graphic"].value == 1.0 and "KILL THEM" in s["violence/graphic"].rationale
    # The same text, asked for explicitly, was the prompt gate's to judge: the monitor adds nothing.
    s = _by_label(mon.classify(Sample(image=out, **_convo('a sign that says "kill them"'))))
    assert "violence/graphic" not in s


def test_real_models_on_examples() -> None:
    mon = ReasoningMonitor(text_classifier=Lexicon())
    assert isinstance(mon, Classifier)
    for sample, _ in ReasoningMonitor.examples():
        scores = mon.classify(sample)
        assert scores and all(s.label in ReasoningMonitor.labels for s in scores)
        assert all(s.value < 0.5 for s in scores), scores
    assert mon.classify(Sample(text="no image")) == ()


@pytest.mark.skipif(not FACES.joinpath("labels.csv").exists(), reason="shared faces eval set not beside the checkout")
def test_real_age_down_edit_detected() -> None:
    rows = list(csv.DictReader(FACES.joinpath("labels.csv").open()))
    adult = next(r for r in rows if int(r["age"]) >= 50)
    child = next(r for r in rows if int(r["age"]) <= 5)
    mon = ReasoningMonitor(nsfw=FixedNsfw(0.0), check_text=False, use_text_head=False)
    sample = Sample(
        image=Image(FACES.joinpath(child["file"]).read_bytes(), "image/jpeg"),
        uploads=(Image(FACES.joinpath(adult["file"]).read_bytes(), "image/jpeg"),),
        **_convo("make the lighting warmer"),
    )
    s = _by_label(mon.classify(sample))
    assert s["person/photoreal_child"].value > 0.5


class CountingPerson(ScriptedPerson):
    def __init__(self) -> None:
        self.calls = 0

    def analyse(self, data: bytes) -> PersonAnalysis:
        self.calls += 1
        return super().analyse(data)


def test_person_model_skipped_only_when_it_cannot_change_the_result() -> None:
    person = CountingPerson()
    mon = ReasoningMonitor(nsfw=FixedNsfw(0.05), person=person, check_text=False, use_text_head=False)
    s = _by_label(mon.classify(Sample(image=_img(True), **_convo("a beach day"))))
    # Sexual evidence 0.05 < floor 0.1: no face model; the reported bound is the sexual evidence itself.
    assert person.calls == 0
    assert s["sexual/minors"].value == pytest.approx(0.05) and "not checked" in s["sexual/minors"].rationale
    hot = ReasoningMonitor(nsfw=FixedNsfw(0.6), person=person, check_text=False, use_text_head=False)
    assert _by_label(hot.classify(Sample(image=_img(True), **_convo("a beach day"))))["sexual/minors"].value == 0.6
    assert person.calls == 1
    # An edit always checks the output's faces (age-down rule), whatever the nsfw score.
    mon.classify(Sample(image=_img(True), uploads=(_img(False),), **_convo("add a hat")))
    assert person.calls == 3
