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
# Ordinal words of the centuries before the twentieth, in order (CENTURY_WORDS[k] is the (k+1)th century).
CENTURY_WORDS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth",
                 "eleventh", "twelfth", "thirteenth", "fourteenth", "fifteenth", "sixteenth", "seventeenth",
                 "eighteenth", "nineteenth")
HISTORICAL_RE = re.compile(
    r"\b(medieval|middle ages|viking|vikings|ancient|roman empire|roman legion|samurai|pharaoh|victorian|edwardian|"
    r"renaissance|colonial|feudal|knight|knights|founding fathers|\d{1,2}(?:st|nd|rd|th)[- ]century|1[0-9]{3}s?|"
    r"world war|wwi|wwii|ww1|ww2|civil war|historical|historically accurate|edo period|ming dynasty|qing dynasty|"
    r"tang dynasty|aztec|inca|mayan|mughal|ottoman|tudor|elizabethan|napoleonic|pre-?colonial|antiquity|"
    r"prehistoric|(?:bronze|iron|stone) age|dynasty|caliphate|sultanate|shogunate|khanate|\d{1,4} (?:bce?|ad)|"
    # centuries written as words ("in seventh century samarkand") as well as digits
    rf"(?:{'|'.join(CENTURY_WORDS)})[- ]century)\b", re.I)
SKIN_RE = re.compile(r"(?:skin tone|mst-|monk skin tone) ?(\d{1,2})", re.I)
COUNT_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "2": 2, "3": 3, "4": 4, "several": 3,
                "a few": 3, "a group of": 3, "a team of": 3, "a crowd of": 4, "a family of": 3, "many": 4}
_COUNT_RE = re.compile(r"\b(a group of|a team of|a crowd of|a family of|a few|several|many|one|two|three|four|"
                       r"[234]|an?)\s+(?:\w+\s+){0,2}?(" + PERSON_NOUNS + r")\b", re.I)
GROUP_NOUNS = {"crowd": 4, "family": 3, "couple": 2, "friends": 3}


# A person named by a word the lists above lack ("a negus of aksum holding a cross", "a weaver at her loom",
# "pakal the great on his throne"): the prompt's subject, followed (after an optional "of the ..." phrase) by
# something only people do or wear, or a his/her later on. Structure rather than vocabulary, because titles and
# crafts of every culture cannot be listed; subjects that are animals, machines or things are never people.
_HUMAN_ACTS = (r"wearing|dressed|clad|robed|holding|reading|writing|praying|smiling|speaking|teaching|riding|"
               r"receiving|greeting|practi[cs]ing|meditating|dancing|singing|preaching|ruling|commanding|leading|"
               r"negotiating|posing|steering|sailing|rowing|playing|trading|selling|tending|working|weaving|"
               r"carving|forging|hammering|cooking|copying|studying|building|shaping|sewing|spinning|"
               r"planting|harvesting|fishing|hunting|herding|guarding|kneeling|addressing|presiding|holding court")
_NOT_PEOPLE = frozenset([
    "cat", "dog", "horse", "horses", "camel", "camels", "elephant", "elephants", "lion", "lions", "tiger", "bird",
    "birds", "eagle", "falcon", "hawk", "parrot", "monkey", "ape", "bear", "wolf", "fox", "deer", "ox", "oxen",
    "cow", "cows", "bull", "sheep", "goat", "pig", "dragon", "dragons", "snake", "fish", "whale", "dolphin",
    "robot", "robots", "android", "statue", "statues", "sculpture", "mannequin", "doll", "puppet", "toy",
    "scarecrow", "ghost", "skeleton", "ship", "boat", "canoe", "car", "train", "tree", "building", "house",
    "temple", "palace", "city", "map", "painting", "photo", "picture", "image", "portrait", "drawing",
    "illustration", "tapestry", "mural", "mosaic", "coin", "vase", "manuscript"
])
_DET = r"a|an|the|one|two|three|four|several|a group of|a few"
# never part of the subject's noun phrase: a setting that did not parse as a prefix must not become the subject
_FUNCTION = r"(?:in|on|at|of|from|during|with|by|for|to|and|or|the|a|an)"
# Any other participle right after the subject counts too ("a dyer rinsing cloth"), except -ing words that are
# nouns or prepositions.
_NOT_ACTS = ("featuring|depicting|showing|clothing|ceiling|morning|evening|ring|king|thing|"
             "wing|spring|string|wedding|sibling|offspring|lightning|nothing|something|anything|everything|during|"
             "bring|railing|landing")
# These are nouns as often ("a renaissance painting of ..."), so they count only before an object or particle
# ("a moche potter painting a vessel", "ibn battuta setting out").
_OBJECT_ACTS = r"painting|drawing|setting"
_ANY_ACT = (rf"(?!(?:{_NOT_ACTS})\b)(?!(?:{_OBJECT_ACTS})\b(?!\s+(?:an?|the|his|her|their|out|off|sail)\b))"
            rf"[a-z]{{2,}}ing")
# An epithet after a name ("pakal the great"); the world generator reads it as part of the name too.
EPITHET_WORDS = r"great|elder|younger|wise|[ivx]+"
# Worn things: only people wear them ("a tanner in a leather apron scraping hides", "a qadi in a black turban").
_ATTIRE = (r"aprons?|turbans?|headdress(?:es)?|uniforms?|peacoats?|coats?|robes?|cloaks?|tunics?|togas?|kimonos?|"
           r"saris?|dress|gowns?|hats?|caps?|helmets?|armou?r|veils?|shawls?|kilts?|boots|sandals|jackets?|"
           r"waistcoats?|vests?|hoods?|mantles?|wigs?|cassocks?|habits?|sashes|sash|mail|breastplates?|"
           r"headscarf|headscarves|scarf|scarves|bonnets?|sarongs?|ponchos?|tricorns?|top hat|bowler|overalls")
# dressed in something: "in a leather apron", "in his canvas smock-apron"
_DRESSED = rf"in\s+(?:an?\s+|his\s+|her\s+)?(?:[\w'-]+\s+|[\w']+-){{0,3}}?(?:{_ATTIRE})\b"
SUBJECT_PERSON_RE = re.compile(
    # the setting first: "in song dynasty hangzhou, a weaver ...", "on the goldfields of 1850s victoria, australia,
    # a miner ...", "nantucket, 1835: a whaler ..."
    r"^\s*(?:(?:in|at|on|during) [^,]{3,60}, (?:[^,]{3,30}, )?|[^,:]{3,40}, \d{3,4}s?: )?"
    rf"(?:(?:an?|the) (?:photo|picture|painting|portrait|image|drawing|illustration|sketch) of )?"
    rf"(?:(?P<det>{_DET})\s+)?(?P<mods>(?:(?!{_FUNCTION}\b)[\w'-]+\s+){{0,2}}?)(?!{_FUNCTION}\b)"
    rf"(?P<noun>[a-z][\w'-]*)"
    rf"(?:\s+the\s+(?:{EPITHET_WORDS}))?"  # an epithet: "pakal the great"
    rf"(?=,?\s+{_ANY_ACT}\b"  # directly after the subject, any participle
    rf"|,?\s+on horseback\b"
    rf"|,?\s+{_DRESSED}"
    rf"|(?:\s+(?:of|from|in|at)(?:\s+[\w'-]+){{1,6}}?)?,?\s+(?:{_HUMAN_ACTS})\b"
    # after an "of ..." phrase of at most three words, any participle ("a kandake of meroe standing ...")
    rf"|\s+(?:of|from)(?:\s+(?!{_FUNCTION}\b)[\w'-]+){{1,3}},?\s+{_ANY_ACT}\b"
    # his/her after a preposition or comma, or after a verb in the present ("a water carrier leads his mule")
    rf"|(?:\s+(?:of|from|in|at|on|with)\b|,|\s+[a-z]+s\b)(?:\s+[\w'-]+){{0,8}}?\s+(?:his|her)\s+(?!and\b)\w)",
    re.I)
# Words in the subject's place that are not nouns ("two teens are playing": the regex would take "are").
_NOT_NOUNS = frozenset(["is", "are", "was", "were", "be", "been", "being", "has", "have", "had", "stands",
                        "stand", "sits", "sit", "lies", "lie"])


def subject_person(text: str) -> re.Match[str] | None:
    """The prompt's subject when its structure says it is a person and no listed person noun does (see above);
    the match's `noun` group is the word, `det` its determiner or count (None for a bare name); positions are the
    text's own (leading spaces allowed)."""
    if PERSON_RE.search(text) is not None:
        return None
    m = SUBJECT_PERSON_RE.search(text)
    if m is None:
        return None
    noun = m.group("noun").lower()
    if noun in _NOT_PEOPLE or noun.rstrip("s") in _NOT_PEOPLE or noun in _NOT_NOUNS or noun.endswith(("ing", "ed")):
        return None
    if m.group("det") is None and not (re.search(r"\b(?:his|her)\b", text, re.I) or _bare_name(text, m)):
        return None  # a bare word is a name only with a personal pronoun ("pakal the great on his throne") ...
    return m


def _bare_name(text: str, m: re.Match[str]) -> bool:
    """... or when it opens the prompt, is at most three words and is followed by a participle, dress or "on
    horseback" ("harriet tubman guiding ...", "saladin on horseback ..."): a plural there is more often a thing
    ("autumn leaves falling"), so a last word in -s does not count."""
    words = (m.group("mods") + m.group("noun")).split()
    return (m.start("noun") - len(m.group("mods")) == len(text) - len(text.lstrip()) and len(words) <= 3
            and not (m.group("noun").endswith("s") and not m.group("noun").endswith(("ss", "us")))
            and re.match(rf",?\s+(?:{_ANY_ACT}\b|on horseback\b|{_DRESSED})", text[m.end():], re.I) is not None)


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
        return min(4, COUNT_WORDS.get(m.group(1).lower(), 1))
    noun = PERSON_RE.search(text)
    if noun is None:
        return 0
    word = noun.group(1).lower()
    if word in GROUP_NOUNS:
        return GROUP_NOUNS[word]
    # "princess", "empress": a final "ss" is not a plural.
    plural = word.endswith(("people", "men")) or (word.endswith("s") and not word.endswith("ss"))
    return 2 if plural and word not in ("person", "ceo") else 1
