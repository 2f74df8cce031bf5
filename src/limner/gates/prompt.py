"""Gates: the prompt gate, the system's own check of what is sent to the image tool.

Text classifiers read the prompt (the last user turn); image classifiers and hash banks read every upload. It runs in
both evaluation configurations, with or without the chat gate in front of it.
"""

from __future__ import annotations

from typing import ClassVar

from limner.gates.base import ClassifierGate, GateContext
from limner.types import Modality, Sample


class PromptGate(ClassifierGate):
    name: ClassVar[str] = "prompt"

    def samples(self, ctx: GateContext) -> dict[Modality, list[Sample]]:
        request = ctx.request
        tier = request.account.tier
        return {
            Modality.TEXT: [Sample(text=request.prompt, tier=tier)],
            Modality.IMAGE: [
                Sample(text=request.prompt, image=image, tier=tier, is_upload=True) for image in request.uploads
            ],
        }
