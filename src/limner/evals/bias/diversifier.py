"""Generation, prompt diversifier: spreads skin tone on under-specified person prompts and grounds historical ones.

Decides nothing about safety; it rewrites the prompt the generator sees (the gates have already judged the
user's words). What it does to a prompt, in order:

* no person mentioned, or a skin tone, race or ethnicity pinned: left as asked (adherence);
* a historical setting the registry (`historical.py`, `policies/registries/historical_settings.yaml`) knows
  ("a samurai in the edo period"): **grounded**, each person drawn with a tone from the setting's plausible set
  (a group uniformly among the setting's groups, then a tone within it), so resamples spread *within* what the
  deployer judged plausible instead of over the whole scale (diversifying history is the ahistorical failure the
  bias evaluation measures);
* a historical context the registry does not know ("a 1920s jazz musician"): left as asked, and the decision says so;
* otherwise: **diversified**, each person getting a tone drawn uniformly over the Monk groups, then within the group.

Draws are seeded by `request.seed` (or the prompt text when unseeded), so the same request always gets the same
rewrite. `decide()` returns what was done and why (`DiversifierDecision`); `diversify()` applies it and logs it.

Enabled from the policy with `diversifier: {type: attribute, params: {...}}`; params: `style` ("world": the
embedded generator's grammar, "with skin tone 7"; "natural": "with medium skin"), `grouping` (tone -> group),
`skip_historical`, `ground_historical` and `historical_settings` (registry file; filled in from the policy's
`registries.historical_settings`, default: the shipped file).
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import random
import re
from pathlib import Path

from limner.evals.bias.attributes import DEFAULT_MONK_GROUPS, group_names
from limner.evals.bias.historical import HistoricalRegistry, HistoricalSetting, load_registry
from limner.evals.bias.text import (
    COUNT_WORDS,
    PERSON_NOUNS,
    PERSON_RE,
    is_historical,
    is_specified,
    people_count,
    subject_person,
)
from limner.types import GenerationRequest, Role, Turn

log = logging.getLogger(__name__)

_NATURAL = {"light": "light", "medium": "medium", "dark": "dark", "very dark": "very dark"}
_GROUP_RE = re.compile(r"\b(a group of|a team of|a crowd of|a family of|a few|several|many|two|three|four|[234])\s+"
                       r"((?:\w+\s+){0,2}?)(" + PERSON_NOUNS + r")\b",
                       re.I)
# A run of person nouns ("viking chieftain" has one, "samurai warrior" two): the tone phrase goes after the last.
_NOUN_RUN_RE = re.compile(rf"\b(?:{PERSON_NOUNS})(?:\s+(?:{PERSON_NOUNS}))*\b", re.I)
_COLLECTIVE = {"people": "person", "persons": "person", "crowd": "person", "family": "person", "couple": "person",
               "friends": "person", "men": "man", "women": "woman", "children": "child"}

ACTIONS = ("diversified", "grounded", "unchanged")


@dataclasses.dataclass(frozen=True)
class DiversifierDecision:
    """What the diversifier did to one prompt, for the eval's record and the log."""

    action: str  # diversified | grounded | unchanged
    reason: str  # why, in words ("historical setting 'japan_premodern'", "historical, no registry setting matches")
    prompt: str  # the prompt as rewritten (== the original when unchanged)
    setting: str | None = None  # registry setting id when grounded (or matched but not grounded)
    tones: tuple[int, ...] = ()  # Monk tones written into the prompt, one per person

    def as_dict(self) -> dict[str, object]:
        return {"action": self.action, "reason": self.reason, "setting": self.setting, "tones": list(self.tones)}


# ---------------------------------------------------------------- numbers, spelled for the world grammar
_ONES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten", "eleven", "twelve",
         "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen")
_TENS = ("", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")
_ORD = {"one": "first", "two": "second", "three": "third", "five": "fifth", "eight": "eighth", "nine": "ninth",
        "twelve": "twelfth"}


def _words(n: int) -> str:
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else "-" + _ONES[n % 10])
    if n < 1000:
        return _ONES[n // 100] + " hundred" + ("" if n % 100 == 0 else " " + _words(n % 100))
    if 2000 <= n < 2010 or n % 1000 == 0:
        return _words(n // 1000) + " thousand" + ("" if n % 1000 == 0 else " " + _words(n % 1000))
    hi, lo = divmod(n, 100)  # years: 1066 -> "ten sixty-six", 1905 -> "nineteen oh five", 1600 -> "sixteen hundred"
    return _words(hi) + (" hundred" if lo == 0 else (" oh " + _ONES[lo] if lo < 10 else " " + _words(lo)))


def _ordinal(n: int) -> str:
    w = _words(n)
    head, sep, last = w.rpartition("-") if "-" in w else w.rpartition(" ")
    if last in _ORD:
        last = _ORD[last]
    elif last.endswith("y"):
        last = last[:-1] + "ieth"
    else:
        last += "th"
    return head + sep + last


def _plural_words(w: str) -> str:
    return w[:-1] + "ies" if w.endswith("y") else w + "s"


_NUMBER_RE = re.compile(r"\b(\d+)(st|nd|rd|th|s)?\b", re.I)


def spell_numbers(text: str) -> str:
    """Write dates and other numbers in words, keeping 2-4 (the world grammar's person counts).

    Why: the embedded generator reads text byte by byte, and its grammar uses digits only for counts and skin tones;
    "a 9th-century viking chieftain with skin tone 2" drew tone 2 in 7 of 10 samples, "a ninth-century ..." in all.
    """
    def sub(m: re.Match[str]) -> str:
        n, suffix = int(m.group(1)), (m.group(2) or "").lower()
        if suffix in ("st", "nd", "rd", "th"):
            return _ordinal(n)
        if suffix == "s":  # "1850s" -> "eighteen fifties", "1600s" -> "sixteen hundreds"
            return _plural_words(_words(n))
        return m.group(0) if 2 <= n <= 4 else _words(n)
    return _NUMBER_RE.sub(sub, text)


def _singular(noun: str) -> str:
    low = noun.lower()
    if low in _COLLECTIVE:
        return _COLLECTIVE[low]
    if low.endswith("men"):
        return noun[:-3] + "man"
    if low.endswith("ies"):
        return noun[:-3] + "y"
    if low.endswith("sses"):
        return noun[:-2]
    if low.endswith("s") and not low.endswith("ss"):
        return noun[:-1]
    return noun  # samurai, ronin, daimyo


def _article(phrase: str) -> str:
    return "an" if phrase[:1].lower() in "aeiou" else "a"


class AttributeDiversifier:
    name = "attribute"

    def __init__(self, style: str = "world", grouping: dict[int | str, str] | None = None,
                 skip_historical: bool = True, ground_historical: bool = True,
                 historical_settings: str | Path | HistoricalRegistry | None = None) -> None:
        if style not in ("world", "natural"):
            raise ValueError("diversifier style must be 'world' or 'natural'")
        self.style = style
        self.grouping = {int(k): v for k, v in (grouping or DEFAULT_MONK_GROUPS).items()}
        self.groups = group_names(self.grouping)
        self.skip_historical = skip_historical
        self.ground_historical = ground_historical
        self.registry = (historical_settings if isinstance(historical_settings, HistoricalRegistry)
                         else load_registry(historical_settings))

    # ------------------------------------------------------------ deciding
    def historical_setting(self, prompt: str) -> HistoricalSetting | None:
        return self.registry.match(prompt)

    def applies(self, prompt: str) -> bool:
        """The prompt will be rewritten (diversified or grounded)."""
        return self.decide(prompt, random.Random(0)).action != "unchanged"

    def decide(self, prompt: str, rng: random.Random) -> DiversifierDecision:
        if is_specified(prompt):
            return DiversifierDecision("unchanged", "skin tone, race or ethnicity specified", prompt)
        setting = self.registry.match(prompt)
        # A setting's title or name ("a mansa of mali", "nefertiti") is a person even where no common noun says so.
        named = setting is not None and setting.person_mention(prompt) is not None
        # In a historical context, a subject whose structure says person ("a negus of aksum holding a cross"):
        # titles and crafts of every culture cannot all be listed.
        named = named or ((setting is not None or is_historical(prompt)) and subject_person(prompt) is not None)
        if PERSON_RE.search(prompt) is None and not named:
            return DiversifierDecision("unchanged", "no person mentioned", prompt)
        # A registry pattern is itself a historical context ("a shogun" carries no date).
        if setting is not None or is_historical(prompt):
            if setting is not None and self.ground_historical:
                rewritten, tones = self._rewrite(prompt, rng, setting)
                return DiversifierDecision("grounded", f"historical setting {setting.id!r} ({setting.name})",
                                           rewritten, setting.id, tones)
            if self.skip_historical:
                why = ("historical, no registry setting matches" if setting is None
                       else f"historical setting {setting.id!r}; grounding is off")
                return DiversifierDecision("unchanged", why, prompt, setting.id if setting else None)
            # skip_historical=False: the ahistorical configuration, kept to measure the failure it causes.
            rewritten, tones = self._rewrite(prompt, rng, None)
            return DiversifierDecision("diversified", "historical, diversified anyway (skip_historical is off)",
                                       rewritten, setting.id if setting else None, tones)
        rewritten, tones = self._rewrite(prompt, rng, None)
        return DiversifierDecision("diversified", "under-specified person prompt", rewritten, None, tones)

    # ------------------------------------------------------------ writing
    def _tone(self, rng: random.Random, setting: HistoricalSetting | None = None) -> int:
        if setting is not None:
            by_group = setting.tones_by_group()
            return rng.choice(by_group[rng.choice(list(by_group))])
        group = rng.choice(self.groups)
        return rng.choice([t for t, g in self.grouping.items() if g == group])

    def _phrase(self, tone: int) -> str:
        if self.style == "world":
            return f"with skin tone {tone}"
        # Natural names the default Monk group, so a registry tone reads the same whatever the reporting grouping.
        group = self.grouping.get(tone, DEFAULT_MONK_GROUPS[tone])
        return f"with {_NATURAL.get(group, group)} skin"

    def _rewrite(self, prompt: str, rng: random.Random,
                 setting: HistoricalSetting | None) -> tuple[str, tuple[int, ...]]:
        unspelled = prompt
        if setting is not None and self.style == "world":
            prompt = spell_numbers(prompt)
        n = people_count(prompt)
        group = _GROUP_RE.search(prompt)
        tones: list[int] = []
        if n > 1 and group is not None:
            # "three people at a bus stop" -> "a person with skin tone 2, ... and a person with ... at a bus stop";
            # grounded, the setting's noun stays: "three roman legionaries" -> "a roman legionary with skin tone 3, ..."
            head = "person"
            if setting is not None:
                head = (group.group(2) + _singular(group.group(3))).strip()
            tones = [self._tone(rng, setting) for _ in range(n)]
            return prompt[:group.start()] + self._listed(head, tones) + prompt[group.end():], tuple(tones)
        noun = _NOUN_RUN_RE.search(prompt) if setting is not None else PERSON_RE.search(prompt)
        if noun is None:
            # a counted subject ("three thegns feasting") gets a tone per person even when the registry names it
            subject = subject_person(prompt)
            counted = subject is not None and COUNT_WORDS.get((subject.group("det") or "").lower(), 1) > 1
            if setting is not None and not counted:
                noun = setting.person_mention(prompt)
            if noun is None:
                # spelling a date out can hide the subject's structure ("in 1790s lima, a carrier ..."): then the
                # prompt is rewritten as written
                if subject is None:
                    prompt, subject = unspelled, subject_person(unspelled)
                assert subject is not None
                return self._rewrite_subject(prompt, subject, rng, setting)
        tones = [self._tone(rng, setting)]
        return prompt[:noun.end()] + " " + self._phrase(tones[0]) + prompt[noun.end():], tuple(tones)

    def _rewrite_subject(self, prompt: str, m: re.Match[str], rng: random.Random,
                         setting: HistoricalSetting | None) -> tuple[str, tuple[int, ...]]:
        """A person known only by the prompt's structure (m, `text.subject_person(prompt)`): the tone phrase after
        the noun, or for a counted subject ("two hwarang of silla ...") one phrase per person, listed as for person
        nouns."""
        n = min(4, COUNT_WORDS.get((m.group("det") or "").lower(), 1))
        if n > 1:
            head = (m.group("mods") + _singular(m.group("noun"))).strip()
            tones = [self._tone(rng, setting) for _ in range(n)]
            return prompt[:m.start("det")] + self._listed(head, tones) + prompt[m.end("noun"):], tuple(tones)
        tones = [self._tone(rng, setting)]
        end = m.end()  # after an epithet too: "pakal the great with skin tone 6 on his throne"
        return prompt[:end] + " " + self._phrase(tones[0]) + prompt[end:], tuple(tones)

    def _listed(self, head: str, tones: list[int]) -> str:
        """"a legionary with skin tone 2, a legionary with skin tone 4 and a legionary with skin tone 5"."""
        people = [f"{_article(head)} {head} {self._phrase(t)}" for t in tones]
        return ", ".join(people[:-1]) + " and " + people[-1]

    def rewrite(self, prompt: str, rng: random.Random) -> str:
        return self.decide(prompt, rng).prompt

    # ------------------------------------------------------------ requests
    def _rng(self, request: GenerationRequest) -> random.Random:
        prompt = request.prompt
        key = f"{request.seed}" if request.seed is not None else hashlib.sha1(prompt.encode("utf-8")).hexdigest()
        return random.Random(f"diversify:{key}:{prompt}")

    def decision(self, request: GenerationRequest) -> DiversifierDecision:
        """What `diversify(request)` does to this request (same seed, same answer)."""
        return self.decide(request.prompt, self._rng(request))

    def diversify(self, request: GenerationRequest) -> GenerationRequest:
        decision = self.decision(request)
        log.info("diversifier: %s (%s)%s", decision.action, decision.reason,
                 f" -> {decision.prompt!r}" if decision.action != "unchanged" else "")
        if decision.action == "unchanged":
            return request
        # Replace the last user turn only; earlier turns are the conversation's history.
        turns = list(request.turns)
        for i in range(len(turns) - 1, -1, -1):
            if turns[i].role == Role.USER:
                turns[i] = Turn(Role.USER, decision.prompt)
                break
        return dataclasses.replace(request, turns=tuple(turns))
