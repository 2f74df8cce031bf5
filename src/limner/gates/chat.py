"""Gates: the chat gate, which refuses from the whole conversation before the image tool is called.

It plays the part of the chat model's refusal in the system we model: conversation classifiers read every turn, so an
escalation ("now make her younger") is judged with what came before, and context can also make a request fine.
"""

from __future__ import annotations

from typing import ClassVar

from limner.gates.base import ClassifierGate, GateContext
from limner.types import Modality, Sample


class ChatGate(ClassifierGate):
    name: ClassVar[str] = "chat"

    def samples(self, ctx: GateContext) -> dict[Modality, list[Sample]]:
        request = ctx.request
        sample = Sample(text=request.prompt, turns=request.turns, tier=request.account.tier)
        return {Modality.CONVERSATION: [sample], Modality.TEXT: [sample]}
