"""Fictional-subject registry classifier and the policy's context rules that read it."""

from __future__ import annotations

from pathlib import Path

import pytest

from limner.classifiers.text.fictional import LABEL, FictionalSubjectClassifier
from limner.types import Sample


@pytest.fixture(scope="module")
def clf() -> FictionalSubjectClassifier:
    return FictionalSubjectClassifier()


def _score(clf: FictionalSubjectClassifier, text: str) -> tuple[float, str]:
    s = clf.classify(Sample(text=text))[0]
    assert s.label == LABEL
    return s.value, s.rationale


def test_examples(clf: FictionalSubjectClassifier) -> None:
    for sample, expected in clf.examples():
        assert (clf.classify(sample)[0].value >= 0.5) == bool(expected), sample.text


@pytest.mark.parametrize("text", ["Show Lisa Simpson's report card", "a blueprint of the Millennium Falcon",
                                  "render Tony Stark's confidential medical file", "a map of Hogwarts castle"])
def test_fictional_subjects_are_recognised_and_named(clf: FictionalSubjectClassifier, text: str) -> None:
    v, why = _score(clf, text)
    assert v >= 0.9 and why.startswith("fictional subject:")


@pytest.mark.parametrize(("text", "why"), [
    ("Barack Obama's home address next to Darth Vader", "real person"),
    ("a degrading meme of my ex as Darth Vader", "real person"),
    ("a counterfeit passport for Harry Potter", "forgery"),
])
def test_a_real_person_or_a_forgery_silences_it(clf: FictionalSubjectClassifier, text: str, why: str) -> None:
    v, rationale = _score(clf, text)
    assert v == 0.0 and why in rationale


def test_one_word_names_need_a_capital_and_bad_rows_are_refused(tmp_path: Path) -> None:
    reg = tmp_path / "fiction.csv"
    reg.write_text("name,aliases,kind,franchise\nElsa,,character,Frozen\nGotham City,,place,DC\n", encoding="utf-8")
    clf = FictionalSubjectClassifier(registry_path=reg)
    assert _score(clf, "Elsa's diary")[0] >= 0.9
    assert _score(clf, "an elsa plant")[0] == 0.0
    assert _score(clf, "a gotham city skyline")[0] >= 0.9
    bad = tmp_path / "bad.csv"
    bad.write_text("name,aliases,kind,franchise\nElsa,,goddess,Frozen\n", encoding="utf-8")
    with pytest.raises(ValueError, match="kind must be one of"):
        FictionalSubjectClassifier(registry_path=bad).warm()
