"""Gates: the output gate, which checks every generated image before it is returned.

Image classifiers read the output; the reasoning monitor (modality TEXT_IMAGE) reads prompt, conversation, uploads and
output together, so a benign prompt whose output is not benign is still caught.
"""

from __future__ import annotations

from typing import ClassVar

from limner.gates.base import ClassifierGate, GateContext, GateError
from limner.types import Modality, Sample


class OutputGate(ClassifierGate):
    name: ClassVar[str] = "output"

    def samples(self, ctx: GateContext) -> dict[Modality, list[Sample]]:
        if ctx.output is None:
            raise GateError("the output gate was called without an output image")
        request = ctx.request
        image = ctx.output.image
        tier = request.account.tier
        return {
            Modality.IMAGE: [Sample(text=request.prompt, image=image, tier=tier)],
            Modality.TEXT_IMAGE: [
                Sample(text=request.prompt, turns=request.turns, image=image, tier=tier, uploads=request.uploads)
            ],
        }
