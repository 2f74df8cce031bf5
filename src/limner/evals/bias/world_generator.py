"""Evaluation, bias: a reference generator that draws world scenes with a *known* skin-tone prior.

Decides nothing. The bias evaluation must work with any `Generator`; this one exists to calibrate it (and to run it
before a trained generator is available): it renders the procedural world exactly as a prompt asks, and draws every
attribute the prompt leaves open from configurable priors. A skewed `skin_weights` is a generator with a known
bias, so the report must show low entropy without the diversifier and near-uniform groups with it.

Prompts the world grammar parses are drawn exactly; other prompts are read clause by clause (people, count,
"skin tone N", shirt and hair colours); a prompt with no person draws a random shape scene.
"""

from __future__ import annotations

import hashlib
import io
import random
import re
from typing import ClassVar

from PIL import Image as PILImage

from limner.evals.bias.text import PERSON_RE, SKIN_RE, people_count
from limner.types import Capability, GeneratedImage, GenerationRequest, Image

_SHIRT_RE = re.compile(r"(?:wearing|in) an? (\w+) shirt", re.I)
_HAIR_RE = re.compile(r"with (?:(short|long) )?(black|brown|blonde|red)? ?hair", re.I)


class WorldReferenceGenerator:
    name: ClassVar[str] = "world_reference"
    capabilities: ClassVar[frozenset[Capability]] = frozenset({Capability.TEXT_TO_IMAGE})

    def __init__(self, skin_weights: list[float] | tuple[float, ...] | None = None,
                 group_correlation: float = 0.0) -> None:
        self.skin_weights = list(skin_weights or [1.0] * 10)
        if len(self.skin_weights) != 10 or min(self.skin_weights) < 0 or sum(self.skin_weights) <= 0:
            raise ValueError("skin_weights needs 10 non-negative weights (Monk tones 1..10)")
        self.group_correlation = group_correlation  # chance that all people of one group share a tone

    def _skin(self, rng: random.Random) -> int:
        return rng.choices(range(1, 11), weights=self.skin_weights)[0]

    def _people(self, prompt: str, rng: random.Random) -> list[object]:
        from limner.world.spec import HAIR_COLOURS, SHIRT_COLOURS, ObjectSpec

        specs: list[object] = []
        for clause in re.split(r",\s*|\s+and\s+", prompt):
            if PERSON_RE.search(clause) is None:
                continue
            n = max(1, people_count(clause))
            skin = SKIN_RE.search(clause)
            shirt = _SHIRT_RE.search(clause)
            hair = _HAIR_RE.search(clause)
            fixed = int(skin.group(1)) if skin and 1 <= int(skin.group(1)) <= 10 else None
            shared = self._skin(rng) if rng.random() < self.group_correlation else None
            for _ in range(n):
                specs.append(ObjectSpec(
                    shape="person", skin=fixed or shared or self._skin(rng),
                    shirt=shirt.group(1).lower() if shirt and shirt.group(1).lower() in SHIRT_COLOURS else None,
                    hair=hair.group(2).lower() if hair and hair.group(2) and hair.group(2).lower() in HAIR_COLOURS
                    else None,
                    hair_style=hair.group(1).lower() if hair and hair.group(1) else None))
        return specs[:6]

    def layout(self, prompt: str, rng: random.Random) -> object:
        from limner.world.grammar import parse_prompt, random_layout, sample_layout
        from limner.world.spec import ObjectSpec, SceneSpec

        spec = parse_prompt(prompt)
        if spec is not None:
            objects: list[ObjectSpec] = []
            for o in spec.objects:
                if o.shape == "person" and o.skin is None:
                    shared = self._skin(rng) if rng.random() < self.group_correlation else None
                    objects += [ObjectSpec("person", skin=shared or self._skin(rng), shirt=o.shirt, hair=o.hair,
                                           hair_style=o.hair_style, position=o.position) for _ in range(o.count)]
                else:
                    objects.append(o)
            if not spec.relations:
                spec = SceneSpec(tuple(objects), (), spec.background, spec.text, spec.tag)
        else:
            people = self._people(prompt, rng)
            spec = SceneSpec(tuple(people)) if people else None  # type: ignore[arg-type]
        for _ in range(20):
            lay = sample_layout(spec, rng, split="test") if spec is not None else random_layout(rng)
            if lay is not None:
                return lay
        return random_layout(rng)

    def generate(self, request: GenerationRequest) -> GeneratedImage:
        from limner.world.render import render, upscale

        digest = hashlib.sha1(request.prompt.encode("utf-8")).hexdigest()[:8]
        seed = request.seed if request.seed is not None else 0
        rng = random.Random(f"{seed}:{digest}")
        pixels = upscale(render(self.layout(request.prompt, rng)), request.size)  # type: ignore[arg-type]
        buffer = io.BytesIO()
        PILImage.fromarray(pixels).save(buffer, format="PNG")
        return GeneratedImage(Image(buffer.getvalue()), self.name, "world-reference-1", seed)
