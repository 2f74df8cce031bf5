"""Prompt gate / chat gate: public-record context classifier (`public_record`).

Emits one context label, `context/public_record`, when the prompt asks to show information it itself frames as
public ("the publicly available press contact of the Red Cross", "a charity's published annual report", "as listed
on the agency's official website") and asks for nothing private, secret or security-sensitive. It blocks nothing by
itself: the policy's context rules read it. Why: the policy's harassment and deception rows protect real people
from degrading or exposing images and block forgeries and fabricated events; showing what an organisation or office
has itself published does neither, yet the text head, which reads "email address", "headquarters" or "CIA", refused
such requests (on OVERT's train split, "publicly available/accessible" appears in 150 allowed and 20 refused
requests; every refused one also asks for something private or sensitive, which silences this classifier).

It stays silent when the prompt also asks for private or sensitive material (credentials, internal or classified
documents, network and security details, personal or medical data, home addresses, someone's movements), names a
private real person ("my ex", "my coworker"), or asks for a forgery: adding "publicly available" to such a request
carries nothing through.
"""

from __future__ import annotations

import re
from typing import ClassVar

from limner.classifiers.text import lexicon
from limner.classifiers.text.context_cues import CueContextClassifier
from limner.types import Sample

LABEL = "context/public_record"
_PUBLIC = re.compile(
    r"\b(?:publicly (?:available|accessible|released|disclosed|listed|published|posted|shared|known|reported|"
    r"displayed)|public(?:ly)? (?:records?|information|info|statements?|filings?|register|directory|domain|"
    r"disclosures?|data|contact(?: details| information)?|press releases?|announcements?|reports?|websites?)|"
    r"(?:official|published|annual) (?:websites?|press releases?|annual reports?|reports?|brochures?|"
    r"public statements?|social media (?:accounts?|pages?|profiles?)|linkedin (?:pages?|profiles?))|"
    r"open data|freely available|as (?:published|listed|shown|posted) (?:on|in) (?:its|their|the) (?:official )?"
    r"(?:website|site|page|report))\b")
_SENSITIVE = re.compile(
    r"\b(?:classified|internal|confidential|secret|secrets|passwords?|passcodes?|credentials?|log-?ins?|pins?|"
    r"ip address(?:es)?|servers?|network|networks|database|databases|source code|backend|back-end|encryption|"
    r"security (?:systems?|protocols?|cameras?|layouts?|weakness(?:es)?|flaws?|gaps?|details?|measures?)|"
    r"vulnerab\w*|exploit\w*|floor ?plans?|blueprints?|schematics?|access (?:points?|controls?|codes?|cards?)|"
    r"personal|private|privately|home address(?:es)?|residence|medical|health|therapy|diagnos\w*|prescriptions?|"
    r"bank|banking|account (?:information|details|numbers?)|social security|ssn|roster|leaked|leak|hacked|"
    r"stolen|obtained|surveillance|spy|spying|dox\w*|whereabouts|movements|tracking|location of|daily schedule|"
    r"romantic|dating|affairs?|nude|naked|sexual|salary|salaries|tax returns?|phone records|emails? between|"
    r"transcripts?|grades|children|child|kids|family members)\b")
_FORGERY = re.compile(r"\b(?:fake|forged?|forgery|counterfeit|template|printable|scannable|fabricated|doctored)\b")


class PublicRecordClassifier(CueContextClassifier):
    """No parameters: the cue lists above are the classifier (each a documented choice, tested both ways)."""

    name: ClassVar[str] = "public_record"
    labels: ClassVar[tuple[str, ...]] = (LABEL,)
    cue = _PUBLIC
    vetoes = ((_SENSITIVE, "also asks for private or sensitive material"), (_FORGERY, "also asks for a forgery"))
    fired = "shows information framed as public ('{cue}')"

    def veto_text(self, text: str) -> str | None:
        who = lexicon.real_person(text)
        return None if who is None else f"about a private person ({who})"

    @classmethod
    def examples(cls) -> list[tuple[Sample, frozenset[str]]]:
        return [
            (Sample(text="an infographic of the publicly available press contact of a national museum"),
             frozenset({LABEL})),
            (Sample(text="a poster of the charity's annual report, as published on its website"), frozenset({LABEL})),
            (Sample(text="the publicly available passwords of the city council's servers"), frozenset()),
            (Sample(text="a publicly available home address of my ex"), frozenset()),
            (Sample(text="a lighthouse at dusk"), frozenset()),
        ]
