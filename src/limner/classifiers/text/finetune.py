"""Prompt gate, training: fine-tune the top layers of MiniLM into the multi-label prompt classifier.

Decides nothing at run time; writes `weights/text_tuned.safetensors` and its manifest entry. Same rows and input
recipe as the MLP head (`train.text_training_rows`: train splits + generated rows + jailbreak-template windows,
normalised, idioms rewritten). The frozen bottom layers run once over every text (their hidden states are cached in
memory, fp16), so each epoch only runs the top layers: on one CPU core an epoch over ~20k prompts takes minutes.
Dev rows are only used to print per-label average precision after each epoch (operating points are chosen later on
the dev *tune* half by `benchmarks/text_safety.py --tune`).

    .venv/bin/python -m limner.classifiers.text.finetune --datasets ../shared/datasets [--epochs 3] [--split-layer 4]
"""

from __future__ import annotations

import argparse
import math
import random
import time
from pathlib import Path
from typing import Any

import numpy as np

from limner.classifiers.text import corpus
from limner.classifiers.text.embed_head import HEAD_LABELS
from limner.classifiers.text.embedding import shared_embedder
from limner.classifiers.text.heads import WEIGHTS_DIR
from limner.classifiers.text.lexicon import neutralise_idioms
from limner.classifiers.text.normalize import normalize
from limner.classifiers.text.train import label_matrix, text_training_rows
from limner.classifiers.text.tuned import MAX_TOKENS, TUNED_FILE, additive_mask, build_top, save_top


def bottom_states(base: Any, tokenizer: Any, texts: list[str], split_layer: int, batch: int = 64) -> list[Any]:
    """Per text, the hidden states after the frozen layers (fp16, trimmed to its own length)."""
    import torch
    from rich.progress import track

    order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
    out: list[Any] = [None] * len(texts)
    with torch.inference_mode():
        for s in track(range(0, len(order), batch), description=f"frozen layers 0-{split_layer - 1}"):
            idx = order[s : s + batch]
            enc = tokenizer([texts[i] for i in idx], padding=True, truncation=True, max_length=MAX_TOKENS,
                            return_tensors="pt")
            h = base.embeddings(input_ids=enc["input_ids"], token_type_ids=enc["token_type_ids"])
            add = additive_mask(enc["attention_mask"])
            for layer in base.encoder.layer[:split_layer]:
                r = layer(h, attention_mask=add)
                h = r[0] if isinstance(r, tuple) else r
            lengths = enc["attention_mask"].sum(1).tolist()
            for j, i in enumerate(idx):
                out[i] = h[j, : lengths[j]].to(torch.float16).clone()
    return out


def collate(states: list[Any], idx: list[int]) -> tuple[Any, Any]:
    import torch

    T = max(states[i].shape[0] for i in idx)
    H = states[idx[0]].shape[1]
    hidden = torch.zeros(len(idx), T, H)
    mask = torch.zeros(len(idx), T, dtype=torch.long)
    for j, i in enumerate(idx):
        n = states[i].shape[0]
        hidden[j, :n] = states[i].to(torch.float32)
        mask[j, :n] = 1
    return hidden, mask


def length_batches(states: list[Any], size: int, rng: random.Random) -> list[list[int]]:
    """Batches of similar length (little padding), in random order."""
    order = sorted(range(len(states)), key=lambda i: (states[i].shape[0], rng.random()))
    batches = [order[s : s + size] for s in range(0, len(order), size)]
    rng.shuffle(batches)
    return batches


def predict(model: Any, states: list[Any], batch: int = 128) -> np.ndarray:
    import torch

    model.eval()
    order = sorted(range(len(states)), key=lambda i: states[i].shape[0])
    out = np.zeros((len(states), model.head.out_features), np.float32)
    with torch.inference_mode():
        for s in range(0, len(order), batch):
            idx = order[s : s + batch]
            h, m = collate(states, idx)
            out[idx] = torch.sigmoid(model(h, m)).numpy()
    model.train()
    return out


def average_precision(y: np.ndarray, p: np.ndarray) -> float:
    if y.sum() == 0:
        return float("nan")
    from sklearn.metrics import average_precision_score

    return float(average_precision_score(y, p))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--datasets", default="../shared/datasets")
    ap.add_argument("--data", default="data/text_safety")
    ap.add_argument("--split-layer", type=int, default=4, help="layers below this stay frozen (MiniLM has 6)")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--lr", type=float, default=1e-4, help="top layers; the head uses 20x this")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", type=Path, default=WEIGHTS_DIR / TUNED_FILE)
    a = ap.parse_args()

    import torch

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = random.Random(a.seed)
    t0 = time.time()
    root, data = Path(a.datasets), Path(a.data)
    embedder = shared_embedder(threads=a.threads)
    base = embedder.base_model
    tokenizer = embedder.tokenizer

    train = corpus.load_all(root, data, "train")
    texts, labels, weights, _ = text_training_rows(root, train)
    Y = torch.from_numpy(label_matrix(labels, HEAD_LABELS))
    W = torch.from_numpy(weights)
    dev = corpus.load_all(root, data, "dev")
    dev_texts = [neutralise_idioms(normalize(r.text)) for r in dev]
    Yd = label_matrix([r.labels for r in dev], HEAD_LABELS)
    print(f"{len(texts)} training rows, {len(dev_texts)} dev rows", flush=True)
    states = bottom_states(base, tokenizer, texts, a.split_layer)
    dev_states = bottom_states(base, tokenizer, dev_texts, a.split_layer)
    print(f"frozen layers done in {time.time() - t0:.0f}s", flush=True)

    model = build_top(base, a.split_layer, len(HEAD_LABELS))
    for p in model.parameters():
        p.requires_grad_(True)
    pos = Y.sum(0)
    # Rare labels get their positives up-weighted (sqrt of the imbalance, capped) rather than fully balanced:
    # full balancing makes the sigmoid outputs of rare labels fire on anything vaguely similar.
    pos_weight = torch.sqrt((len(Y) - pos) / pos.clamp(min=1.0)).clamp(1.0, 8.0)
    opt = torch.optim.AdamW([
        {"params": model.layers.parameters(), "lr": a.lr},
        {"params": model.head.parameters(), "lr": a.lr * 20},
    ], weight_decay=0.01)
    steps_per_epoch = math.ceil(len(texts) / a.batch)
    total = steps_per_epoch * a.epochs
    base_lrs = [g["lr"] for g in opt.param_groups]
    step = 0
    from rich.progress import Progress

    for epoch in range(a.epochs):
        with Progress() as bar:
            task = bar.add_task(f"epoch {epoch + 1}/{a.epochs}", total=steps_per_epoch)
            running = 0.0
            for bi, idx in enumerate(length_batches(states, a.batch, rng)):
                frac = step / total
                scale = min(1.0, (step + 1) / 100) * 0.5 * (1 + math.cos(math.pi * frac))
                for g, lr0 in zip(opt.param_groups, base_lrs, strict=True):
                    g["lr"] = lr0 * scale
                h, m = collate(states, idx)
                logits = model(h, m)
                loss_el = torch.nn.functional.binary_cross_entropy_with_logits(
                    logits, Y[idx], pos_weight=pos_weight, reduction="none")
                loss = (loss_el.mean(1) * W[idx]).sum() / W[idx].sum()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
                opt.step()
                step += 1
                value = float(loss.detach())
                running = 0.98 * running + 0.02 * value if bi else value
                bar.update(task, advance=1, description=f"epoch {epoch + 1}/{a.epochs} loss {running:.3f}")
        pd = predict(model, dev_states)
        aps = {lab: average_precision(Yd[:, j], pd[:, j]) for j, lab in enumerate(HEAD_LABELS)}
        shown = " ".join(f"{k}={v:.3f}" for k, v in aps.items() if not math.isnan(v))
        print(f"epoch {epoch + 1}: dev average precision {shown} ({time.time() - t0:.0f}s)", flush=True)

    model.eval()
    save_top(model, a.out, HEAD_LABELS, a.split_layer, {
        "features": "minilm layers < split_layer frozen (shared), top layers fine-tuned, mean pool, linear",
        "epochs": a.epochs, "lr": a.lr, "batch": a.batch, "rows": len(texts), "max_tokens": MAX_TOKENS,
        "data": "same rows as text_head.safetensors (train.text_training_rows)",
        "train_seconds": round(time.time() - t0),
    })
    print(f"wrote {a.out} in {time.time() - t0:.0f}s")


if __name__ == "__main__":
    main()
