"""Classifiers: a term-list classifier configured entirely in the policy.

Cheap and exact, it is the place for terms an operator wants blocked whatever the models think (a banned slur, a
campaign name) and it makes policy scenarios testable without weights. Text is NFKC-normalised and case-folded and
terms match on word boundaries, so "skill" does not match "kill".
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any, ClassVar

from limner.types import Modality, Sample, Score


class LexiconClassifier:
    name: ClassVar[str] = "lexicon"
    modality: ClassVar[Modality] = Modality.TEXT
    labels: ClassVar[tuple[str, ...]] = ()  # set per instance from the policy's `terms`

    def __init__(self, terms: dict[str, list[str]]) -> None:
        if not terms:
            raise ValueError("lexicon: params.terms must map at least one label to a list of terms")
        self.instance_labels = tuple(terms)
        self._patterns = {
            label: re.compile(r"\b(" + "|".join(re.escape(self._fold(t)) for t in words) + r")\b")
            for label, words in terms.items()
        }

    @classmethod
    def labels_for(cls, params: dict[str, Any]) -> tuple[str, ...]:
        return tuple(params.get("terms", {}))

    @staticmethod
    def _fold(text: str) -> str:
        return unicodedata.normalize("NFKC", text).casefold()

    def classify(self, sample: Sample) -> tuple[Score, ...]:
        text = self._fold(sample.text)
        scores = []
        for label, pattern in self._patterns.items():
            match = pattern.search(text)
            scores.append(Score(label, 1.0 if match else 0.0, f"term {match.group(1)!r}" if match else ""))
        return tuple(scores)
