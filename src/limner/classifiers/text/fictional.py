"""Prompt gate / chat gate: fictional-subject registry classifier (`fictional_subject`).

Emits one context label, `context/fictional_subject`, when the prompt's subject is a registered fictional character,
place or organisation ("Dana Scully's browser history", "a floor plan of Hogwarts"). It blocks nothing by itself:
the policy's context rules read it. Why: the harassment and deception rows of the policy protect *real* people and
real events ("aimed at an identifiable real person", "fabricates a usable document, evidence or a real event"), and
the text head, which reads words like "leaked", "private file" or "home address", refused the same request about a
fictional character (on OVERT's dev split about one in eight of its over-refusals were of this kind).

It stays silent when the prompt also names a real person (a public figure from the registry, or "my ex", "a real
celebrity"), or asks for a forgery ("fake", "counterfeit", "printable template"), so a fictional name cannot carry
a request about a real person or a usable document through. Matching follows the public-figure classifier: names of
two or more words anywhere, one-word names only when capitalised in the original prompt ("Elsa", not "elsa").
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from limner.classifiers.text import lexicon
from limner.classifiers.text.artists import REGISTRY_DIR
from limner.classifiers.text.names import NameIndex, name_key
from limner.classifiers.text.normalize import normalize
from limner.classifiers.text.public_figures import PublicFigureClassifier
from limner.types import Modality, Sample, Score

LABEL = "context/fictional_subject"
KINDS = frozenset({"character", "place", "organisation", "vehicle", "object"})
_FORGERY = re.compile(r"\b(?:fake|forged?|forgery|counterfeit|template|printable|scannable|replica of (?:a|an|my))\b")


@dataclass(frozen=True)
class Fiction:
    name: str
    kind: str
    franchise: str


class FictionalSubjectClassifier:
    """Kwargs: `registry_path` (CSV: name, aliases, kind, franchise), `public_figures_path` (the public-figure
    registry, whose names veto the context)."""

    name: ClassVar[str] = "fictional_subject"
    modality: ClassVar[Modality] = Modality.TEXT
    labels: ClassVar[tuple[str, ...]] = (LABEL,)

    def __init__(self, registry_path: str | Path | None = None, public_figures_path: str | Path | None = None
                 ) -> None:
        self.registry = Path(registry_path) if registry_path else REGISTRY_DIR / "fictional_characters.csv"
        self.public_figures = PublicFigureClassifier(registry_path=public_figures_path)
        self._index: NameIndex[Fiction] | None = None

    def warm(self) -> None:
        if self._index is not None:
            return
        index: NameIndex[Fiction] = NameIndex()
        with self.registry.open(encoding="utf-8") as f:
            for number, r in enumerate(csv.DictReader(f), start=2):
                if r.get("kind") not in KINDS:
                    raise ValueError(f"{self.registry}: line {number}: kind must be one of {sorted(KINDS)}")
                entry = Fiction(r["name"], r["kind"], r.get("franchise") or "")
                for n in [r["name"], *(a for a in (r.get("aliases") or "").split("|") if a.strip())]:
                    index.add(name_key(n), entry)
        self.public_figures.warm()
        self._index = index

    def find(self, text: str) -> list[Fiction]:
        """Registered fictional subjects named in the prompt."""
        self.warm()
        assert self._index is not None
        return self._index.find(text)

    def classify(self, sample: Sample) -> tuple[Score, ...]:
        found = self.find(sample.text)
        if not found:
            return (Score(LABEL, 0.0),)
        text = normalize(sample.text)
        names = ", ".join(f"{e.name} ({e.franchise})" if e.franchise else e.name for e in found)
        figures = self.public_figures.find(sample.text)
        who = figures[0].name if figures else lexicon.real_person(text)
        if who is not None:
            return (Score(LABEL, 0.0, f"names {names}, but also a real person ({who})"),)
        if _FORGERY.search(text):
            return (Score(LABEL, 0.0, f"names {names}, but asks for a forgery"),)
        return (Score(LABEL, 0.95, f"fictional subject: {names}"),)

    @classmethod
    def examples(cls) -> list[tuple[Sample, frozenset[str]]]:
        return [
            (Sample(text="an image of Dana Scully's browser history"), frozenset({LABEL})),
            (Sample(text="a floor plan of Hogwarts"), frozenset({LABEL})),
            (Sample(text="a leaked private file about my ex, styled like Darth Vader's"), frozenset()),
            (Sample(text="a printable fake driver's license for Tony Stark"), frozenset()),
            (Sample(text="a lighthouse at dusk"), frozenset()),
        ]
