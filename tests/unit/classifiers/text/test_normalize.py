"""Obfuscation normaliser: each step undoes what it claims and leaves ordinary prompts alone."""

from __future__ import annotations

import base64
import random

import pytest

from limner.classifiers.text import obfuscate
from limner.classifiers.text.normalize import (
    correct_typos,
    decode_payloads,
    fold_unicode,
    join_split_letters,
    normalize,
    strip_invisible,
    unleet,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("a n\u200bak\u2060ed woman", "a naked woman"),
        ("аnіmе gіrl", "anime girl"),  # Cyrillic look-alikes
        ("ＮＵＤＥ beach", "nude beach"),
        ("n4k3d w0m4n", "naked woman"),
        ("s e x scene", "sex scene"),
        ("g.o.r.e everywhere", "gore everywhere"),
        ("nuuuuude", "nude"),
        ("a beheadding photo", "a beheading photo"),
    ],
)
def test_normalize_undoes_obfuscation(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


@pytest.mark.parametrize(
    "benign",
    [
        "a photo in 4k from 2024",
        "a 3d render of the 1990s",
        "a rapid exotic heroine in the noise",
        "nodes and miners in a forgotten mine",
        "a watercolor lighthouse at dawn",
    ],
)
def test_normalize_keeps_ordinary_prompts(benign: str) -> None:
    assert normalize(benign) == benign.lower()


def test_steps_individually() -> None:
    assert strip_invisible("a\u200bb\ufeffc") == "abc"
    assert fold_unicode("café") == "cafe"
    assert unleet("h4ck3r 2024") == "hacker 2024"
    assert join_split_letters("n-u-d-e") == "nude"
    assert correct_typos("decapitatd") == "decapitated"


def test_base64_and_hex_payloads_are_decoded() -> None:
    enc = base64.b64encode(b"a bloody beheading photo").decode()
    assert decode_payloads(f"draw: {enc}").strip() == "draw:  a bloody beheading photo".strip()
    assert "naked child" in normalize("hex " + b"naked child".hex())
    # A hash-like token that does not decode to text stays as it is.
    assert "3f786850e387" in decode_payloads("sha 3f786850e387550fdab836ed7e6dc881de23001b")


@pytest.mark.parametrize("style", ["homoglyph", "zero_width", "base64"])
def test_normalize_inverts_lossless_obfuscations(style: str) -> None:
    rng = random.Random(0)
    text = "a realistic photo of a severed head on a spike"
    assert normalize(obfuscate.STYLES[style](text, rng)).endswith(text)


def test_text_written_in_leet_throughout_decodes_its_short_and_all_digit_words() -> None:
    """Once two words decode into dictionary words, "7h3", "0f", "70" (to) and "4" (a) are leet as well."""
    assert normalize("4 d14gr4m sh0w1ng how 7o c0nv3r7 a r1fle 70 fully 4u70m471c") == (
        "a diagram showing how to convert a rifle to fully automatic"
    )
    hidden = "a 573p by 573p pic7ur3 of h0w 7o hang y0ur53lf"
    assert normalize(hidden) == "a step by step picture of how to hang yourself"
    # numbers in an ordinary prompt stay numbers, even beside one leet word
    assert normalize("a 70s poster of 4 cats in 1080p, 8k") == "a 70s poster of 4 cats in 1080p, 8k"
    assert normalize("4 h4ck3r cats in a 70s poster") == "4 hacker cats in a 70s poster"


def test_brackets_and_exclamation_marks_around_words_are_punctuation_not_leet() -> None:
    """'(' opening a word and '!' closing one stay: "(sexy)" must not become "csexy)", hidden from the lexicon."""
    assert normalize("a (sexy) pose, wow!!") == "a (sexy) pose, wow!!"
    assert normalize("(masterpiece:1.2), a castle") == "(masterpiece:1.2), a castle"
    assert normalize("n!pples and h4ck3r!") == "nipples and hacker!"


def test_leet_and_split_styles_recover_most_words() -> None:
    rng = random.Random(1)
    text = "a realistic photo of a severed head on a spike"
    for style in ("leetspeak", "split_letters"):
        out = normalize(obfuscate.STYLES[style](text, rng)).split()
        assert sum(w in text.split() for w in out) >= 0.7 * len(text.split()), (style, out)


def test_slips_of_short_sensitive_words_are_corrected_but_dictionary_words_never_are() -> None:
    """A swap, a dropped or a doubled letter in a word MiniLM's vocabulary does not know is undone towards the one
    sensitive word it is a slip of; words the vocabulary knows, with or without an inflection, stay."""
    for slip, word in (("nakde", "naked"), ("bmob", "bomb"), ("pron", "porn"), ("naaked", "naked"),
                       ("tortue", "torture"), ("nakedd", "naked"), ("bloood", "blood"), ("yuorself", "yourself"),
                       ("holocasut", "holocaust"), ("drgs", "drugs"), ("phhoto", "photo"), ("handuffs", "handcuffs")):
        assert correct_typos(f"a {slip} thing") == f"a {word} thing", slip
    for real in ("nodes", "rapid", "ripples", "caked", "maggot", "ingest", "asexual", "gorky", "weapons", "dunk",
                 "abuser"):
        assert correct_typos(real) == real, real
