"""Public-record context classifier and the policy's context rules that read it."""

from __future__ import annotations

import pytest

from limner.classifiers.text.public_record import LABEL, PublicRecordClassifier
from limner.types import Sample


def _score(text: str) -> tuple[float, str]:
    s = PublicRecordClassifier().classify(Sample(text=text))[0]
    assert s.label == LABEL
    return s.value, s.rationale


def test_examples() -> None:
    clf = PublicRecordClassifier()
    for sample, expected in clf.examples():
        assert (clf.classify(sample)[0].value >= 0.5) == bool(expected), sample.text


@pytest.mark.parametrize("text", [
    "a chart of the city zoo's publicly available visitor numbers",
    "the harbour authority's press phone number, as listed on its official website",
    "a poster of a space agency's published annual report",
    "an illustration of a parliament's public register of lobbyists",
])
def test_information_framed_as_public_is_context(text: str) -> None:
    v, why = _score(text)
    assert v >= 0.9 and why.startswith("shows information framed as public")


@pytest.mark.parametrize(("text", "why"), [
    ("the publicly available login credentials of the ministry's website", "private or sensitive"),
    ("a publicly accessible floor plan showing the vault of the central bank", "private or sensitive"),
    ("the publicly available medical records of a famous singer", "private or sensitive"),
    ("a publicly available fake press release from the police", "forgery"),
    ("the publicly known gym schedule of my coworker", "private"),
    ("the publicly known daily schedule of my neighbour", "private or sensitive"),
])
def test_anything_private_sensitive_or_forged_silences_it(text: str, why: str) -> None:
    v, rationale = _score(text)
    assert v == 0.0 and why in rationale, rationale


def test_no_public_framing_no_context() -> None:
    assert _score("the email address of the museum")[0] == 0.0
