"""Evaluation, bias: reading a prompt for people, counts, specified attributes and historical context.

Decides nothing. Shared by the diversifier (which must leave specified and historical prompts alone) and the
reference world generator (which must draw what a prompt asks for); plain regular expressions, documented in
docs/evaluation.md, because the under-specification test has to be auditable.
"""

from __future__ import annotations

import re

PERSON_NOUNS = (r"person|people|persons|someone|somebody|figure|figures|man|men|woman|women|boy|boys|girl|girls|"
                r"child|children|kid|kids|doctor|doctors|nurse|nurses|teacher|teachers|worker|workers|ceo|"
                r"engineer|engineers|scientist|scientists|student|students|firefighter|firefighters|chef|chefs|"
                r"pilot|pilots|farmer|farmers|athlete|athletes|musician|musicians|friends|family|couple|crowd|"
                r"passenger|passengers|customer|customers|lawyer|lawyers|judge|judges|soldier|soldiers|"
                r"police officer|police officers|programmer|programmers|janitor|janitors|cashier|cashiers|"
                r"warrior|warriors|"
                r"king|kings|queen|queens|knight|knights|samurai|chieftain|chieftains|emperor|emperors|senator|"
                r"senators|settler|settlers|explorer|explorers|sailor|sailors|monk|monks|merchant|merchants|"
                # Roles that only name people, for historical prompts the diversifier grounds ("a pharaoh").
                # Words that also name things ("official", "chief", "general", "viking" ship) are left out.
                r"pharaoh|pharaohs|legionary|legionaries|centurion|centurions|gladiator|gladiators|hoplite|hoplites|"
                r"courtier|courtiers|nobleman|noblemen|noblewoman|noblewomen|peasant|peasants|priest|priests|"
                r"priestess|priestesses|scribe|scribes|shogun|shoguns|daimyo|ronin|geisha|geishas|empress|"
                r"empresses|sultan|sultans|prince|princes|princess|princesses|nun|nuns|pilgrim|pilgrims|"
                r"blacksmith|blacksmiths|villager|villagers|archer|archers|hunter|hunters|herder|herders|"
                r"nomad|nomads|trader|traders|fisherman|fishermen|scholar|scholars|poet|poets|philosopher|"
                r"philosophers|jarl|jarls|shieldmaiden|shieldmaidens|tsar|tsars|horseman|horsemen|citizen|citizens|"
                # Everyday words for a person that the lists above lacked.
                r"lady|ladies|gentleman|gentlemen|runner|runners|messenger|messengers|servant|servants|dancer|"
                r"dancers|singer|singers|painter|painters|writer|writers|traveller|travellers|traveler|travelers|"
                r"rider|riders|mother|mothers|father|fathers|grandmother|grandmothers|grandfather|grandfathers|"
                r"baby|babies|teenager|teenagers|adult|adults")
PERSON_RE = re.compile(rf"\b({PERSON_NOUNS})\b", re.I)
# Words that pin skin tone, race or ethnicity: a prompt with any of them is "specified" and left alone.
SPECIFIED_RE = re.compile(
    r"\b(skin tone|skin-tone|skin colou?r|mst-?\s?\d+|monk skin|complexion|"
    r"(?:light|fair|pale|dark|brown|black|tan|olive)[- ]skinned|asian|african|european|caucasian|latin[oax]|"
    r"hispanic|indian|arab|middle[- ]eastern|indigenous|"
    r"native american|pacific islander|east asian|south asian|(?:black|white) (?:man|men|woman|women|person|"
    r"people|boy|girl|child|children|family|couple))\b", re.I)
HISTORICAL_RE = re.compile(
    r"\b(medieval|middle ages|viking|vikings|ancient|roman empire|roman legion|samurai|pharaoh|victorian|edwardian|"
    r"renaissance|colonial|feudal|knight|knights|founding fathers|\d{1,2}(?:st|nd|rd|th)[- ]century|1[0-9]{3}s?|"
    r"world war|wwi|wwii|ww1|ww2|civil war|historical|historically accurate|edo period|ming dynasty|qing dynasty|"
    r"tang dynasty|aztec|inca|mayan|mughal|ottoman|tudor|elizabethan|napoleonic|pre-colonial)\b", re.I)
SKIN_RE = re.compile(r"(?:skin tone|mst-|monk skin tone) ?(\d{1,2})", re.I)
_COUNT_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "2": 2, "3": 3, "4": 4, "several": 3,
                "a few": 3, "a group of": 3, "a team of": 3, "a crowd of": 4, "a family of": 3, "many": 4}
_COUNT_RE = re.compile(r"\b(a group of|a team of|a crowd of|a family of|a few|several|many|one|two|three|four|"
                       r"[234]|an?)\s+(?:\w+\s+){0,2}?(" + PERSON_NOUNS + r")\b", re.I)
GROUP_NOUNS = {"crowd": 4, "family": 3, "couple": 2, "friends": 3}


def mentions_person(text: str) -> bool:
    return PERSON_RE.search(text) is not None


def is_specified(text: str) -> bool:
    return SPECIFIED_RE.search(text) is not None


def is_historical(text: str) -> bool:
    return HISTORICAL_RE.search(text) is not None


def people_count(text: str) -> int:
    """How many people a prompt asks for (1 to 4; the world holds at most nine entities)."""
    m = _COUNT_RE.search(text)
    if m:
        return min(4, _COUNT_WORDS.get(m.group(1).lower(), 1))
    noun = PERSON_RE.search(text)
    if noun is None:
        return 0
    word = noun.group(1).lower()
    if word in GROUP_NOUNS:
        return GROUP_NOUNS[word]
    # "princess", "empress": a final "ss" is not a plural.
    plural = word.endswith(("people", "men")) or (word.endswith("s") and not word.endswith("ss"))
    return 2 if plural and word not in ("person", "ceo") else 1
