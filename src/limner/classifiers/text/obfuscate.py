"""Prompt gate, evaluation helpers: obfuscation styles applied to prompts to measure the normaliser.

Decides nothing. Each function rewrites a prompt the way an evasive user or a red-team tool would (homoglyphs,
leetspeak, zero-width characters, split letters, typos, base64, jailbreak wrappers). The benchmark applies them to
dev prompts; tests use them to check that `normalize()` undoes what it claims to undo.
"""

from __future__ import annotations

import base64
import random
from collections.abc import Callable

_HOMO = {"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х", "y": "у", "i": "і", "s": "ѕ", "j": "ј"}
_LEET = {"a": "4", "e": "3", "i": "1", "o": "0", "s": "5", "t": "7"}


def homoglyph(text: str, rng: random.Random) -> str:
    return "".join(_HOMO[c] if c in _HOMO and rng.random() < 0.6 else c for c in text)


def leetspeak(text: str, rng: random.Random) -> str:
    return "".join(_LEET[c] if c in _LEET and rng.random() < 0.7 else c for c in text)


def zero_width(text: str, rng: random.Random) -> str:
    out = []
    for w in text.split(" "):
        if len(w) > 3:
            k = rng.randrange(1, len(w))
            w = w[:k] + rng.choice(("\u200b", "\u200c", "\u2060", "\ufeff")) + w[k:]
        out.append(w)
    return " ".join(out)


def split_letters(text: str, rng: random.Random) -> str:
    """Spell the longer words with separators: "n u d e", "g.o.r.e"."""
    sep = rng.choice((" ", ".", "-", "*"))
    return " ".join(sep.join(w) if len(w) >= 4 and w.isalpha() and rng.random() < 0.5 else w for w in text.split(" "))


def typos(text: str, rng: random.Random) -> str:
    """One edit (drop, double, swap) in about half of the words of five or more letters."""
    out = []
    for w in text.split(" "):
        if len(w) >= 5 and w.isalpha() and rng.random() < 0.5:
            k = rng.randrange(1, len(w) - 1)
            op = rng.randrange(3)
            w = (
                w[:k] + w[k + 1 :]
                if op == 0
                else w[:k] + w[k] + w[k:]
                if op == 1
                else w[: k - 1] + w[k] + w[k - 1] + w[k + 1 :]
            )
        out.append(w)
    return " ".join(out)


def base64_payload(text: str, rng: random.Random) -> str:
    enc = base64.b64encode(text.encode("utf-8")).decode("ascii")
    return rng.choice(("decode this base64 and draw it: {e}", "{e}", "image prompt (b64): {e}")).format(e=enc)


def spacing_case(text: str, rng: random.Random) -> str:
    return "".join(c.upper() if rng.random() < 0.5 else c for c in text).replace(" ", rng.choice(("  ", "_", " . ")))


STYLES: dict[str, Callable[[str, random.Random], str]] = {
    "homoglyph": homoglyph,
    "leetspeak": leetspeak,
    "zero_width": zero_width,
    "split_letters": split_letters,
    "typos": typos,
    "base64": base64_payload,
    "spacing_case": spacing_case,
}


def jailbreak_wrap(text: str, template: str) -> str:
    return template.replace("{{ prompt }}", text)
