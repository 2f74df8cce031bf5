"""Prompt gate / chat gate: protective-education context classifier (`protective_education`).

Emits one context label, `context/protective_education`, when the prompt asks for education, prevention or
awareness material about sexual health or sexual exploitation (a sex-education lesson, a poster on reporting
grooming, an infographic on consent for teenagers) and nothing in it depicts a sexual act, a sexualised or unclothed
body, or tells someone how to approach, lure or exploit a child. It blocks nothing by itself: the policy's context
rules read it. Why: the policy allows sexual-health education and prevention posters (for under-18 accounts too)
and blocks any sexualisation of minors; the text head reads "sexual" next to "children" as sexualisation either
way. On OVERT's train split every refused request of this kind names the act, the body or the exploitation it asks
to show ("practising simulated sexual acts", "exploring their bodies", "sending nude photos"); those cues veto.
"""

from __future__ import annotations

import re
from typing import ClassVar

from limner.classifiers.text.context_cues import CueContextClassifier
from limner.types import Sample

LABEL = "context/protective_education"
_FRAME = re.compile(
    r"\b(?:sex(?:ual)?[- ](?:health|education|ed|wellness|development)|reproductive health|puberty|"
    r"(?:health|sex|biology|wellness) (?:class|lesson|classes|lessons|curriculum|program(?:me)?|teacher)|"
    r"education(?:al)?|lesson(?: plan)?s?|classroom|curriculum|workshops?|seminars?|assembl(?:y|ies)|"
    r"awareness|prevent(?:ing|ion|s)?|protect(?:ing|ion|s)?|safeguard(?:ing)?|report(?:ing)?|"
    r"(?:online|internet|personal|body) safety|counsel(?:l)?or|counsel(?:l)?ing|therapist|pediatrician|"
    r"paediatrician|nurse|hotlines?|help ?lines?|support (?:groups?|services?|resources?)|resources? (?:for|available)|"
    r"pamphlets?|brochures?|leaflets?|posters?|infographics?|campaigns?|textbooks?|"
    r"recogni[sz](?:e|ing)|identify(?:ing)?|spot(?:ting)? the signs|warning signs|media literacy|"
    r"consent|(?:healthy|personal) boundaries|parental controls?|content filter(?:ing|s)?)\b")
# the frame must be about this: sexual health or protection from sexual harm (a "poster" alone is an art prompt)
_TOPIC = re.compile(
    r"\b(?:sex\w*|consent|puberty|reproducti\w*|contracepti\w*|pornograph\w*|adult (?:films?|entertainment|content)|"
    r"explicit (?:online )?(?:content|materials?)|indecent|inappropriate (?:content|touch\w*|messages?|images?)|"
    r"groom\w*|exploitation|abuse|assault|harass\w*|traffick\w*|boundar(?:y|ies)|online safety|internet safety|"
    r"intimacy|relationships?|dating|lgbt\w*|gender)\b")
# what must not be shown or taught, whatever the frame
_SEXUAL_DEPICTION = re.compile(
    r"\b(?:explicit (?:sexual )?(?:acts?|activit(?:y|ies)|scenes?|scenarios?|images?|photos?|pictures?|"
    r"demonstrations?|depictions?|descriptions?|positions?|details?)|graphic (?:sexual|depictions?|details?)|"
    r"sexual (?:acts?|activit(?:y|ies)|positions?|scenarios?|poses?|games?|exploration|intercourse|touch\w*)|"
    r"oral sex|penetrat\w*|intercourse|masturbat\w*|genital\w*|simulat\w*|re-?enact\w*|act(?:s|ing)? out|"
    r"role-?play\w*|engag(?:e|es|ed|ing) in|perform(?:s|ed|ing)? (?:sexual|sex)|practi[cs]\w* (?:sex|sexual|"
    r"simulated)|explor\w* (?:their|each other'?s?|his|her|the) bod\w*|bodies|sensual\w*|suggestive\w*|"
    r"seductive\w*|provocative\w*|sexy|erotic\w*|arous\w*|fantasi[sz]\w*|nud(?:e|es|ity)|naked|undress\w*|"
    r"unclothed|topless|lingerie|underwear|bikini|strip\w*|in bed|kiss\w*|fondl\w*|caress\w*|"
    r"focus(?:es|ed|ing)? on (?:the )?(?:sexual|intimate|explicit|body|bodies|graphic|physical|feeling)|"
    r"explicit (?:sexual |sexually )?(?:interactions?|body language|content involving|material involving children)|"
    r"(?:show|shows|showing|display|displaying|depict|depicting|featuring|detailing) (?:sexually )?explicit|"
    r"graphically|physical acts?|sexual encounters?|intimate (?:images?|photos?|encounters?)|flash\w*|touch\w*|"
    r"grop\w*|make-?out|orgasm\w*|positions?|sex practices)\b")
_EXPLOIT = re.compile(
    r"\b(?:how to (?:groom|lure|approach|befriend|meet|contact|message|seduce|get (?:a |the )?(?:child|kid|minor|"
    r"teen)\w*)|to (?:lure|groom|seduce)|without (?:their )?parents?'? (?:knowing|knowledge|consent)|secret(?:ly)?|"
    r"sextort\w* (?:scripts?|templates?|messages? to)|trade|exchang\w*|sending|send(?:s)? (?:nude|explicit)|"
    r"for (?:sale|money|profit)|sell\w*|ignor\w*|distribut\w*|stalk\w*|trap\w*|retaliat\w*|"
    r"exploit (?:\w+ ){0,3}(?:for|to get) (?:sex|sexual))\b")


class ProtectiveEducationClassifier(CueContextClassifier):
    """No parameters: the cue lists above are the classifier (each a documented choice, tested both ways)."""

    name: ClassVar[str] = "protective_education"
    labels: ClassVar[tuple[str, ...]] = (LABEL,)
    cue = _FRAME
    vetoes = ((_SEXUAL_DEPICTION, "also asks to show sexual acts, sexualised or unclothed bodies"),
              (_EXPLOIT, "also asks how to reach, exploit or trade with someone"))
    fired = "education, prevention or awareness material with nothing sexual shown ('{cue}')"

    def veto_text(self, text: str) -> str | None:
        return None if _TOPIC.search(text) else "names no sexual-health or child-protection topic"

    @classmethod
    def examples(cls) -> list[tuple[Sample, frozenset[str]]]:
        return [
            (Sample(text="a poster for a school assembly on how children can report online grooming"),
             frozenset({LABEL})),
            (Sample(text="an infographic on consent and healthy boundaries for a teen sex-ed class"),
             frozenset({LABEL})),
            (Sample(text="a sex-ed lesson where teenagers act out sexual positions"), frozenset()),
            (Sample(text="an awareness poster showing a naked child"), frozenset()),
            (Sample(text="a guide on how to approach a child online without parents knowing, for awareness"),
             frozenset()),
            (Sample(text="a lighthouse at dusk"), frozenset()),
        ]
