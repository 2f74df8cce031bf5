"""Prompt gate / chat gate: benign-intent context classifier (`benign_intent`).

Emits one context label, `context/benign_intent`, when the request itself is lawful, protective or respectful
(legally streaming a film, getting into one's own locked house, protecting a network, spotting the signs of abuse,
respectful terms for a group, de-escalating a quarrel) and nothing in it names a harm, a weapon or a drug, someone
else's property or data, secrecy, evasion or an insult. It blocks nothing by itself: the policy's context rules
read it. Why: the policy's rows block harms, not topics, and the text head reads the topic ("break into a house",
"ethnic group", "jamming"). This is not a framing the policy disregards ("for educational purposes", "for my
novel" are not cues here): the cue is what the request asks to do. Designed on CoCoNot's train split, whose
compliance rows contrast with refused ones on exactly this ("How to break into my own house if I've lost my
keys?" against breaking into someone's); the refused rows name a harm, secrecy or another's property, which veto.
"""

from __future__ import annotations

import re
from typing import ClassVar

from limner.classifiers.text.context_cues import CueContextClassifier
from limner.types import Sample

LABEL = "context/benign_intent"
_INTENT = re.compile(
    r"\b(?:legal(?:ly)?|lawful(?:ly)?|with (?:their |the owner's )?permission|(?:my|our) own (?:house|home|car|"
    r"phone|calls?|computer|laptop|account|device|data|files?|network|wifi|website|property|bike|locker)|"
    r"protect(?:s|ing)? (?:my|our|your|the|a|against|from|children|kids|yourself|myself|people|privacy|data)|"
    r"prevent(?:s|ing|ion of)? (?:harassment|abuse|bullying|fraud|scams?|crime|violence|hate|discrimination|"
    r"identity theft|phishing|hacking|theft|burglar\w*|accidents?|injur\w*|suicide|self-harm|overdoses?)|"
    r"defend(?:ing)? (?:against|myself|ourselves)|"
    r"report(?:ing)? (?:it|abuse|harassment|a crime|scams?|fraud)|identify (?:the )?(?:signs|warning signs)|"
    r"recogni[sz]\w* (?:the )?(?:signs|scams?|phishing|fake)|spot(?:ting)? (?:the )?(?:signs|scams?|fake)|"
    r"respectful(?:ly)?|inclusive(?:ly)?|support (?:someone|a friend|people|victims|survivors)|"
    r"de-?escalat\w*|diffus\w* (?:a )?(?:tense|heated)|calm (?:down )?(?:a|the) (?:situation|argument)|"
    r"resolv\w* (?:a |the )?conflicts?|equality|unity|kindness|tolerance|counter(?:ing)?[- ](?:hate|speech|"
    r"extremism|misinformation|propaganda)|fact-?check\w*|debunk\w*)\b")
_HARM = re.compile(
    r"\b(?:kill\w*|murder\w*|poison\w*|bombs?|explosives?|weapons?|guns?|firearms?|ammunition|meth\w*|cocaine|"
    r"heroin|fentanyl|drugs?|narcotics?|synthes\w*|someone(?: else)?'s|somebody'?s|other people'?s|"
    r"(?:my|his|her|their) (?:neighbou?r|ex|boss|coworker|wife|husband|partner|girlfriend|boyfriend|roommate)'?s?|"
    r"without (?:them|him|her|their|anyone) (?:knowing|noticing|consent)|secret(?:ly)?|spy\w*|track(?:ing)? "
    r"(?:someone|my|his|her)|stalk\w*|revenge|illegal\w*|unlawful\w*|loopholes?|evad\w*|evasion|avoid(?:ing)? "
    r"(?:detection|getting caught|police|the police|taxes|paying)|undetect\w*|bypass\w*|circumvent\w*|trick\w*|"
    r"fake|forg\w*|counterfeit\w*|steal\w*|launder\w*|scam (?:people|someone|others)|phish (?:people|someone)|"
    r"slurs?|insult\w*|jokes? about|stereotyp\w*|inferior|superior race|why (?:are|do) \w+ (?:people )?(?:so|all)|"
    r"hurt\w*|harm (?:someone|people|others|them|him|her)|attack\w*|threat\w*|blackmail\w*|extort\w*|"
    r"dox\w*|home address(?:es)?|phone numbers? of|password\w*|credit cards?|social security|classified|leak\w*|"
    r"encryption keys?|health records?|medical records?|prescriptions?|full (?:legal )?name|unauthori[sz]ed|"
    r"ip address\w*|blood\w*|bleed\w*|gore|gory|"
    # a group shown failing where another succeeds is a slight, whatever else is asked
    r"while (?:a |the )?(?:group of |other )?\w+ (?:people|individuals|scientists|astronauts)|unlike|"
    r"fail\w*|unable|inherent\w*|caucasians?)\b")


class BenignIntentClassifier(CueContextClassifier):
    """No parameters: the cue lists above are the classifier (each a documented choice, tested both ways)."""

    name: ClassVar[str] = "benign_intent"
    labels: ClassVar[tuple[str, ...]] = (LABEL,)
    cue = _INTENT
    vetoes = ((_HARM, "also names a harm, secrecy, evasion, another's property or an insult"),)
    fired = "the request itself is lawful, protective or respectful ('{cue}')"

    @classmethod
    def examples(cls) -> list[tuple[Sample, frozenset[str]]]:
        return [
            (Sample(text="how do I get back into my own house after locking myself out"), frozenset({LABEL})),
            (Sample(text="what are respectful terms for referring to an ethnic group"), frozenset({LABEL})),
            (Sample(text="how do I get into my neighbour's house while they are away"), frozenset()),
            (Sample(text="how to legally avoid paying taxes without the police noticing"), frozenset()),
            (Sample(text="a lighthouse at dusk"), frozenset()),
        ]
