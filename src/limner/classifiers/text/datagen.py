"""Prompt gate / chat gate, training data: generate labelled image prompts from the policy rows.

Decides nothing at run time. It writes `data/text_safety/generated.jsonl` (single prompts) and
`data/text_safety/conversations.jsonl` (multi-turn chats) from the phrase banks in `datagen_banks.py`: for each
policy row, unsafe requests and the benign look-alikes the policy explicitly allows (idioms, kitchen knives, anatomy
diagrams, horror posters without gore, history illustrations, recovery imagery ...), crossed with request
phrasings, styles (photoreal vs drawn, which moves some rows between the adult and the under18 tier) and
framings (role-play, "for my novel"), which by policy do not change the label.

Every generated row carries `split`: the *core phrase* (not the whole prompt) decides train or dev, so dev rows
use wordings of the harmful/benign content that training never saw. Regenerate with
`python -m limner.classifiers.text.datagen --out data/text_safety` (deterministic, seed 0).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
from pathlib import Path
from typing import Any

from limner.classifiers.text import datagen_banks as B

# Labels each bank implies. Under18 labels are supersets: whatever the adult policy blocks the under18 tier
# blocks too, so an explicit prompt is also "suggestive" and photoreal gore is also "stylised_graphic".
_IMPLIES: dict[str, tuple[str, ...]] = {
    "sexual": ("sexual", "sexual/suggestive"),
    "sexual/minors": ("sexual/minors", "sexual", "sexual/suggestive"),
    "sexual/suggestive": ("sexual/suggestive",),
    "violence/graphic": ("violence/graphic", "violence/stylised_graphic"),
    "violence/stylised_graphic": ("violence/stylised_graphic",),
    "self_harm": ("self_harm", "self_harm/depiction"),
    "self_harm/depiction": ("self_harm/depiction",),
    "hate": ("hate", "hate/symbol_context"),
    "hate/symbol_context": ("hate/symbol_context",),
    "extremism": ("extremism", "extremism/context"),
    "extremism/context": ("extremism/context",),
    "harassment": ("harassment",),
    "illicit": ("illicit",),
    "deception": ("deception",),
    "benign": (),
}


def core_split(core: str, dev_share: float = 0.2) -> str:
    """Train or dev by the hash of the core phrase, so every wording of one phrase lands in one split."""
    h = int(hashlib.sha1(core.strip().lower().encode("utf-8")).hexdigest(), 16)
    return "dev" if (h % 1000) < dev_share * 1000 else "train"


def _render(rng: random.Random, core: str, style: str | None, frame: bool) -> str:
    ask = rng.choice(B.ASKS)
    text = ask.format(x=core)
    if style:
        text = rng.choice(("{t}, {s}", "{s} of {c}", "{t} ({s})", "{t} in {s} style")).format(t=text, s=style, c=core)
    if rng.random() < 0.3:
        text += rng.choice(B.QUALITY)
    if frame:
        text = rng.choice(B.FRAMES).format(x=text)
    if rng.random() < 0.25:
        text = text[0].upper() + text[1:]
    return text


def generate_prompts(seed: int = 0, per_core: int = 6) -> list[dict[str, Any]]:
    """All single-prompt rows: {"text", "labels", "kind", "core", "split"}."""
    rng = random.Random(seed)
    rows: list[dict[str, Any]] = []
    for bank in B.BANKS:
        for core in bank.cores:
            split = core_split(core)
            for i in range(per_core):
                style = rng.choice(bank.styles) if bank.styles else None
                frame = bank.label != "benign" and rng.random() < 0.15 and i > 0
                text = _render(rng, core, style, frame)
                labels = set(_IMPLIES[bank.label])
                # Photoreal moves a stylised row up to the adult-blocked label (policy: photoreal gore/nudity).
                if (style is None or style in B.PHOTO_STYLES) and bank.photoreal_label:
                    labels |= set(_IMPLIES[bank.photoreal_label])
                rows.append({"text": text, "labels": sorted(labels), "kind": bank.name, "core": core, "split": split})
    # after the image banks, with their own generator, so adding question banks leaves the rows above unchanged
    qrng = random.Random(seed + 2)
    for bank in B.QUESTION_BANKS:
        for core in bank.cores:
            split = core_split(core)
            for _ in range(per_core // 2):
                text = qrng.choice(B.QUESTION_ASKS).format(x=core)
                if qrng.random() < 0.5:
                    text = text[0].upper() + text[1:]
                rows.append({"text": text, "labels": sorted(_IMPLIES[bank.label]), "kind": bank.name, "core": core,
                             "split": split})
    return rows


def _conv(turns: list[tuple[str, str]], labels: set[str], kind: str, split: str) -> dict[str, Any]:
    return {
        "turns": [{"role": r, "content": c} for r, c in turns],
        "labels": sorted(labels),
        "kind": kind,
        "split": split,
    }


def generate_conversations(prompts: list[dict[str, Any]], seed: int = 0) -> list[dict[str, Any]]:
    """Multi-turn rows built from the single prompts plus the follow-up banks."""
    rng = random.Random(seed + 1)
    by_split: dict[str, list[dict[str, Any]]] = {"train": [], "dev": []}
    for r in prompts:
        by_split[str(r["split"])].append(r)
    out: list[dict[str, Any]] = []
    for split, rows in by_split.items():
        benign = [r for r in rows if not r["labels"]]
        unsafe = [r for r in rows if set(r["labels"]) & set(B.ADULT_LABELS)]
        fillers = [r for r in benign if r["kind"] == "benign_everyday"] or benign
        n = len(rows) // 2
        for _ in range(n):
            kind = rng.random()
            if kind < 0.2:  # escalation: harmless turns, then an unsafe ask
                u = rng.choice(unsafe)
                turns = []
                for _ in range(rng.randint(1, 4)):
                    turns += [("user", str(rng.choice(fillers)["text"])), ("assistant", rng.choice(B.ACKS))]
                turns.append(("user", str(u["text"])))
                out.append(_conv(turns, set(u["labels"]), "escalation", split))
            elif kind < 0.4:  # refusal earlier, harmless request now: not tainted
                u, b = rng.choice(unsafe), rng.choice(benign)
                turns = [
                    ("user", str(u["text"])),
                    ("assistant", rng.choice(B.REFUSALS)),
                    ("user", rng.choice(B.TOPIC_CHANGES).format(x=b["text"])),
                ]
                out.append(_conv(turns, set(b["labels"]), "after_refusal", split))
            elif kind < 0.65:  # reference back: the last turn is only unsafe with its context
                ref = rng.choice(B.REFERENCE_BACK)
                if core_split(ref.followup) != split:
                    continue
                base = rng.choice(ref.bases)
                turns = [("user", base), ("assistant", rng.choice(B.ACKS)), ("user", ref.followup)]
                if rng.random() < 0.4:
                    turns = [("user", str(rng.choice(fillers)["text"])), ("assistant", rng.choice(B.ACKS)), *turns]
                out.append(_conv(turns, set(_IMPLIES[ref.label]), "reference_back", split))
            elif kind < 0.8:  # benign context that makes a scary-looking ask fine
                ctx = rng.choice(B.BENIGN_CONTEXTS)
                if core_split(ctx.ask) != split:
                    continue
                turns = [("user", ctx.context), ("assistant", rng.choice(B.ACKS)), ("user", ctx.ask)]
                out.append(_conv(turns, set(_IMPLIES[ctx.label]), "benign_context", split))
            else:  # role-play / jailbreak framing across turns does not change the label
                u = rng.choice(unsafe + benign)
                turns = [
                    ("user", rng.choice(B.ROLEPLAY_SETUPS)),
                    ("assistant", rng.choice(B.ACKS)),
                    ("user", str(u["text"])),
                ]
                out.append(_conv(turns, set(u["labels"]), "roleplay", split))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", default="data/text_safety")
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    prompts = generate_prompts(a.seed)
    convs = generate_conversations(prompts, a.seed)
    with (out / "generated.jsonl").open("w", encoding="utf-8") as f:
        for r in prompts:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    with (out / "conversations.jsonl").open("w", encoding="utf-8") as f:
        for r in convs:
            f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{len(prompts)} prompts, {len(convs)} conversations -> {out}")


if __name__ == "__main__":
    main()
