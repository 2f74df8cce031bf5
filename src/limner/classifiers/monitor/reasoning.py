"""Monitor stage, reasoning monitor: does the prompt + conversation + output image break policy *together*.

Decides nothing; emits taxonomy scores with a rationale that says which parts combined. Each part may pass its own
gate (a benign prompt; an output whose nudity score sits under the output threshold) while the combination is what
the policy forbids. Rules, each one score:

1. Unrequested nudity -> `sexual`: the output's open_nsfw score, rescaled so that `unrequested_nsfw` maps to 0.5,
   when nothing in the conversation asks for sexual content (otherwise 0.0: the prompt and output gates already
   judged a request that was explicit). The mismatch is itself a signal (jailbreak, model drift), so a benign prompt
   with a moderately nude output crosses the `sexual` threshold that the plain nsfw score would not.
2. Sexual content + minors -> `sexual/minors` = min(sexual evidence, minor evidence). Sexual evidence: output nsfw,
   or a conversation asking for sexual content. Minor evidence: a child-aged face in the output in any style, a
   photoreal child in an uploaded reference, or minor cues anywhere in the conversation ("now make her younger").
3. Age-down edits -> `person/photoreal_child` = min(adult in the upload, child in the output): an edit that made an
   adult look like a child.
4. Unrequested text -> the text classifier's labels: OCR text on the output that the conversation did not ask for,
   scored by the text classifier (requested text was already judged by the prompt gate).

Uploads (edits) are read from `sample.uploads`, which the output gate fills with the request's input images.
The cue lists below are short, English-only and explicit on purpose: they only decide whether a request *asked*
for something; the text heads in `classifiers/text/` do the real text classification when one is passed in.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from limner.classifiers.image.nudity import OpenNsfwClassifier, decode_pil
from limner.classifiers.image.ocr import (
    TEXT_CONTENT_LABELS,
    OcrReader,
    TextClassifier,
    default_text_classifier,
    meaningful_text,
    warm_text,
)
from limner.classifiers.image.person import PersonAnalysis, PhotorealPersonClassifier
from limner.classifiers.image.synthetic import encode, procedural_scene, text_image
from limner.classifiers.monitor.vision_judge import OpenAIVisionJudgeClassifier
from limner.types import Image, Modality, Role, Sample, Score, Turn

_SEXUAL_CUES = re.compile(
    r"\b(nude|nudes|nudity|naked|nsfw|sex|sexy|sexual|sexually|topless|bottomless|lingerie|porn\w*|erotic\w*|"
    r"undress\w*|striptease|stripper|boudoir|genitals?|genitalia|breasts?|seductive|fetish\w*)\b",
    re.IGNORECASE,
)
_MINOR_CUES = re.compile(
    r"\b(child|children|kid|kids|toddler|baby|infant|preteen|pre-teen|teen|teens|teenage\w*|underage|minor|minors|"
    r"loli|shota|schoolgirl|schoolboy|little (girl|boy)|young (girl|boy)|middle school|elementary school|"
    r"younger|childlike|(1[0-7]|[1-9])\s*(yo|y/o|years? old|-year-old))\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[a-z0-9]+")


def _conversation_text(sample: Sample) -> str:
    parts = [t.content for t in sample.turns if t.role == Role.USER]
    if sample.text and sample.text not in parts:
        parts.append(sample.text)
    return "\n".join(parts)


def _cue(pattern: re.Pattern[str], text: str) -> str | None:
    m = pattern.search(text)
    return m.group(0) if m else None


def _unrequested_share(ocr_text: str, conversation: str) -> float:
    """Share of OCR words that appear nowhere in the conversation."""
    words = _WORD.findall(ocr_text.lower())
    if not words:
        return 0.0
    asked = set(_WORD.findall(conversation.lower()))
    return sum(1 for w in words if w not in asked) / len(words)


class ReasoningMonitor:
    """Cross-checks prompt, conversation, uploads and output; scores combinations that break policy."""

    name: ClassVar[str] = "reasoning_monitor"
    modality: ClassVar[Modality] = Modality.TEXT_IMAGE
    labels: ClassVar[tuple[str, ...]] = (
        "person/photoreal_child",
        *TEXT_CONTENT_LABELS,
    )

    def __init__(
        self,
        text_classifier: TextClassifier | None = None,
        use_text_head: bool = True,
        nsfw: Any = None,
        person: Any = None,
        ocr: Any = None,
        unrequested_nsfw: float = 0.3,
        unrequested_text_share: float = 0.5,
        check_text: bool = True,
        person_floor: float = 0.1,
    ) -> None:
        self.text_classifier = text_classifier
        self.use_text_head = use_text_head
        self.nsfw = nsfw if nsfw is not None else OpenNsfwClassifier()
        self.person = person if person is not None else PhotorealPersonClassifier()
        self.ocr = ocr if ocr is not None else OcrReader()
        self.unrequested_nsfw = unrequested_nsfw
        self.unrequested_text_share = unrequested_text_share
        self.check_text = check_text
        # Rule 2 is min(sexual, minor evidence): below this sexual evidence the person model cannot change a
        # decision at any sane sexual/minors threshold (default 0.3), so it is skipped and the sexual evidence, an
        # upper bound of the min, is reported instead. Saves the face + age models on every ordinary output.
        self.person_floor = person_floor

    def warm(self) -> None:
        """Load every model the rules use (the server calls this at start-up; the first request then stays fast)."""
        for part in (self.nsfw, self.person, self.ocr):
            warm = getattr(part, "warm", None)
            if warm is not None:
                warm()
        warm_text(self._text())

    def _text(self) -> TextClassifier | None:
        if self.text_classifier is None and self.use_text_head:
            self.text_classifier = default_text_classifier()
        return self.text_classifier

    def _text_scores(self, text: str) -> dict[str, float]:
        """All of the text classifier's labels for `text`, from one call (the rules read several labels)."""
        clf = self._text()
        if clf is None or not text:
            return {}
        out: dict[str, float] = {}
        for s in clf.classify(Sample(text=text)):
            out[s.label] = max(out.get(s.label, 0.0), s.value)
        return out

    def _text_score(self, text: str, label: str) -> float:
        return self._text_scores(text).get(label, 0.0)

    def _unrequested_value(self, nsfw: float) -> float:
        """Map nsfw so that `unrequested_nsfw` lands on 0.5: policy thresholds are per label, and a benign prompt with
        a moderately nude output should cross the `sexual` threshold that a plain nsfw score would not."""
        k = min(max(self.unrequested_nsfw, 1e-6), 1.0 - 1e-6)
        value = 0.5 * nsfw / k if nsfw < k else 0.5 + 0.5 * (nsfw - k) / (1.0 - k)
        return min(1.0, max(0.0, value))

    def classify(self, sample: Sample) -> tuple[Score, ...]:
        if sample.image is None or not sample.image.data:
            return ()
        output = sample.image.data
        pil = decode_pil(sample)
        if pil is None:
            return ()
        convo = _conversation_text(sample)
        nsfw = float(self.nsfw.nsfw(pil))
        refs: tuple[Image, ...] = sample.uploads
        ref_people = [self.person.analyse(r.data) for r in refs if r.data]
        convo_scores = self._text_scores(convo)

        # One score per label (gates key scores by label); a later rule replaces an earlier one only if higher.
        scores: dict[str, Score] = {}

        def put(score: Score) -> None:
            if score.label not in scores or score.value > scores[score.label].value:
                scores[score.label] = score

        # Rule 1: unrequested nudity.
        sexual_cue = _cue(_SEXUAL_CUES, convo)
        asked_sexual = max(1.0 if sexual_cue else 0.0, convo_scores.get("sexual", 0.0))
        if asked_sexual >= 0.5:
            put(
                Score(
                    "sexual",
                    0.0,
                    f"conversation asks for sexual content ({sexual_cue or 'text head'}); "
                    f"output nsfw={nsfw:.2f} is left to the prompt and output gates",
                )
            )
        else:
            put(
                Score(
                    "sexual",
                    self._unrequested_value(nsfw),
                    f"output nsfw={nsfw:.2f} although the conversation asks for nothing sexual "
                    f"(nsfw {self.unrequested_nsfw:.2f} maps to 0.5)",
                )
            )

        # Rule 2: sexual content combined with minors.
        minor_cue = _cue(_MINOR_CUES, convo)
        sexual_parts = {"output nsfw": nsfw, "conversation asks for sexual content": asked_sexual}
        sexual_why, sexual_ev = max(sexual_parts.items(), key=lambda kv: kv[1])
        out_people: PersonAnalysis | None = None
        if ref_people or sexual_ev >= self.person_floor:
            out_people = self.person.analyse(output)
        minor_parts = {
            "child-aged face in output": (out_people.youngest_face_any_style if out_people is not None else sexual_ev),
            "photoreal child in upload": max((a.child for a in ref_people), default=0.0),
            f"minor cue in conversation ({minor_cue})": 1.0 if minor_cue else 0.0,
            "text head sexual/minors": convo_scores.get("sexual/minors", 0.0),
        }
        minor_why, minor_ev = max(minor_parts.items(), key=lambda kv: kv[1])
        if out_people is None and minor_why == "child-aged face in output":
            minor_why = f"output faces not checked: sexual evidence under {self.person_floor:.2f}, reported as bound"
        put(
            Score(
                "sexual/minors",
                min(minor_ev, sexual_ev),
                f"sexual evidence {sexual_ev:.2f} ({sexual_why}) with minor evidence {minor_ev:.2f} ({minor_why})",
            )
        )

        # Rule 3: an edit that made a photoreal adult look like a child.
        if ref_people and out_people is not None:
            adult_in = max(a.adult for a in ref_people)
            value = min(adult_in, out_people.child)
            ages_in = [f.age for a in ref_people for f in a.faces if f.age is not None]
            ages_out = [f.age for f in out_people.faces if f.age is not None]
            put(
                Score(
                    "person/photoreal_child",
                    value,
                    f"upload photoreal adult {adult_in:.2f} (ages {ages_in or 'n/a'}) -> output photoreal child "
                    f"{out_people.child:.2f} (ages {ages_out or 'n/a'})",
                )
            )

        # Rule 4: unsafe text on the output that nobody asked for.
        text_clf = self._text() if self.check_text else None
        if text_clf is not None:
            ocr_text = meaningful_text(self.ocr.read(output).text)
            share = _unrequested_share(ocr_text, convo)
            if ocr_text and share >= self.unrequested_text_share:
                for s in text_clf.classify(Sample(text=ocr_text, tier=sample.tier)):
                    if s.label in TEXT_CONTENT_LABELS:
                        put(
                            Score(
                                s.label,
                                s.value,
                                f'output shows text "{ocr_text[:120]}" that the conversation did '
                                f"not ask for ({share:.0%} of its words unrequested)",
                            )
                        )
        return tuple(scores.values())

    @classmethod
    def examples(cls) -> list[tuple[Sample, frozenset[str]]]:
        return [
            (
                Sample(
                    text="a lighthouse at dusk, flat colours",
                    turns=(Turn(Role.USER, "a lighthouse at dusk, flat colours"),),
                    image=Image(encode(procedural_scene(21))),
                ),
                frozenset(),
            ),
            (
                Sample(
                    text="a poster with a greeting",
                    turns=(Turn(Role.USER, "a poster with a greeting"),),
                    image=Image(encode(text_image("HELLO"))),
                ),
                frozenset(),
            ),
        ]


# The registry names the vision judge under this module too; it lives in its own module (one plugin per module).
__all__ = ["OpenAIVisionJudgeClassifier", "ReasoningMonitor"]
