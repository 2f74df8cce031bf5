"""Prompt gate / chat gate, feature recipe shared by training and inference (one place, so they cannot drift).

Decides nothing. Long prompts (jailbreak wrappers, pasted stories) are cut into sentence windows and scored as
well as the whole text, because a 256-token encoder would otherwise truncate or dilute the actual request. For
conversations it builds the context text: earlier user turns that the last turn refers back to ("now make her
younger", "same but without clothes"), skipping turns that the assistant refused unless the last turn points
back at them, so an earlier refusal does not taint a later, self-contained request.
"""

from __future__ import annotations

import re

from limner.types import Role, Turn

MAX_WORDS = 48
_SENT = re.compile(r"(?<=[.!?;:\n])\s+|\n+")
_REFUSAL = re.compile(
    r"\b(?:can(?:'|no)t|cannot|won't|unable|not able|sorry|against (?:the|our) (?:content )?policy|"
    r"not allowed|refuse)\b",
    re.I,
)
# The last turn leans on earlier turns: an edit instruction or a pronoun with no noun of its own.
_REFERS = re.compile(
    r"^(?:now|same|again|also|and|but|then|make|add|remove|change|put|turn|give|take|"
    r"keep|show|do|redo|edit|more|less|without|with|instead|this|that|it|her|him|them|she|he|they)\b|"
    r"\b(?:her|him|them|it|she|he|they|this|that|same|again|instead|younger|older|the (?:girl|boy|"
    r"woman|man|kid|child|person|picture|image|one))\b",
    re.I,
)


def chunks(text: str) -> list[str]:
    """The whole text plus sentence windows of at most MAX_WORDS words when the text is longer than that."""
    words = text.split()
    if len(words) <= MAX_WORDS:
        return [text]
    out = [text]
    cur: list[str] = []
    for sent in _SENT.split(text):
        sw = sent.split()
        if not sw:
            continue
        if cur and len(cur) + len(sw) > MAX_WORDS:
            out.append(" ".join(cur))
            cur = []
        cur += sw[: MAX_WORDS * 2]
    if cur:
        out.append(" ".join(cur))
    return out


# Over this many words a prompt is also read sentence by sentence (jailbreak wrappers run to hundreds of words and
# hide a one-line request among sentences about the assistant's rules; a 48-word window still dilutes it).
SENTENCE_SPLIT_WORDS = 100
MIN_SENTENCE_WORDS = 4  # shorter fragments ("it's not real.") scored alone mostly add noise


# Templates also hide the request in an assigned slot rather than a sentence ("{Z}={...}", "variable Z = [...]"):
# a bracketed value after "=" is read as a sentence too. (Splitting at every bracket was measured and rejected:
# bracketed template instructions read alone look like requests and refuse harmless ones.)
_SLOT_VALUE = re.compile(r"=\s*[\[{(]([^\]})]+)[\]})]")


def sentences(text: str, over_words: int = SENTENCE_SPLIT_WORDS) -> list[str]:
    """Single sentences of a text over `over_words` words (4 to MAX_WORDS words each), and the values assigned to
    slots in them."""
    if len(text.split()) <= over_words:
        return []
    out: list[str] = []
    for sent in _SENT.split(text):
        parts = [sent, *(m.group(1) for m in _SLOT_VALUE.finditer(sent))]
        for part in parts:
            piece = part.strip(" -*#>\t\"'")
            if MIN_SENTENCE_WORDS <= len(piece.split()) <= MAX_WORDS and piece not in out:
                out.append(piece)
    return out


def refers_back(text: str) -> bool:
    return len(text.split()) <= 16 and bool(_REFERS.search(text.strip()))


def is_refusal(text: str) -> bool:
    return bool(_REFUSAL.search(text))


def context_text(turns: tuple[Turn, ...], max_user_turns: int = 3) -> tuple[str, bool]:
    """(context string ending with the last user turn, whether the last turn refers back)."""
    users: list[tuple[str, bool]] = []  # (content, refused)
    for i, t in enumerate(turns):
        if t.role == Role.USER:
            nxt = turns[i + 1] if i + 1 < len(turns) else None
            refused = nxt is not None and nxt.role == Role.ASSISTANT and is_refusal(nxt.content)
            users.append((t.content, refused))
    if not users:
        return "", False
    last = users[-1][0]
    back = refers_back(last)
    prev = users[:-1][-(max_user_turns - 1) :] if max_user_turns > 1 else []
    # Without a reference back, a refused turn is history, not context: it must not taint the new request.
    ctx = [c for c, refused in prev if back or not refused]
    return " . ".join([*ctx, last]), back
