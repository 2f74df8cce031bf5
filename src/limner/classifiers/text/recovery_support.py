"""Prompt gate / chat gate: recovery-and-support context classifier (`recovery_support`).

Emits one context label, `context/recovery_support`, when the prompt frames self-harm, suicide or disordered eating
through recovery, coping, prevention or help-seeking (a therapist's office, a crisis line, a support group, healthy
coping, healed scars as part of a recovery story) and nothing in it shows an act in progress, a fresh injury, a
method, a means at hand or a plan. It blocks nothing by itself: the policy's context rules read it (adult tier
only: under-18 accounts get no self-harm depiction even for recovery). Why: the policy allows recovery,
prevention, awareness, therapy and crisis-line imagery and blocks encouragement, glorification and method
information; the text head reads "self-harm" as harm either way. On OVERT's train split the refused requests that
mention help or therapy also show the act ("actively using a sharp object", "overdosing in defiance of their
therapist", "instructions on how to effectively self-harm"); those cues veto.
"""

from __future__ import annotations

import re
from typing import ClassVar

from limner.classifiers.text.context_cues import CueContextClassifier
from limner.types import Sample

LABEL = "context/recovery_support"
_RECOVERY = re.compile(
    r"\b(?:therap(?:y|ist|ists|eutic)|counsel(?:l)?(?:or|ors|ing)|psychologist|psychiatrist|doctor|nurse|"
    r"support (?:groups?|network|services?|resources?|line)|hotlines?|help ?lines?|crisis (?:lines?|centers?|"
    r"centres?|text line)|lifeline|emergency services|recover(?:y|ing|ed)?|cop(?:e|es|ing)(?: mechanisms?| skills?)?|"
    r"heal(?:ing|ed|s)?|overcom(?:e|es|ing)|resilien(?:ce|t)|(?:seek|seeking|sought|reach(?:es|ing)? out for|"
    r"ask(?:ing)? for|get(?:ting)?) (?:professional )?help|self-care|mindfulness|meditat\w*|distract(?:ion|ing|s)? "
    r"from|manag(?:e|es|ing|ement of) (?:the )?(?:thoughts|urges?|feelings)|prevention|awareness|alternatives? to|"
    r"safety plan|hope(?:ful)?|intervention|intervening)\b")
# an act in progress, a fresh injury, a means at hand, a method or a plan: not recovery, whatever else is named
_ACT = re.compile(
    r"\b(?:activ(?:e|ely)|currently|fresh|recent|new(?:ly)? (?:cuts?|wounds?)|bleed\w*|blood\w*|razor\w*|blades?|"
    r"knife|knives|sharp objects?|nooses?|ropes?|tying|tighten\w*|pills?|overdos\w*|poison\w*|toxic|inhal\w*|"
    r"lethal|stab\w*|slash\w*|carv\w*|burn(?:s|ing|ed)? (?:the |their |his |her )?(?:skin|arm|wrist)|"
    r"inflict\w*|mutilat\w*|cutting (?:themsel\w*|into|their|his|her)|cuts? (?:on|into|themsel\w*)|"
    r"methods?|techniques?|instructions?|step[- ]by[- ]step|how to (?:effectively )?(?:self-harm|cut|hurt|harm|kill|"
    r"end|die|starve|purge|hide)|ways to (?:induce|hurt|harm|die|end|deepen|hide)|"
    r"(?:suicide|goodbye) (?:note|letter)|note (?:\w+ ){0,4}reasons|wanting to die|want to die|"
    r"contemplat\w* (?:whether|taking|jumping|ending|suicide)|edge of (?:a |the )?(?:cliff|roof|rooftop|bridge|"
    r"building|precipice)|ledge|jump\w*|thinspo\w*|bonespo\w*|meanspo\w*|pro-?ana|pro-?mia|barcode|"
    r"romantic\w*|glamo(?:u)?r\w*|beautiful (?:cuts|scars|wounds)|aesthetic|defian\w*|despite|ignor\w*|refus\w*|"
    r"mock\w*|dismiss\w*|encourag\w*|prais\w*|glorif\w*|rooftops?|roof|inject\w*|cease to exist|"
    r"plan(?:s|ned|ning)? to|punish\w*|fail(?:s|ed|ing)? to|"
    r"(?:desire|wish|wanting|want) to (?:disappear|vanish|sleep forever)|end (?:all|the|my|their|his|her) "
    r"(?:suffering|pain|life))\b")


class RecoverySupportClassifier(CueContextClassifier):
    """No parameters: the cue lists above are the classifier (each a documented choice, tested both ways)."""

    name: ClassVar[str] = "recovery_support"
    labels: ClassVar[tuple[str, ...]] = (LABEL,)
    cue = _RECOVERY
    vetoes = ((_ACT, "also shows an act, a fresh injury, a means, a method or a plan"),)
    fired = "frames self-harm through recovery, coping or help-seeking ('{cue}')"

    @classmethod
    def examples(cls) -> list[tuple[Sample, frozenset[str]]]:
        return [
            (Sample(text="a therapist talking with a teenager about coping with urges to self-harm"),
             frozenset({LABEL})),
            (Sample(text="a poster for a suicide prevention crisis line, a hand reaching toward the light"),
             frozenset({LABEL})),
            (Sample(text="a person in therapy holding a razor blade over fresh cuts"), frozenset()),
            (Sample(text="instructions on how to hide self-harm from your therapist"), frozenset()),
            (Sample(text="a lighthouse at dusk"), frozenset()),
        ]
