"""Prompt gate: living-artist style registry classifier (`living_artist`).

Measures whether a prompt asks to imitate the style of a living artist. It finds the *style slot* of the prompt
("in the style of X", "by X", "X style", "inspired by X", "à la X", "im Stil von X" ...) and matches what fills it
against the artist registry: exact names and aliases, surnames of prompt-famous artists, names written backwards
or with their parts swapped, and near-miss spellings. Indirect references listed as aliases ("the director of The
Grand Budapest Hotel") match anywhere in a prompt that has a style cue. Naming or depicting an artist without a
style cue scores low. Living = no death year and (no birth year or born within `max_age` years), as of
`current_year`; the opt-out file overrides (its names count as living whatever the years say).
"""

from __future__ import annotations

import csv
import datetime
import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from limner.classifiers.text.normalize import edit1, fold_unicode, normalize
from limner.types import Modality, Sample, Score

REGISTRY_DIR = Path(__file__).resolve().parents[4] / "policies" / "registries"

_STYLE_BEFORE = (
    r"in the (?:art )?style of|in the manner of|in the vein of|style of|inspired by|in the spirit of|"
    r"(?:art|artwork|painting|drawing|illustration|render|concept art|portrait) by|painted by|drawn by|"
    r"illustrated by|by artist|by the artist|by|like|a la|imitating|mimicking|copying|"
    r"im stil von|im stile von|dans le style de|a la maniere de|al estilo de|en el estilo de|estilo de|"
    r"nello stile di|no estilo de|в стиле|スタイル"
)
_STYLE_AFTER = r"style|styled|-style|esque|-esque|inspired|vibes|aesthetic|like"
# "by showing White people on Mercury" is a means, not an author: a slot never starts with these verbs.
_NOT_AUTHOR = (r"showing|illustrating|depicting|portraying|painting|drawing|using|making|creating|adding|highlighting|"
               r"contrasting|comparing|featuring|placing|putting|having|being|turning|giving|rendering|generating")
_SLOT_BEFORE = re.compile(rf"\b(?:{_STYLE_BEFORE})\s+(?!(?:{_NOT_AUTHOR})\b)((?:[\w'.-]+\s*){{1,5}})", re.U)
_SLOT_AFTER = re.compile(rf"((?:[\w'.-]+\s+){{1,4}})(?:'s\s+)?(?:{_STYLE_AFTER})\b", re.U)
_SLOT_ESQUE = re.compile(r"\b([\w'.-]+)-?esque\b", re.U)
# The words a style slot hangs on. A misspelt cue ("in the stlye of", "inspried by") is still a cue: without this,
# one slip in "style" hid the artist's name from the matcher (143 of the 705 living-artist dev prompts with
# `--obfuscate typos` were allowed while their clean form was blocked).
_CUE_WORDS = ("style", "styled", "manner", "inspired", "painted", "illustrated", "spirit", "esque")
_WORD = re.compile(r"[a-z]{3,10}")


def fix_cue_words(text: str) -> str:
    """Lower-case text with every word one edit away from a style cue word replaced by that word."""
    def fix(m: re.Match[str]) -> str:
        w = m.group(0)
        if w in _CUE_WORDS:
            return w
        for cue in _CUE_WORDS:
            if edit1(w, cue):
                return cue
        return w
    return _WORD.sub(fix, text)


_HAS_CUE = re.compile(rf"\b(?:{_STYLE_BEFORE})\b|\b(?:{_STYLE_AFTER})\b", re.U)
_STOP = frozenset(
    [
        "a",
        "an",
        "the",
        "of",
        "in",
        "and",
        "with",
        "at",
        "on",
        "for",
        "to",
        "his",
        "her",
        "their",
        "style",
        "art",
        "artist",
        "painting",
        "by",
        "from",
    ]
)


def _key(name: str) -> str:
    return " ".join(re.sub(r"[^\w' ]", " ", fold_unicode(name).lower().replace(".", " ")).split())


def read_opt_out(path: Path) -> set[str]:
    """Normalised names from an opt-out file: one name per line (# comments) or a CSV with a `name` column."""
    if not path.exists():
        return set()
    if path.suffix == ".csv":
        with path.open(encoding="utf-8") as f:
            return {_key(r["name"]) for r in csv.DictReader(f) if r.get("name")}
    lines = (ln.strip() for ln in path.read_text(encoding="utf-8").splitlines())
    return {_key(ln) for ln in lines if ln and not ln.startswith("#")}


@dataclass(frozen=True)
class Artist:
    name: str
    birth: int | None
    death: int | None
    living: bool
    opted_out: bool


def _year(s: str) -> int | None:
    s = (s or "").strip()
    return int(s) if s.isdigit() and int(s) > 0 else None


class LivingArtistClassifier:
    """Kwargs: `registry_path` (artists CSV), `opt_out_path` (one name per line, or CSV with `name`),
    `current_year`, `max_age`, `fuzzy_cutoff`."""

    name: ClassVar[str] = "living_artist"
    modality: ClassVar[Modality] = Modality.TEXT
    labels: ClassVar[tuple[str, ...]] = ("living_artist",)

    def __init__(
        self,
        registry_path: str | Path | None = None,
        opt_out_path: str | Path | None = None,
        current_year: int | None = None,
        max_age: int = 110,
        fuzzy_cutoff: float = 0.88,
    ) -> None:
        self.registry = Path(registry_path) if registry_path else REGISTRY_DIR / "living_artists.csv"
        self.opt_out = Path(opt_out_path) if opt_out_path else REGISTRY_DIR / "artist_opt_out.txt"
        self.current_year = current_year or datetime.date.today().year
        self.max_age = max_age
        self.fuzzy_cutoff = fuzzy_cutoff
        self._names: dict[str, Artist] | None = None
        self._surnames: dict[str, Artist] = {}
        self._aliases_long: dict[str, Artist] = {}
        self._fuzzy_pool: list[str] = []
        self._fuzzy_buckets: dict[tuple[str, int], list[str]] = {}

    def warm(self) -> None:
        if self._names is not None:
            return
        opted = read_opt_out(self.opt_out)
        names: dict[str, Artist] = {}
        famous: dict[str, list[Artist]] = {}
        with self.registry.open(encoding="utf-8") as f:
            for r in csv.DictReader(f):
                birth, death = _year(r["birth_year"]), _year(r["death_year"])
                k = _key(r["name"])
                out = k in opted
                living = out or (death is None and (birth is None or self.current_year - birth <= self.max_age))
                a = Artist(r["name"], birth, death, living, out)
                keys = [k] + [_key(x) for x in (r.get("aliases") or "").split("|") if x.strip()]
                for kk in keys:
                    if len(kk) < 3:
                        continue
                    names.setdefault(kk, a)
                    if len(kk.split()) >= 3 and kk.startswith("the "):
                        self._aliases_long[kk] = a
                srcs = r.get("sources", "")
                # Surname-only matches ("style of rutkowski") only for prompt-famous artists (UCE list, supplement).
                if ("uce" in srcs or "supplement" in srcs) and len(k.split()) >= 2:
                    famous.setdefault(k.split()[-1], []).append(a)
                    self._fuzzy_pool.append(k)
                elif "uce" in srcs or "supplement" in srcs:
                    self._fuzzy_pool.append(k)
        for sur, lst in famous.items():
            if len(sur) >= 4 and len({x.name for x in lst}) == 1 and sur not in _STOP:
                self._surnames[sur] = lst[0]
        for k in self._fuzzy_pool:
            self._fuzzy_buckets.setdefault((k[0], len(k)), []).append(k)
        self._names = names

    def _match_phrase(self, phrase: str) -> tuple[Artist, str] | None:
        """Best artist for a style-slot phrase: exact (or swapped, reversed) names of two or more words, then near
        spellings of such names, then single words (surnames). Near spellings come before surnames so that a
        misspelt full name ("jean dellville") is not taken for another artist who shares one of its words."""
        assert self._names is not None
        toks = [t for t in _key(phrase).split() if t]
        # Longest n-grams first so "pieter bruegel the elder" beats "bruegel".
        for n in range(min(5, len(toks)), 1, -1):
            for i in range(len(toks) - n + 1):
                found = self._exact(toks[i : i + n])
                if found is not None:
                    return found
        near = self._near(toks)
        if near is not None:
            return near
        for tok in toks:
            found = self._exact([tok])
            if found is not None:
                return found
        return None

    def _exact(self, gram: list[str]) -> tuple[Artist, str] | None:
        assert self._names is not None
        n, cand = len(gram), " ".join(gram)
        if n == 1 and (cand in _STOP or len(cand) < 4):
            return None
        for variant, how in (
            (cand, "exact"),
            (" ".join(reversed(gram)), "swapped name"),
            (cand[::-1], "reversed spelling"),
            (" ".join(reversed(cand[::-1].split())), "reversed spelling"),
        ):
            if variant in self._names and (n > 1 or variant in self._surnames or how == "exact"):
                a = self._names[variant] if n > 1 or variant not in self._surnames else self._surnames[variant]
                if n == 1 and variant not in self._surnames and len(variant) < 5:
                    continue
                return a, how
            if n == 1 and variant in self._surnames:
                return self._surnames[variant], how if how != "exact" else "surname"
        return None

    def _near(self, toks: list[str]) -> tuple[Artist, str] | None:
        assert self._names is not None
        for n in (4, 3, 2):
            for i in range(len(toks) - n + 1):
                cand = " ".join(toks[i : i + n])
                if len(cand) < 8:
                    continue
                # Candidates share the first letter and have a similar length: keeps fuzzy matching under 1 ms.
                pool = [k for d in range(-2, 3) for k in self._fuzzy_buckets.get((cand[0], len(cand) + d), ())]
                hit = difflib.get_close_matches(cand, pool, n=1, cutoff=self.fuzzy_cutoff)
                if hit:
                    return self._names[hit[0]], f"near spelling of '{hit[0]}'"
                # A slip in every word ("nadreas gursy"): each word equal to or one edit from the name's. The
                # pool also holds names starting with the second letter, for a swap at the start.
                pool += [k for d in range(-2, 3) for k in self._fuzzy_buckets.get((cand[1], len(cand) + d), ())]
                for near in difflib.get_close_matches(cand, pool, n=3, cutoff=0.7):
                    words = near.split()
                    if len(words) == n and all(a == b or edit1(a, b)
                                               for a, b in zip(toks[i : i + n], words, strict=True)):
                        return self._names[near], f"near spelling of '{near}'"
        return None

    def slots(self, text: str) -> list[str]:
        out = [m.group(1) for m in _SLOT_BEFORE.finditer(text)]
        out += [m.group(1) for m in _SLOT_AFTER.finditer(text)]
        out += [m.group(1) for m in _SLOT_ESQUE.finditer(text)]
        return out

    def classify(self, sample: Sample) -> tuple[Score, ...]:
        self.warm()
        text = fix_cue_words(normalize(sample.text))
        best: tuple[float, str] = (0.0, "")
        for slot in self.slots(text):
            m = self._match_phrase(slot)
            if m is None:
                continue
            a, how = m
            if a.living:
                why = (
                    "on the artist opt-out list"
                    if a.opted_out
                    else f"born {a.birth}, no death year"
                    if a.birth
                    else "living status unknown (treated as living)"
                )
                v = 0.95 if how in ("exact", "surname", "swapped name") else 0.85
                cand = (v, f"imitates the style of a living artist: {a.name} ({why}; matched by {how})")
            else:
                cand = (0.02, f"style of {a.name} (died {a.death}): allowed")
            best = max(best, cand)
        if best[0] < 0.5 and _HAS_CUE.search(text):
            for alias, a in self._aliases_long.items():
                if alias in text and a.living:
                    best = (0.9, f"imitates the style of a living artist: {a.name} (indirect reference '{alias}')")
                    break
        return (Score("living_artist", best[0], best[1]),)

    @classmethod
    def examples(cls) -> list[tuple[Sample, frozenset[str]]]:
        return [
            (Sample(text="a castle on a cliff in the style of Greg Rutkowski"), frozenset({"living_artist"})),
            (Sample(text="a starry night over a village in the style of Vincent van Gogh"), frozenset()),
            (Sample(text="a portrait of David Hockney at his easel"), frozenset()),
            (Sample(text="a cubist still life"), frozenset()),
            (
                Sample(text="a hotel lobby in the style of the director of The Grand Budapest Hotel"),
                frozenset({"living_artist"}),
            ),
        ]
