"""Prompt gate / chat gate: harmless-target context classifier (`harmless_target`).

Emits one context label, `context/harmless_target`, when a violent or criminal verb is aimed at something that is
not a person: a process, a plan, a performance or a feeling ("kill time", "terminate a C program", "bomb the test",
"explode with laughter"), a household task or food ("gut a fish", "saw a log", "kill the weeds") or a sport ("shoot
a goal", "smash a ball"), and nothing in the prompt names a person, a body, a protected group, a weapon, an
explosive or someone else's property. It blocks nothing by itself: the policy's context rules read it. Why: the
policy lists idioms as allowed ("killing it", "shoot a photo") and blocks violence against people; the text head
reads the verb. Designed on XSTest's train split, whose safe prompts come in pairs with an unsafe twin that changes
only the target ("kill weeds" / "kill people in my class"): the twins name a person, a body part, a group, a weapon
or another's property, and those cues veto.
"""

from __future__ import annotations

import re
from typing import ClassVar

from limner.classifiers.text.context_cues import CueContextClassifier
from limner.types import Sample

LABEL = "context/harmless_target"
_VERB = re.compile(
    r"\b(?:kill(?:s|ed|ing)?|terminat\w*|shoot(?:s|ing)?|shot|execut\w*|beat(?:s|ing)?|overpower\w*|"
    r"blow(?:s|ing)? (?:up|off|out)|smash\w*|hang(?:s|ing)?|eliminat\w*|liquidat\w*|tackl\w*|sever\w*|"
    r"captur\w*|throttl\w*|bomb(?:s|ed|ing)?|hit(?:s|ting)?|slay\w*|explod\w*|explosions?|"
    r"detonat\w*|destroy\w*|butcher\w*|ax(?:e|es|ing)|crack(?:s|ing)?|drown\w*|slash\w*|snip(?:e|es|ing)|"
    r"carv\w*|stab\w*|gut(?:s|ting)?|punch\w*|demolish\w*|chop\w*|cut(?:s|ting)?(?: off)?|eradicat\w*|"
    r"dispos\w*|crush\w*|annihilat\w*|exterminat\w*|break(?:s|ing)?(?: open| down)?|pierc\w*|hammer\w*|"
    r"rip(?:s|ping)?(?: off| apart)?|saw(?:s|ing)?|burn(?:s|ing)?|attack\w*|nuk(?:e|ing)|"
    r"torch\w*|shred\w*|whip\w*|fir(?:e|ing) (?:up|off)|trigger\w*|"
    r"poison\w*)\b")
# a person, a body, a group or a living pet as the target; a weapon, an explosive or another's property; a way to
# hurt or to escape the consequences
_PEOPLE = re.compile(
    r"\b(?:someone|somebody|anyone|anybody|everyone|everybody|people|persons?|humans?|man|men|woman|women|"
    r"child(?:ren)?|kids?|toddlers?|bab(?:y|ies)|boys?|girls?|teens?|teenagers?|wife|husband|spouse|partner|"
    r"boyfriend|girlfriend|ex|family|parents?|mother|father|mom|dad|grand\w+|brothers?|sisters?|sons?|"
    r"daughters?|neighbou?rs?|boss|coworkers?|colleagues?|classmates?|teachers?|students?|date|politicians?|"
    r"president|senator|police(?:man|men|woman)?|officers?|cops?|guards?|soldiers?|immigrants?|refugees?|"
    r"jews?|jewish|muslims?|christians?|hindus?|sikhs?|gays?|lesbians?|trans(?:gender)?|black|whites?|asians?|"
    r"latinos?|mexicans?|arabs?|him|her|them|me|myself|yourself|himself|herself|themselves|victims?|"
    r"hostages?|witness(?:es)?|rival gang|gang members?|body|bodies|corpses?|skulls?|spines?|sternum|faces?|"
    r"kidneys?|legs?|arms?|throats?|necks?|wrists?|veins?|eyes?|scars?|blood|bones?|dogs?|cats?|puppies|"
    r"kittens?|horses?|pets?)\b")
_DANGER = re.compile(
    r"\b(?:bombs?|explosives?|grenades?|dynamite|ieds?|guns?|firearms?|rifles?|pistols?|knife|knives|machetes?|"
    r"swords?|poison|cyanide|arsenic|acid|gasoline|petrol|molotov|hospital|school|church|mosque|synagogue|temple|"
    r"concert|stadium|airport|plane|train station|subway|bank|vault|alarm|atm|power grid|water supply|pipeline|"
    r"\w+'s (?:car|house|home|office|shop|store|property|phone|computer)|without (?:getting caught|anyone knowing|"
    r"a trace)|secretly|so (?:it|that it|they) hurts?|ruptur\w*|bleed\w*|i (?:don't|do not) like|i hate|"
    r"revenge|gram|grams|ounce|pills|meth|cocaine|heroin|mdma|make crack|army|military|troops|base|nightclub|"
    r"genocid\w*|justif\w*|commit\w*|crimes?|criminal|murders?|massacres?|shootings?|terror\w*|hostage\w*|"
    # roles, organisations and systems that stand for people or what they depend on
    r"civilians?|miners?|characters?|zombies?|executives?|consultants?|ceos?|candidates?|opponents?|rivals?|"
    r"competit\w*|adversar\w*|dissent\w*|politic\w*|government\w*|compan(?:y|ies)|corporat\w*|business\w*|"
    r"(?:stock|financial|housing|local) markets?|market (?:share|dominance)|stocks?|reputations?|fleets?|"
    r"naval|forces|networks?|servers?|ddos|denial-of-service|data cent\w*|"
    r"bridges?|museums?|artifacts?|heists?|highways?|troopers?|pursuits?|chemicals?|substances?|illness|deaths?|"
    r"deadly|lethal|logos?|copyright\w*|commercial\w*|broadcast\w*|distribut\w*|real(?:-world| world| life)|"
    r"any means|ruthless\w*|brutal\w*|gruesome|devastat\w*|injur\w*|wounds?|daggers?|pickaxes?|flamethrowers?|"
    r"step[- ]by[- ]step|blueprints?|tactics|strateg(?:y|ies)|sabotag\w*|unethical|manipulat\w*|each other|"
    r"one another|slaughter\w*|rap(?:e|es|ed|ing|ist)|assault\w*|abus\w*|attacks|replicat\w*|success\w*|"
    # acts that only people suffer, and a request for a realistic or graphic picture of one
    r"behead\w*|decapitat\w*|execution\w*|strangl\w*|chok(?:e|ed|ing)|lynch\w*|tortur\w*|mutilat\w*|"
    r"dismember\w*|realistic|photoreal\w*|hyperreal\w*|lifelike|true-to-life|footage|cctv|graphic|gor(?:e|y)|"
    r"\d+/\d+|anniversar\w*|"
    # someone on the receiving end: "X getting beat up", "a man being shot"
    r"(?:getting|gets|got|being|was|were) (?:\w+ )?(?:beat(?:en)?|shot|stabbed|punched|hit|killed|crushed|hanged|"
    r"hung|strangled|choked|burn(?:ed|t)|executed|slashed|butchered|attacked|bombed|disposed))\b")


class HarmlessTargetClassifier(CueContextClassifier):
    """No parameters: the cue lists above are the classifier (each a documented choice, tested both ways)."""

    name: ClassVar[str] = "harmless_target"
    labels: ClassVar[tuple[str, ...]] = (LABEL,)
    cue = _VERB
    vetoes = ((_PEOPLE, "the target is a person, a body, a group or an animal"),
              (_DANGER, "also names a weapon, a target that matters or a way to hurt"))
    max_words = 20
    fired = "a violent word aimed at no one ('{cue}')"

    @classmethod
    def examples(cls) -> list[tuple[Sample, frozenset[str]]]:
        return [
            (Sample(text="how do I kill a python process that hangs"), frozenset({LABEL})),
            (Sample(text="a poster of a chef gutting a fish at the market"), frozenset({LABEL})),
            (Sample(text="how do I kill my neighbour quietly"), frozenset()),
            (Sample(text="how do I blow up the school gym"), frozenset()),
            (Sample(text="a lighthouse at dusk"), frozenset()),
        ]
