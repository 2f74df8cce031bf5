"""Gates: the prompt gate, the system's own check of what is sent to the image tool.

Text classifiers read the prompt (the last user turn); image classifiers and hash banks read every upload. It runs in
both evaluation configurations, with or without the chat gate in front of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from limner.classifiers.base import Classifier
from limner.gates.base import GateContext, run_classifiers
from limner.types import Decision, Modality, Sample


class PromptGate:
    name: ClassVar[str] = "prompt"

    def __init__(self, classifiers: Sequence[Classifier], fail_fast: bool = True) -> None:
        self.classifiers = list(classifiers)
        self.fail_fast = fail_fast

    def check(self, ctx: GateContext) -> Decision:
        request = ctx.request
        tier = request.account.tier
        uploads = [Sample(text=request.prompt, image=image, tier=tier, is_upload=True) for image in request.uploads]
        samples = {
            Modality.TEXT: [Sample(text=request.prompt, tier=tier)],
            Modality.IMAGE: uploads,
        }
        return run_classifiers(self.name, self.classifiers, samples, ctx, self.fail_fast)
