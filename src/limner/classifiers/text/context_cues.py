"""Prompt gate / chat gate: the shape shared by cue-and-veto context classifiers (`public_record`, `fair_use`,
`protective_education`, `recovery_support`, `game_world`).

Such a classifier emits one `context/*` label at `value` when its cue is in the (normalised, lower-cased) prompt
and none of its vetoes is in it or in an earlier user turn; it blocks nothing by itself, the policy's context rules
read it. Every silence names the veto that caused it, so a reviewer sees why a context did not lift a block.
"""

from __future__ import annotations

import re
from typing import ClassVar

from limner.classifiers.text.normalize import normalize
from limner.types import Modality, Role, Sample, Score


class CueContextClassifier:
    """Subclasses set `name`, `labels` (one context label), `cue`, `vetoes` ((pattern, why) pairs, tried in order),
    `fired` (the rationale, with `{cue}`) and may override `veto_text` for a check that is not one pattern."""

    name: ClassVar[str]
    labels: ClassVar[tuple[str, ...]]
    modality: ClassVar[Modality] = Modality.TEXT
    cue: ClassVar[re.Pattern[str]]
    vetoes: ClassVar[tuple[tuple[re.Pattern[str], str], ...]]
    fired: ClassVar[str]
    value: ClassVar[float] = 0.9
    # Contexts for short requests (an idiom, a knowledge question): a longer prompt around the cue is a scene,
    # which the text head reads. 0 = any length.
    max_words: ClassVar[int] = 0

    def warm(self) -> None:
        return None

    def veto_text(self, text: str) -> str | None:
        """Why the context is silent beyond the veto patterns (None: it is not)."""
        return None

    def classify(self, sample: Sample) -> tuple[Score, ...]:
        label = self.labels[0]
        text = normalize(sample.text).lower()
        cue = self.cue.search(text)
        if cue is None:
            return (Score(label, 0.0),)
        n_words = len(text.split())
        # Vetoes read every user turn: "make it an awareness poster" must not lift what an earlier turn asked for.
        earlier = [normalize(t.content).lower() for t in sample.turns if t.role == Role.USER]
        text = "\n".join([*earlier, text]) if earlier else text
        for pattern, why in self.vetoes:
            found = pattern.search(text)
            if found:
                return (Score(label, 0.0, f"'{cue.group(0)}', but {why} ('{found.group(0)}')"),)
        if self.max_words and n_words > self.max_words:
            return (Score(label, 0.0, f"'{cue.group(0)}', but it is longer than a short request "
                                      f"({self.max_words} words)"),)
        why_not = self.veto_text(text)
        if why_not is not None:
            return (Score(label, 0.0, f"'{cue.group(0)}', but {why_not}"),)
        return (Score(label, self.value, self.fired.format(cue=cue.group(0))),)
