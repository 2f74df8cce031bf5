"""Gates: the output gate, which checks every generated image before it is returned.

Image classifiers read the output; the reasoning monitor (modality TEXT_IMAGE) reads prompt, conversation and output
together, so a benign prompt whose output is not benign is still caught.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from limner.classifiers.base import Classifier
from limner.gates.base import GateContext, GateError, run_classifiers
from limner.types import Decision, Modality, Sample


class OutputGate:
    name: ClassVar[str] = "output"

    def __init__(self, classifiers: Sequence[Classifier], fail_fast: bool = True) -> None:
        self.classifiers = list(classifiers)
        self.fail_fast = fail_fast

    def check(self, ctx: GateContext) -> Decision:
        if ctx.output is None:
            raise GateError("the output gate was called without an output image")
        request = ctx.request
        tier = request.account.tier
        image = ctx.output.image
        samples = {
            Modality.IMAGE: [Sample(text=request.prompt, image=image, tier=tier)],
            Modality.TEXT_IMAGE: [
                Sample(text=request.prompt, turns=request.turns, image=image, tier=tier, uploads=request.uploads)
            ],
        }
        return run_classifiers(self.name, self.classifiers, samples, ctx, self.fail_fast)
