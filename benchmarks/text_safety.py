"""Benchmark: text safety (prompt classifier + registries, and the chat classifier) on the dev splits.

Reports not_unsafe (share of unsafe prompts blocked) and not_overrefuse (share of benign prompts allowed) per
dataset and policy category for `system_only` (text_head + living_artist + public_figure) and `with_chat` (plus
chat_context), per obfuscation style, for jailbreak-wrapped prompts, for multi-turn conversations, for the
living-artist registry, and p50/p95 latency on this machine. Thresholds come from
`src/limner/classifiers/text/thresholds.yaml`; `--tune` re-chooses them on the *tune* half of dev (by prompt
hash) first, and the report shows the other (*report*) half separately, so the tuning leak is visible.

    .venv/bin/python benchmarks/text_safety.py --datasets ../shared/datasets [--tune]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from limner.classifiers.base import clear_result_caches
from limner.classifiers.text import corpus, obfuscate
from limner.classifiers.text.artists import LivingArtistClassifier
from limner.classifiers.text.conversation import ConversationClassifier
from limner.classifiers.text.datagen_banks import ACKS
from limner.classifiers.text.embed_head import EmbedHeadTextClassifier
from limner.classifiers.text.embedding import MiniLMEmbedder
from limner.classifiers.text.public_figures import PublicFigureClassifier
from limner.classifiers.text.train import ADULT, EmbCache, dev_half
from limner.types import Role, Sample, Turn

THRESHOLDS = Path("src/limner/classifiers/text/thresholds.yaml")
U18 = (
    "sexual/suggestive",
    "violence/stylised_graphic",
    "self_harm/depiction",
    "hate/symbol_context",
    "extremism/context",
)
LABEL2CAT = {
    "sexual": "sexual",
    "sexual/suggestive": "sexual",
    "sexual/minors": "sexual_minors",
    "violence/graphic": "violence",
    "violence/stylised_graphic": "violence",
    "self_harm": "self_harm",
    "self_harm/depiction": "self_harm",
    "hate": "hate",
    "hate/symbol_context": "hate",
    "harassment": "harassment",
    "extremism": "extremism",
    "extremism/context": "extremism",
    "illicit": "illicit",
    "deception": "deception",
}
KIND2CAT = {
    "nudity": "sexual",
    "artistic_nudity": "sexual",
    "suggestive": "sexual",
    "gore": "violence",
    "violence_benign": "violence",
    "self_harm_depiction": "self_harm",
    "self_harm_benign": "self_harm",
    "hate_symbol_context": "hate",
    "hate_benign": "hate",
    "harassment_benign": "harassment",
    "extremism_context": "extremism",
    "extremism_benign": "extremism",
    "illicit_benign": "illicit",
    "deception_benign": "deception",
}


class CachedEmbedder(MiniLMEmbedder):
    """The real encoder behind the on-disk cache (same vectors, fewer recomputations on reruns)."""

    def __init__(self, cache: EmbCache) -> None:
        super().__init__()
        self.cache = cache

    def warm(self) -> None:
        pass

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.cache.get(texts)

    @property
    def base_model(self) -> Any:
        return self.cache.embedder.base_model

    def encode_with_hidden(self, texts: list[str], layer: int) -> tuple[np.ndarray, list[tuple[Any, Any, list[int]]]]:
        # the fine-tuned top needs token states, which the cache does not keep: run the real encoder
        return self.cache.embedder.encode_with_hidden(texts, layer)


def category(r: corpus.Row) -> str:
    adult = [lab for lab in ADULT if lab in r.labels]
    if adult:
        return LABEL2CAT[adult[0]]
    if r.source == "overt":
        return LABEL2CAT[corpus.OVERT_MAP[r.category]]
    if r.source == "generated":
        return KIND2CAT.get(r.category, "benign")
    return "benign"


def is_unsafe(labels: tuple[str, ...], tier: str = "adult") -> bool:
    keys = ADULT + (U18 if tier == "under18" else ())
    return any(lab in labels for lab in keys)


def blocked(scores: dict[str, float], thr: dict[str, float], tier: str = "adult") -> bool:
    keys = ADULT + (U18 if tier == "under18" else ())
    return any(scores.get(k, 0.0) >= thr[k] for k in keys if k in thr)


def as_dict(scores: tuple) -> dict[str, float]:  # type: ignore[type-arg]
    return {s.label: s.value for s in scores}


# Caption and prompt-benchmark sets: benign, and nearly all far from any policy boundary. As tuning negatives they
# swamp the look-alikes (OVERT's safe twins, XSTest, CoCoNot contrast sets, generated look-alikes), so the true
# negative rate hardly moves with the threshold; `--hard-negatives` tunes without them.
EASY_BENIGN_SOURCES = frozenset({*corpus.BENIGN_SOURCES, "geneval"})


def tune(
    rows: list[corpus.Row], S: list[dict[str, float]], labels: tuple[str, ...], w_neg: float = 2.0
) -> dict[str, float]:
    """Per label: the threshold maximising TPR + w_neg * TNR on the tune half (positives: rows with the label;
    negatives: rows the adult policy allows that lack it). w_neg > 1 because nine labels are OR-ed into one block
    decision, so each label's false positives add up while its misses are often caught by a sibling label."""
    out = {}
    for lab in labels:
        pos = [s[lab] for r, s in zip(rows, S, strict=False) if lab in r.labels]
        neg = [s[lab] for r, s in zip(rows, S, strict=False) if lab not in r.labels and not is_unsafe(r.labels)]
        if len(pos) < 5:
            out[lab] = 0.5
            continue
        best = max(
            np.arange(0.05, 0.96, 0.01), key=lambda t: np.mean(np.array(pos) >= t) + w_neg * np.mean(np.array(neg) < t)
        )
        out[lab] = round(float(best), 2)
    return out


def tune_marginal(
    rows: list[corpus.Row],
    S: list[dict[str, float]],
    sys_blocked: list[bool],
    labels: tuple[str, ...],
    fallback: dict[str, float],
    w_fp: float = 3.0,
) -> dict[str, float]:
    """Chat thresholds chosen for what the chat gate adds on top of the prompt gate: per label, maximise
    (unsafe rows newly blocked) - w_fp * (benign rows newly blocked), counting only rows the prompt gate lets pass."""
    out = {}
    for lab in labels:
        pos = np.array([s[lab] for r, s, b in zip(rows, S, sys_blocked, strict=False) if lab in r.labels and not b])
        neg = np.array(
            [
                s[lab]
                for r, s, b in zip(rows, S, sys_blocked, strict=False)
                if not is_unsafe(r.labels) and lab not in r.labels and not b
            ]
        )
        grid = np.arange(0.05, 1.0, 0.01)
        gain = [((pos >= t).sum() - w_fp * (neg >= t).sum(), t) for t in grid]
        best = max(gain)
        if len(pos) == 0 and (neg >= fallback[lab]).sum() == 0:
            # Nothing to gain or lose on the tune data: read the context like the prompt head reads a prompt.
            out[lab] = fallback[lab]
        else:
            out[lab] = round(float(best[1]), 2) if best[0] > 0 else 0.99
    return out


def rates(items: list[tuple[bool, bool]]) -> dict[str, object]:
    uns = [b for u, b in items if u]
    ben = [not b for u, b in items if not u]
    return {
        "not_unsafe": round(float(np.mean(uns)), 4) if uns else None,
        "n_unsafe": len(uns),
        "not_overrefuse": round(float(np.mean(ben)), 4) if ben else None,
        "n_benign": len(ben),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--datasets", default="../shared/datasets")
    ap.add_argument("--data", default="data/text_safety")
    ap.add_argument("--cache", default="runs/text_safety/emb")
    ap.add_argument("--out", default="docs/benchmarks")
    ap.add_argument("--tune", action="store_true")
    ap.add_argument("--n-obf", type=int, default=150, help="unsafe and benign prompts per obfuscation style")
    ap.add_argument("--n-latency", type=int, default=100)
    ap.add_argument("--latency-only", action="store_true",
                    help="re-measure only the latency section of an existing report (e.g. on a quieter machine)")
    a = ap.parse_args()
    t_start = time.time()
    root, data = Path(a.datasets), Path(a.data)
    cache = EmbCache(Path(a.cache), MiniLMEmbedder(threads=1))
    emb = CachedEmbedder(cache)
    text = EmbedHeadTextClassifier(embedder=emb, calibrated=False)
    chat = ConversationClassifier(embedder=emb, calibrated=False)
    artist, figure = LivingArtistClassifier(), PublicFigureClassifier()
    rng = random.Random(0)

    dev = [r for r in corpus.load_all(root, data, "dev") if r.source != "uce_artist_prompts"]
    if a.latency_only:
        out = Path(a.out)
        report = json.loads((out / "text_safety.json").read_text())
        report["latency"] = measure_latency(dev, artist, figure, rng, a.n_latency)
        (out / "text_safety.json").write_text(json.dumps(report, indent=2) + "\n")
        (out / "text_safety.md").write_text(to_markdown(report))
        print(json.dumps(report["latency"], indent=1))
        return

    def run_all(texts: list[str]) -> tuple[list[dict[str, float]], list[dict[str, float]], list[dict[str, float]]]:
        ts = [as_dict(s) for s in text.score_batch(texts)]
        cs = [as_dict(s) for s in chat.score_batch([(Turn(Role.USER, t),) for t in texts])]
        rs = [{**as_dict(artist.classify(Sample(text=t))), **as_dict(figure.classify(Sample(text=t)))} for t in texts]
        return ts, cs, rs

    TS, CS, RS = run_all([r.text for r in dev])
    half = [dev_half(r.text) for r in dev]
    # Conversations (generated dev conversations: held-out core phrases / follow-ups), scored before tuning because
    # the chat thresholds are chosen on the tune half of them too.
    convs = corpus.load_conversations(data, "dev")
    cturns = [tuple(Turn(Role(t["role"]), t["content"]) for t in c["turns"]) for c in convs]
    cs_all = [as_dict(s) for s in chat.score_batch(cturns)]
    lasts = [next(t.content for t in reversed(ct) if t.role == Role.USER) for ct in cturns]
    ts_all = [as_dict(s) for s in text.score_batch(lasts)]
    conv_half = [dev_half(json.dumps(c["turns"])) for c in convs]
    conv_rows = [
        corpus.Row(lasts[i], tuple(c["labels"]), "conversation", str(c["kind"]), "dev") for i, c in enumerate(convs)
    ]

    if a.tune or not THRESHOLDS.exists():
        idx = [i for i, h in enumerate(half) if h == "tune"]
        thr_text = tune([dev[i] for i in idx], [TS[i] for i in idx], ADULT + U18)
        cidx = [i for i, h in enumerate(conv_half) if h == "tune"]
        thr_chat = tune_marginal(
            [dev[i] for i in idx] + [conv_rows[i] for i in cidx],
            [CS[i] for i in idx] + [cs_all[i] for i in cidx],
            [blocked(TS[i], thr_text) for i in idx] + [blocked(ts_all[i], thr_text) for i in cidx],
            ADULT + U18,
            thr_text,
        )
        THRESHOLDS.write_text(
            "# Chosen by benchmarks/text_safety.py --tune on the 'tune' half of the dev splits:\n"
            "# text_head: max TPR + 2*TNR per label; chat_context: max gain over the prompt gate\n"
            "# (single prompts and generated conversations of the tune half).\n"
            "# Copy into the policy's label thresholds. Registries: living_artist 0.5, public_figure 0.5.\n"
            + yaml.safe_dump(
                {
                    "text_head": thr_text,
                    "chat_context": thr_chat,
                    "living_artist": {"living_artist": 0.5},
                    "public_figure": {"public_figure": 0.5},
                },
                sort_keys=False,
            )
        )
    thr = yaml.safe_load(THRESHOLDS.read_text())
    thr_text, thr_chat = thr["text_head"], thr["chat_context"]
    thr_reg = {"living_artist": 0.5, "public_figure": 0.5}

    def decide(
        ts: dict[str, float], cs: dict[str, float], rs: dict[str, float], tier: str = "adult"
    ) -> tuple[bool, bool]:
        sys_b = blocked(ts, thr_text, tier) or any(rs.get(k, 0) >= v for k, v in thr_reg.items())
        return sys_b, sys_b or blocked(cs, thr_chat, tier)

    report: dict[str, object] = {"thresholds": thr}
    dec = [decide(TS[i], CS[i], RS[i]) for i in range(len(dev))]
    for cfg, k in (("system_only", 0), ("with_chat", 1)):
        by: dict[str, dict[str, list[tuple[bool, bool]]]] = defaultdict(lambda: defaultdict(list))
        for i, r in enumerate(dev):
            item = (is_unsafe(r.labels), dec[i][k])
            for key in (f"{r.source}", f"category:{category(r)}", f"half:{half[i]}", "all"):
                by[key]["all"].append(item)
        report[cfg] = {key: rates(v["all"]) for key, v in sorted(by.items())}
    # Under18 tier on the generated rows (the only dev rows labelled with the under18-only labels).
    gen = [i for i, r in enumerate(dev) if r.source == "generated"]
    report["under18_generated"] = {
        cfg: rates([(is_unsafe(dev[i].labels, "under18"), decide(TS[i], CS[i], RS[i], "under18")[k]) for i in gen])
        for cfg, k in (("system_only", 0), ("with_chat", 1))
    }
    report["adult_vs_under18_u18_only_rows"] = {
        "n": sum(1 for i in gen if is_unsafe(dev[i].labels, "under18") and not is_unsafe(dev[i].labels)),
        "allowed_for_adult": round(
            float(
                np.mean(
                    [not dec[i][0] for i in gen if is_unsafe(dev[i].labels, "under18") and not is_unsafe(dev[i].labels)]
                )
            ),
            4,
        ),
        "blocked_for_under18": round(
            float(
                np.mean(
                    [
                        decide(TS[i], CS[i], RS[i], "under18")[0]
                        for i in gen
                        if is_unsafe(dev[i].labels, "under18") and not is_unsafe(dev[i].labels)
                    ]
                )
            ),
            4,
        ),
    }
    print(f"main eval done {time.time() - t_start:.0f}s", flush=True)

    # Obfuscation styles on a fixed sample of dev prompts (normaliser on; and off for comparison).
    uns = [r for r in dev if is_unsafe(r.labels)]
    ben = [r for r in dev if not is_unsafe(r.labels)]
    sample = rng.sample(uns, min(a.n_obf, len(uns))) + rng.sample(ben, min(a.n_obf, len(ben)))
    obf: dict[str, object] = {}
    raw_text = EmbedHeadTextClassifier(embedder=emb, use_normalizer=False, calibrated=False)
    for style, fn in [("none", None), *obfuscate.STYLES.items()]:
        srng = random.Random(style)
        texts = [fn(r.text, srng) if fn else r.text for r in sample]
        ts, cs, rs = run_all(texts)
        d = [decide(ts[i], cs[i], rs[i]) for i in range(len(texts))]
        ts_raw = [as_dict(s) for s in raw_text.score_batch(texts)]
        obf[style] = {
            "system_only": rates([(is_unsafe(r.labels), d[i][0]) for i, r in enumerate(sample)]),
            "with_chat": rates([(is_unsafe(r.labels), d[i][1]) for i, r in enumerate(sample)]),
            "system_only_without_normaliser": rates(
                [(is_unsafe(r.labels), blocked(ts_raw[i], thr_text)) for i, r in enumerate(sample)]
            ),
        }
    tmpl = corpus.jailbreak_templates(root)["dev"]
    jb = rng.sample(uns, min(60, len(uns))) + rng.sample(ben, min(60, len(ben)))
    texts = [obfuscate.jailbreak_wrap(r.text, rng.choice(tmpl)) for r in jb]
    ts, cs, rs = run_all(texts)
    d = [decide(ts[i], cs[i], rs[i]) for i in range(len(texts))]
    obf["jailbreak_template(dev templates)"] = {
        "system_only": rates([(is_unsafe(r.labels), d[i][0]) for i, r in enumerate(jb)]),
        "with_chat": rates([(is_unsafe(r.labels), d[i][1]) for i, r in enumerate(jb)]),
    }
    report["obfuscation"] = obf
    print(f"obfuscation done {time.time() - t_start:.0f}s", flush=True)

    conv_rep: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    conv_sys: dict[str, list[tuple[bool, bool]]] = defaultdict(list)
    for i, c in enumerate(convs):
        u = is_unsafe(tuple(c["labels"]))
        sys_b = blocked(ts_all[i], thr_text)
        for key in (str(c["kind"]), f"half:{conv_half[i]}"):
            conv_sys[key].append((u, sys_b))
            conv_rep[key].append((u, sys_b or blocked(cs_all[i], thr_chat)))
    report["conversations"] = {
        k: {"system_only(last turn only)": rates(conv_sys[k]), "with_chat": rates(v)}
        for k, v in sorted(conv_rep.items())
    }

    # Living-artist registry on UCE artist style prompts (dev): living status per the registry itself.
    artist.warm()
    items = []
    for ap_row in corpus._csv(root / "uce_artist_prompts" / "dev.csv"):
        m = artist._match_phrase(ap_row["artist"])
        if m is None:
            continue
        items.append((m[0].living, artist.classify(Sample(text=ap_row["prompt"]))[0].value >= 0.5))
    report["living_artist_uce_dev"] = {
        **rates(items),
        "note": "unsafe = artist living per registry; measures matching, not the registry's years",
    }

    # Latency (real encoder, no cache, one prompt or conversation at a time), for 1 and 2 torch threads.
    report["latency"] = measure_latency(dev, artist, figure, rng, a.n_latency)
    report["elapsed_s"] = round(time.time() - t_start, 1)
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "text_safety.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / "text_safety.md").write_text(to_markdown(report))
    print(to_markdown(report))


def measure_latency(
    dev: list[corpus.Row], artist: LivingArtistClassifier, figure: PublicFigureClassifier, rng: random.Random, n: int
) -> dict[str, object]:
    load_before = os.getloadavg()[0]
    lat: dict[str, object] = {f"threads_{k}": latency(k, dev, artist, figure, rng, n) for k in (1, 2)}
    lat["note"] = f"2-core CPU; 1-minute load average {load_before:.1f} before and {os.getloadavg()[0]:.1f} after"
    return lat


def latency(
    threads: int,
    dev: list[corpus.Row],
    artist: LivingArtistClassifier,
    figure: PublicFigureClassifier,
    rng: random.Random,
    n: int,
) -> dict[str, object]:
    live = MiniLMEmbedder(threads=threads)
    t_live, c_live = EmbedHeadTextClassifier(embedder=live), ConversationClassifier(embedder=live)
    t_live.warm()
    c_live.warm()
    prompts = [r.text for r in rng.sample(dev, n)]
    lat_t, lat_a, lat_p, lat_c = [], [], [], []
    for p in prompts:
        s = Sample(text=p)
        clear_result_caches()  # cold: the encoder's per-text cache would otherwise answer repeated prompts
        t0 = time.perf_counter()
        t_live.classify(s)
        t1 = time.perf_counter()
        artist.classify(s)
        t2 = time.perf_counter()
        figure.classify(s)
        t3 = time.perf_counter()
        lat_t.append((t1 - t0) * 1000)
        lat_a.append((t2 - t1) * 1000)
        lat_p.append((t3 - t2) * 1000)
    for _ in range(n // 2):
        turns: list[Turn] = []
        for _ in range(5):
            turns += [Turn(Role.USER, rng.choice(prompts)), Turn(Role.ASSISTANT, rng.choice(ACKS))]
        turns[-1] = Turn(Role.USER, rng.choice(prompts))
        clear_result_caches()
        t0 = time.perf_counter()
        c_live.classify(Sample(turns=tuple(turns)))
        lat_c.append((time.perf_counter() - t0) * 1000)

    def pct(v: list[float]) -> dict[str, float]:
        q = statistics.quantiles(v, n=20)
        return {"p50_ms": round(statistics.median(v), 1), "p95_ms": round(q[18], 1), "n": len(v)}

    gate = [x + y + z for x, y, z in zip(lat_t, lat_a, lat_p, strict=True)]
    return {
        "text_head": pct(lat_t),
        "living_artist": pct(lat_a),
        "public_figure": pct(lat_p),
        "text_gate_total": pct(gate),
        "chat_context_10_turns": pct(lat_c),
    }


def _fmt(x: object) -> str:
    return "-" if x is None else f"{x:.3f}" if isinstance(x, float) else str(x)


def to_markdown(rep: dict[str, object]) -> str:
    lines = [
        "# Text safety benchmark (dev splits)",
        "",
        "Generated by `benchmarks/text_safety.py`. not_unsafe = share of unsafe prompts blocked; not_overrefuse = "
        "share of benign prompts allowed. Adult tier unless stated. Thresholds: "
        "`src/limner/classifiers/text/thresholds.yaml` (chosen on the dev *tune* half; `half:report` is the "
        "other half).",
        "",
    ]
    for cfg in ("system_only", "with_chat"):
        lines += [f"## {cfg}", "", "| slice | not_unsafe | n | not_overrefuse | n |", "|---|---|---|---|---|"]
        for k, v in rep[cfg].items():  # type: ignore[attr-defined]
            lines.append(
                f"| {k} | {_fmt(v['not_unsafe'])} | {v['n_unsafe']} | {_fmt(v['not_overrefuse'])} | {v['n_benign']} |"
            )
        lines.append("")
    lines += [
        "## Under18 tier (generated dev rows)",
        "",
        "```",
        json.dumps(rep["under18_generated"], indent=1),
        json.dumps(rep["adult_vs_under18_u18_only_rows"], indent=1),
        "```",
        "",
    ]
    lines += [
        "## Obfuscation styles (fixed dev sample)",
        "",
        "| style | system_only not_unsafe | not_overrefuse | with_chat not_unsafe | not_overrefuse "
        "| no normaliser not_unsafe | not_overrefuse |",
        "|---|---|---|---|---|---|---|",
    ]
    for k, v in rep["obfuscation"].items():  # type: ignore[attr-defined]
        nn = v.get("system_only_without_normaliser", {"not_unsafe": None, "not_overrefuse": None})
        lines.append(
            f"| {k} | {_fmt(v['system_only']['not_unsafe'])} | {_fmt(v['system_only']['not_overrefuse'])} | "
            f"{_fmt(v['with_chat']['not_unsafe'])} | {_fmt(v['with_chat']['not_overrefuse'])} | "
            f"{_fmt(nn['not_unsafe'])} | {_fmt(nn['not_overrefuse'])} |"
        )
    lines += [
        "",
        "## Conversations (generated dev conversations)",
        "",
        "| kind | last-turn only not_unsafe | not_overrefuse | with_chat not_unsafe | not_overrefuse |",
        "|---|---|---|---|---|",
    ]
    for k, v in rep["conversations"].items():  # type: ignore[attr-defined]
        s, w = v["system_only(last turn only)"], v["with_chat"]
        lines.append(
            f"| {k} | {_fmt(s['not_unsafe'])} | {_fmt(s['not_overrefuse'])} | "
            f"{_fmt(w['not_unsafe'])} | {_fmt(w['not_overrefuse'])} |"
        )
    lines += [
        "",
        "## Living-artist registry (UCE artist prompts, dev)",
        "",
        "```",
        json.dumps(rep["living_artist_uce_dev"], indent=1),
        "```",
        "",
        "## Latency",
        "",
        "```",
        json.dumps(rep["latency"], indent=1),
        "```",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
