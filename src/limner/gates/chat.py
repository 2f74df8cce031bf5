"""Gates: the chat gate, which refuses from the whole conversation before the image tool is called.

It plays the part of the chat model's refusal in the system we model: conversation classifiers read every turn, so an
escalation ("now make her younger") is judged with what came before, and context can also make a request fine.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from limner.classifiers.base import Classifier
from limner.gates.base import GateContext, run_classifiers
from limner.types import Decision, Modality, Sample


class ChatGate:
    name: ClassVar[str] = "chat"

    def __init__(self, classifiers: Sequence[Classifier], fail_fast: bool = True) -> None:
        self.classifiers = list(classifiers)
        self.fail_fast = fail_fast

    def check(self, ctx: GateContext) -> Decision:
        request = ctx.request
        tier = request.account.tier
        samples = {
            Modality.CONVERSATION: [Sample(text=request.prompt, turns=request.turns, tier=tier)],
            Modality.TEXT: [Sample(text=request.prompt, turns=request.turns, tier=tier)],
        }
        return run_classifiers(self.name, self.classifiers, samples, ctx, self.fail_fast)
