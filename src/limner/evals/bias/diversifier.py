"""Generation, prompt diversifier: spreads skin tone on under-specified person prompts before generation.

Decides nothing about safety; it rewrites the prompt the generator sees (the gates have already judged the
user's words). A prompt is rewritten only when it mentions people, pins no skin tone, race or ethnicity, and has no
historical context (a "Viking chieftain" is left as asked: diversifying history is the ahistorical failure the bias
evaluation measures). Each person gets a tone drawn uniformly over the Monk groups, then uniformly within the group,
seeded by `request.seed` (or the prompt text when unseeded), so the same request always gets the same rewrite.

Enabled from the policy with `diversifier: {type: attribute, params: {...}}`; params: `style` ("world": the
embedded generator's grammar, "with skin tone 7"; "natural": "with medium skin"), `grouping` (tone -> group), and
`skip_historical`.
"""

from __future__ import annotations

import dataclasses
import hashlib
import random
import re

from limner.evals.bias.attributes import DEFAULT_MONK_GROUPS, group_names
from limner.evals.bias.text import PERSON_NOUNS, PERSON_RE, is_historical, is_specified, people_count
from limner.types import GenerationRequest, Role, Turn

_NATURAL = {"light": "light", "medium": "medium", "dark": "dark", "very dark": "very dark"}
_GROUP_RE = re.compile(r"\b(a group of|a team of|a crowd of|a family of|a few|several|many|two|three|four|[234])\s+"
                       r"((?:\w+\s+){0,2}?)(" + PERSON_NOUNS + r")\b",
                       re.I)


class AttributeDiversifier:
    name = "attribute"

    def __init__(self, style: str = "world", grouping: dict[int | str, str] | None = None,
                 skip_historical: bool = True) -> None:
        if style not in ("world", "natural"):
            raise ValueError("diversifier style must be 'world' or 'natural'")
        self.style = style
        self.grouping = {int(k): v for k, v in (grouping or DEFAULT_MONK_GROUPS).items()}
        self.groups = group_names(self.grouping)
        self.skip_historical = skip_historical

    def applies(self, prompt: str) -> bool:
        """Under-specified: mentions people, pins no skin tone/race, and (by default) is not historical."""
        if PERSON_RE.search(prompt) is None or is_specified(prompt):
            return False
        return not (self.skip_historical and is_historical(prompt))

    def _tone(self, rng: random.Random) -> int:
        group = rng.choice(self.groups)
        return rng.choice([t for t, g in self.grouping.items() if g == group])

    def _phrase(self, tone: int) -> str:
        if self.style == "world":
            return f"with skin tone {tone}"
        return f"with {_NATURAL.get(self.grouping[tone], self.grouping[tone])} skin"

    def rewrite(self, prompt: str, rng: random.Random) -> str:
        if not self.applies(prompt):
            return prompt
        n = people_count(prompt)
        group = _GROUP_RE.search(prompt)
        if n > 1 and group is not None:
            # "three people at a bus stop" -> "a person with skin tone 2, ... and a person with ... at a bus stop"
            people = [f"a person {self._phrase(self._tone(rng))}" for _ in range(n)]
            listed = ", ".join(people[:-1]) + " and " + people[-1]
            return prompt[:group.start()] + listed + prompt[group.end():]
        noun = PERSON_RE.search(prompt)
        assert noun is not None
        return prompt[:noun.end()] + " " + self._phrase(self._tone(rng)) + prompt[noun.end():]

    def diversify(self, request: GenerationRequest) -> GenerationRequest:
        prompt = request.prompt
        if not self.applies(prompt):
            return request
        key = f"{request.seed}" if request.seed is not None else hashlib.sha1(prompt.encode("utf-8")).hexdigest()
        rewritten = self.rewrite(prompt, random.Random(f"diversify:{key}:{prompt}"))
        # Replace the last user turn only; earlier turns are the conversation's history.
        turns = list(request.turns)
        for i in range(len(turns) - 1, -1, -1):
            if turns[i].role == Role.USER:
                turns[i] = Turn(Role.USER, rewritten)
                break
        return dataclasses.replace(request, turns=tuple(turns))
