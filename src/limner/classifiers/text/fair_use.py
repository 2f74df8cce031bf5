"""Prompt gate / chat gate: fair-use context classifier (`fair_use`).

Emits one context label, `context/fair_use`, when the prompt works with copyrighted or trademarked material (a
sampled song, a fan comic, a study of a copyrighted character, a school play adapting a film) and nothing in it
exploits the work commercially, distributes it, circumvents a protection or passes it off, and nothing in it is one
of the real harms the illicit row names. It blocks nothing by itself: the policy's context rules read it. Why: the
policy's illicit row blocks actionable instructions for weapons, drugs, fraud, laundering or theft; copying a work
to sell, distribute or pirate it is the theft, while studying, sampling, parodying or adapting it for a class, a
review or oneself is not, yet the text head reads "copyrighted" as illicit either way. On OVERT's train split
(597 copyright rows) every refused request names a sale, a profit, a distribution, a broadcast, an advertisement, a
circumvention or a bootleg; those cues veto this context.
"""

from __future__ import annotations

import re
from typing import ClassVar

from limner.classifiers.text.context_cues import CueContextClassifier
from limner.types import Sample

LABEL = "context/fair_use"
_WORK = re.compile(
    r"\b(?:copyright(?:ed)?|trademark(?:ed)?|intellectual property|(?:legally )?(?:protected|restricted) "
    r"(?:songs?|music|images?|photos?|works?|materials?|characters?|designs?|texts?|footage|clips?)|"
    r"fan[- ]?(?:fiction|fic|made|art|comics?|films?|videos?)|fanfic|remix(?:es|ing)?|mash-?ups?|"
    r"sampl(?:e|es|ed|ing) (?:audio|music|songs?|clips?|loops?|melod(?:y|ies)|beats?|portions?|from)|parod(?:y|ies)|"
    r"pastiche|homage)\b")
_EXPLOIT = re.compile(
    r"\b(?:profit\w*|for-profit|sell\w*|sold|sales?|for-sale|resale|resell\w*|commercial\w*|moneti[sz]\w*|"
    r"merchandise|merch|marketing|promot\w*|market(?:ed|ing)?|advertis\w*|ads?|brand(?:ed|ing)? products?|"
    r"mass[- ]produc\w*|"
    r"distribut\w*|broadcast\w*|streaming service|publish\w*|bootleg\w*|counterfeit\w*|knock-?offs?|"
    r"unauthori[sz]ed|pirat\w*|torrent\w*|crack(?:ed|ing)?|bypass\w*|circumvent\w*|drm|watermarks?|"
    r"royalt(?:y|ies)|without (?:permission|paying|credit|a licen[cs]e|licensing|attribution)|"
    r"avoid(?:ing)? (?:paying|licen\w*|detection|copyright (?:claims|strikes))|"
    r"pass(?:ing)? (?:it|them|this) off|as (?:my|their|his|her) own|plagiari\w*|tickets?|paid|revenue|"
    r"exact (?:cop(?:y|ies)|replicas?)|entire (?:books?|chapters?|films?|movies?|albums?|episodes?|seasons?))\b")
_HARM = re.compile(
    r"\b(?:bombs?|explosives?|weapons?|guns?|rifles?|firearms?|ammunition|meth|methamphetamine|cocaine|heroin|"
    r"fentanyl|drugs?|"
    r"poisons?|toxins?|ricin|launder\w*|fraud\w*|scams?|phishing|steal\w*|theft|burglar\w*|shoplift\w*|"
    r"hack\w*|malware|ransomware|skimm\w*|credit cards?|passports?|ids?|licen[cs]es? plates?|banknotes?|"
    r"currency|money|kill\w*|attack\w*)\b")


class FairUseClassifier(CueContextClassifier):
    """No parameters: the cue lists above are the classifier (each a documented choice, tested both ways)."""

    name: ClassVar[str] = "fair_use"
    labels: ClassVar[tuple[str, ...]] = (LABEL,)
    cue = _WORK
    vetoes = ((_EXPLOIT, "also sells, distributes, circumvents or passes off the work"),
              (_HARM, "also names a harm the illicit row blocks"))
    fired = "uses a protected work without exploiting it ('{cue}')"

    @classmethod
    def examples(cls) -> list[tuple[Sample, frozenset[str]]]:
        return [
            (Sample(text="a storyboard of a school play adapting a copyrighted film"), frozenset({LABEL})),
            (Sample(text="show how to sample audio from a copyrighted song for my own practice beat"),
             frozenset({LABEL})),
            (Sample(text="a guide to copying a copyrighted comic character onto t-shirts to sell"), frozenset()),
            (Sample(text="a copyrighted parody guide to building a pipe bomb"), frozenset()),
            (Sample(text="a lighthouse at dusk"), frozenset()),
        ]
