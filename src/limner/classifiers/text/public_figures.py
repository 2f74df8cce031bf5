"""Prompt gate: public-figure registry classifier (`public_figure`).

Measures whether a prompt depicts a registered public figure in a way the policy blocks: the person is a minor
(flag in the registry, or born less than 18 years before `current_year`) or on the opt-out list (any context), or
the prompt sexualises them, puts them in a photoreal fabricated event (arrest, drug use, collapse, drunk) or
degrades them. A plain depiction (illustration, cartoon, historical portrait, mild satire) scores low, with a
rationale naming the person so that the audit row shows who was recognised. Matching uses full names and
aliases; one-word aliases must appear capitalised in the original prompt ("Drake" the rapper, not a drake duck).
"""

from __future__ import annotations

import csv
import datetime
import re
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from limner.classifiers.text import lexicon
from limner.classifiers.text.artists import REGISTRY_DIR, read_opt_out
from limner.classifiers.text.names import NameIndex, name_key
from limner.classifiers.text.normalize import normalize
from limner.types import Modality, Sample, Score

_FABRICATED = re.compile(
    r"\b(?:arrest\w*|handcuff\w*|mugshot|mug shot|in (?:jail|prison)|behind bars|drunk|wasted|"
    r"passed out|snort\w*|cocaine|heroin|meth|smoking crack|high on|overdos\w*|collaps\w*|fainting|"
    r"dying|dead|corpse|funeral|crying in court|on trial|perp walk|caught|stealing|shoplifting|"
    r"bribe\w*|fighting|punching|assault\w*|kissing|in bed with|affair|rehab|hospitali[sz]ed|"
    r"endors\w*|announc\w+|signing|confess\w*|admits?)\b"
)
_DEGRADING = re.compile(
    r"\b(?:humiliat\w*|degrad\w*|vomit\w*|diaper\w*|feces|poop\w*|toilet|pig|rat|monkey|ape|"
    r"beaten|bleeding|bloody|tortur\w*|kill\w*|execut\w*|behead\w*|hang\w* from|lynch\w*|"
    r"ugly|fat|disgusting|pathetic|begging|crawling|kneeling in chains|slave|whipped|spit on|"
    r"pedophile|rapist|nazi salute)\b"
)
_PHOTO = lexicon.CONTEXT_CUES["context/photoreal"]


@dataclass(frozen=True)
class Figure:
    name: str
    birth: int | None
    minor: bool
    opted_out: bool


class PublicFigureClassifier:
    """Kwargs: `registry_path` (public figures CSV), `opt_out_path` (one name per line, or CSV with `name`),
    `current_year`."""

    name: ClassVar[str] = "public_figure"
    modality: ClassVar[Modality] = Modality.TEXT
    labels: ClassVar[tuple[str, ...]] = ("public_figure",)

    def __init__(
        self,
        registry_path: str | Path | None = None,
        opt_out_path: str | Path | None = None,
        current_year: int | None = None,
    ) -> None:
        self.registry = Path(registry_path) if registry_path else REGISTRY_DIR / "public_figures.csv"
        self.opt_out = Path(opt_out_path) if opt_out_path else REGISTRY_DIR / "public_figure_opt_out.txt"
        self.current_year = current_year or datetime.date.today().year
        self._index: NameIndex[Figure] | None = None

    def warm(self) -> None:
        if self._index is not None:
            return
        opted = {name_key(k) for k in read_opt_out(self.opt_out)}
        index: NameIndex[Figure] = NameIndex()
        with self.registry.open(encoding="utf-8") as f:
            for r in csv.DictReader(f):
                birth = int(r["birth_year"]) if (r.get("birth_year") or "").strip().isdigit() else None
                minor = r.get("minor", "").strip().lower() in ("true", "1", "yes") or (
                    birth is not None and self.current_year - birth < 18
                )
                names = [r["name"], *(a for a in (r.get("aliases") or "").split("|") if a.strip())]
                keys = [name_key(n) for n in names]
                fig = Figure(r["name"], birth, minor, any(k in opted for k in keys))
                for k in keys:
                    index.add(k, fig)
        # Names on the opt-out list that are not in the registry are still recognised and blocked.
        for k in opted:
            index.add(k, Figure(k.title(), None, False, True), min_single=0, replace=False)
        self._index = index

    def find(self, text: str) -> list[Figure]:
        """Registered people named in the prompt (full names anywhere; one-word aliases only when capitalised)."""
        self.warm()
        assert self._index is not None
        return self._index.find(text)

    def classify(self, sample: Sample) -> tuple[Score, ...]:
        figures = self.find(sample.text)
        if not figures:
            return (Score("public_figure", 0.0),)
        text = normalize(sample.text)
        best = (0.0, "")
        for f in figures:
            if f.opted_out:
                cand = (0.99, f"{f.name} is on the public-figure opt-out list")
            elif f.minor:
                cand = (0.99, f"{f.name} is a minor" + (f" (born {f.birth})" if f.birth else ""))
            elif lexicon.explicit_sexual(text)[0] or lexicon._SEXUAL_CUE.search(text):
                cand = (0.95, f"sexualised depiction of a real person: {f.name}")
            elif _DEGRADING.search(text):
                cand = (0.85, f"degrading or harmful depiction of a real person: {f.name}")
            elif _PHOTO.search(text) and _FABRICATED.search(text):
                cand = (0.9, f"photoreal fabricated event involving a real person: {f.name}")
            else:
                cand = (0.1, f"depicts public figure {f.name} (allowed: non-deceptive, non-sexual, non-harmful)")
            best = max(best, cand)
        return (Score("public_figure", best[0], best[1]),)

    @classmethod
    def examples(cls) -> list[tuple[Sample, frozenset[str]]]:
        return [
            (Sample(text="a watercolor portrait of Barack Obama reading to children"), frozenset()),
            (
                Sample(text="a realistic photo of Barack Obama being arrested in handcuffs"),
                frozenset({"public_figure"}),
            ),
            (Sample(text="a cartoon of Prince George playing football"), frozenset({"public_figure"})),
            (Sample(text="Taylor Swift in lingerie, sexy pose"), frozenset({"public_figure"})),
            (Sample(text="a mallard drake swimming in a pond"), frozenset()),
        ]
