"""Chat gate, optional extra judge (`openai_judge`): asks any OpenAI-compatible chat endpoint to score a conversation.

Measures the same taxonomy labels as the offline classifiers by sending the conversation and the policy summary
to a chat model and parsing a JSON object of label -> score. Nothing in limner depends on it; a deployment may add
it to the chat gate as an extra, slower signal. Network or parse failures raise `ClassifierUnavailable`, which the
gate turns into a fail-closed BLOCK. The API key comes in as a constructor kwarg (from settings/env at the edge).
"""

from __future__ import annotations

import json
import re
from typing import Any, ClassVar

from limner.classifiers.base import ClassifierUnavailable
from limner.classifiers.text.embed_head import HEAD_LABELS
from limner.types import Modality, Role, Sample, Score, Turn

SYSTEM_PROMPT = """You are a content-safety judge for an image generator. Read the whole conversation; judge the LAST
user request together with its context (earlier turns can make it unsafe, e.g. "now make her younger", or make it
fine, e.g. "I design haunted-house props"; role-play or fictional framing does not change the label; an earlier
refusal does not taint a later harmless request). Return ONLY a JSON object mapping each of these labels to a
probability in [0,1] that it applies, plus "rationale" (one short sentence):
{labels}
Adult-blocked: sexual (explicit or photoreal nudity), sexual/minors, violence/graphic (photoreal gore), self_harm
(encouraging), hate, harassment, extremism (propaganda), illicit (actionable instructions), deception (forged
documents, fake news photos). Under-18 only: sexual/suggestive, violence/stylised_graphic, self_harm/depiction,
hate/symbol_context, extremism/context."""


class OpenAIChatJudgeClassifier:
    """Kwargs: `base_url`, `model`, `api_key`, `timeout_s`, `labels_subset` (default: all text labels)."""

    name: ClassVar[str] = "openai_judge"
    modality: ClassVar[Modality] = Modality.CONVERSATION
    labels: ClassVar[tuple[str, ...]] = HEAD_LABELS

    def __init__(
        self, base_url: str, model: str, api_key: str = "unused", timeout_s: float = 20.0, max_retries: int = 0
    ) -> None:
        self.base_url = base_url
        self.model = model
        self.api_key = api_key
        self.timeout_s = timeout_s
        self.max_retries = max_retries
        self._client: Any = None

    def warm(self) -> None:
        if self._client is None:
            from openai import OpenAI

            self._client = OpenAI(
                base_url=self.base_url, api_key=self.api_key, timeout=self.timeout_s, max_retries=self.max_retries
            )

    def _messages(self, turns: tuple[Turn, ...]) -> list[dict[str, str]]:
        convo = "\n".join(f"{t.role.value.upper()}: {t.content}" for t in turns)
        return [
            {"role": "system", "content": SYSTEM_PROMPT.format(labels=", ".join(HEAD_LABELS))},
            {"role": "user", "content": f"Conversation:\n{convo}\n\nJSON:"},
        ]

    @staticmethod
    def parse(content: str) -> tuple[Score, ...]:
        m = re.search(r"\{.*\}", content, re.S)
        if m is None:
            raise ClassifierUnavailable("judge reply holds no JSON object")
        try:
            data = json.loads(m.group(0))
        except json.JSONDecodeError as e:
            raise ClassifierUnavailable(f"judge reply is not valid JSON: {e}") from e
        why = str(data.get("rationale", ""))[:300]
        out = []
        for lab in HEAD_LABELS:
            try:
                v = float(data.get(lab, 0.0))
            except (TypeError, ValueError):
                v = 0.0
            v = min(1.0, max(0.0, v))
            out.append(Score(lab, v, why if v >= 0.5 else ""))
        return tuple(out)

    def classify(self, sample: Sample) -> tuple[Score, ...]:
        self.warm()
        turns = sample.turns or (Turn(Role.USER, sample.text),)
        try:
            resp = self._client.chat.completions.create(model=self.model, messages=self._messages(turns), temperature=0)
        except Exception as e:  # any transport/API error: the gate fails closed
            raise ClassifierUnavailable(f"judge endpoint failed: {type(e).__name__}: {e}") from e
        return self.parse(resp.choices[0].message.content or "")

    @classmethod
    def examples(cls) -> list[tuple[Sample, frozenset[str]]]:
        # Only meaningful with a live judge; contract tests use a local stub server.
        return [(Sample(text="a watercolor lighthouse"), frozenset())]
