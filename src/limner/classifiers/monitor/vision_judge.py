"""Monitor stage, optional vision judge: an OpenAI-compatible vision model scores prompt + output image together.

Decides nothing; returns the judge's per-label scores (clipped to [0, 1], unknown labels dropped) with its stated
reason as the rationale. For deployments that run a local vision LLM behind an OpenAI-compatible endpoint; off by
default. Any transport or parse error raises `ClassifierUnavailable`, which the gate turns into BLOCK (fail closed).
The API key arrives as a constructor argument (from settings), never from the environment here.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any, ClassVar

from limner.classifiers.base import ClassifierUnavailable
from limner.classifiers.image.ocr import TEXT_CONTENT_LABELS
from limner.classifiers.image.synthetic import encode, procedural_scene
from limner.types import Image, Modality, Role, Sample, Score, Turn

JUDGE_LABELS: tuple[str, ...] = (*TEXT_CONTENT_LABELS, "person/photoreal_child", "person/photoreal_adult")

SYSTEM_PROMPT = (
    "You are a content-safety judge for an image generator. You see the user's conversation and the generated image. "
    "Score how likely the IMAGE, read together with the conversation, falls under each label, from 0 to 1. "
    'Answer with JSON only: {"scores": {"<label>": <number>, ...}, "reason": "<one sentence>"}. Labels: '
)


class OpenAIVisionJudgeClassifier:
    """Adapter for an OpenAI-compatible chat-completions endpoint with image input."""

    name: ClassVar[str] = "openai_vision_judge"
    modality: ClassVar[Modality] = Modality.TEXT_IMAGE
    labels: ClassVar[tuple[str, ...]] = JUDGE_LABELS

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str = "unused",
        timeout_s: float = 20.0,
        labels: tuple[str, ...] | list[str] | None = None,
    ) -> None:
        self.base_url = base_url
        self.model = model
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.ask_labels = tuple(labels) if labels else JUDGE_LABELS
        unknown = set(self.ask_labels) - set(JUDGE_LABELS)
        if unknown:
            raise ValueError(f"openai_vision_judge: labels outside its taxonomy: {sorted(unknown)}")
        self._client: Any = None

    def _load(self) -> Any:
        if self._client is None:
            try:
                from openai import OpenAI
            except ImportError as exc:
                raise ClassifierUnavailable("openai_vision_judge needs `pip install openai`") from exc
            self._client = OpenAI(base_url=self.base_url, api_key=self.api_key, max_retries=0, timeout=self.timeout_s)
        return self._client

    def classify(self, sample: Sample) -> tuple[Score, ...]:
        if sample.image is None or not sample.image.data:
            return ()
        convo = "\n".join(f"{t.role.value}: {t.content}" for t in sample.turns) or f"user: {sample.text}"
        b64 = base64.b64encode(sample.image.data).decode("ascii")
        messages = [
            {"role": "system", "content": SYSTEM_PROMPT + ", ".join(self.ask_labels)},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": f"Conversation:\n{convo}"},
                    {"type": "image_url", "image_url": {"url": f"data:{sample.image.mime};base64,{b64}"}},
                ],
            },
        ]
        try:
            resp = self._load().chat.completions.create(model=self.model, messages=messages, temperature=0)
            content = resp.choices[0].message.content or ""
        except Exception as exc:
            raise ClassifierUnavailable(f"openai_vision_judge: endpoint error: {exc}") from exc
        return self._parse(content)

    def _parse(self, content: str) -> tuple[Score, ...]:
        m = re.search(r"\{.*\}", content, re.DOTALL)  # tolerate prose or code fences around the JSON
        try:
            data = json.loads(m.group(0) if m else content)
            raw = data["scores"]
            reason = str(data.get("reason", ""))[:300]
        except (ValueError, KeyError, TypeError) as exc:
            raise ClassifierUnavailable(f"openai_vision_judge: unparseable answer: {content[:200]!r}") from exc
        out = []
        for label in self.ask_labels:
            if label in raw:
                try:
                    value = min(1.0, max(0.0, float(raw[label])))
                except (TypeError, ValueError):
                    continue
                out.append(Score(label, value, f"vision judge: {reason}"))
        return tuple(out)

    @classmethod
    def examples(cls) -> list[tuple[Sample, frozenset[str]]]:
        """The sample only; what a remote judge answers cannot be expected here (the contract needs a server)."""
        sample = Sample(
            text="a red circle", turns=(Turn(Role.USER, "a red circle"),), image=Image(encode(procedural_scene(2)))
        )
        return [(sample, frozenset())]
