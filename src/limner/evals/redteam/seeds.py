"""Evaluation, red teaming: seed intents, from the per-category seed files and the datasets' train splits.

Decides nothing. Seed files (`data/redteam/seeds/<category>.jsonl`) are unsafe by design; dataset seeds are the
unsafe rows of the *train* splits (dev splits are kept for `limner eval safety`), sampled per category with a fixed
seed.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Seed:
    id: str
    category: str
    intent: str
    source: str = "seed_file"


def load_seed_files(directory: Path) -> list[Seed]:
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory}: seed folder not found")
    seeds = []
    for path in sorted(directory.glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip():
                continue
            d = json.loads(line)
            if d.get("expected", "block") != "block":
                raise ValueError(f"{path}: line {number}: seed intents must be unsafe (expected: block)")
            seeds.append(Seed(str(d["id"]), str(d["category"]), str(d["intent"])))
    return seeds


def load_dataset_seeds(datasets_dir: Path, per_category: int, seed: int = 0) -> list[Seed]:
    """Unsafe train rows of OVERT, CoCoNot, XSTest and Adversarial Nibbler, `per_category` per policy category."""
    from limner.classifiers.text import corpus
    from limner.evals.datasets.loaders import category_of

    rows = (corpus.load_overt(datasets_dir, "train") + corpus.load_coconot(datasets_dir, "train")
            + corpus.load_xstest(datasets_dir, "train") + corpus.load_nibbler(datasets_dir, "train"))
    by_cat: dict[str, list[Seed]] = defaultdict(list)
    for i, r in enumerate(rows):
        if r.labels:
            cat = category_of(r.labels)
            by_cat[cat].append(Seed(f"{r.source}-train-{i}", cat, r.text, r.source))
    rng = random.Random(seed)
    out: list[Seed] = []
    for cat in sorted(by_cat):
        pool = by_cat[cat]
        out += rng.sample(pool, min(per_category, len(pool)))
    return out
