"""CLI: `limner bench generator` — GenEval-style benchmark of the tiny_ar generator on held-out compositions.

Writes docs/benchmarks/generator.{json,md}: per-tag accuracy, exact text rate, edit and composition success,
the verifier's own accuracy (ground truth ~1, mismatched pairs ~0), tokenizer PSNR, speed and peak memory.
"""

from __future__ import annotations

import json
import random
import resource
import time
from collections import defaultdict
from pathlib import Path
from typing import Annotated

import numpy as np
import typer

from limner.world.grammar import TAGS, parse_prompt, render_prompt, sample_layout, sample_spec
from limner.world.render import render
from limner.world.spec import SceneSpec
from limner.world.verify import check, read_scene


def _test_prompts(n_per_tag: int, seed: int, split: str = "test") -> list[tuple[str, str]]:
    rng = random.Random(10_000 + seed + (0 if split == "test" else 1))
    out = []
    for tag in TAGS:
        for _ in range(n_per_tag):
            while True:
                spec = sample_spec(rng, tag, split)
                if sample_layout(spec, rng, split) is not None:
                    break
            out.append((render_prompt(spec, rng), tag))
    return out


def _load_prompts(path: Path) -> list[tuple[str, str]]:
    rows = []
    for line in path.read_text().splitlines():
        if line.strip():
            d = json.loads(line)
            rows.append((d["prompt"], d.get("tag", "")))
    return rows


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(((a.astype(np.float64) - b.astype(np.float64)) ** 2).mean())
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def _verifier_selfcheck(n: int, seed: int) -> dict[str, float]:
    rng = random.Random(20_000 + seed)
    gt = mism = tried = 0
    total = 0
    for i in range(n):
        tag = TAGS[i % len(TAGS)]
        spec = sample_spec(rng, tag, "test")
        lay = sample_layout(spec, rng, "test")
        if lay is None:
            continue
        scene = read_scene(render(lay))
        total += 1
        gt += check(spec, scene).ok
        other = sample_spec(rng, TAGS[(i + 3) % len(TAGS)], "test")
        if other != spec:
            tried += 1
            mism += check(other, scene).ok
    return {"ground_truth_accuracy": gt / max(1, total), "mismatched_pass_rate": mism / max(1, tried),
            "n": total}


def _tokenizer_psnr(n: int, seed: int) -> dict[str, float]:
    from limner.generators.tiny_ar import tokenizer as tok

    rng = random.Random(30_000 + seed)
    exact, vals, shifted = 0, [], []
    for i in range(n):
        lay = sample_layout(sample_spec(rng, TAGS[i % len(TAGS)], "test"), rng, "test")
        if lay is None:
            continue
        img = render(lay)
        rec = tok.decode_image(tok.encode_image(img))
        p = _psnr(img, rec)
        exact += p == float("inf")
        vals.append(min(p, 99.0))
        off = np.roll(img, 3, axis=(0, 1))  # off-grid content: shapes no longer align with patches
        shifted.append(min(_psnr(off, tok.decode_image(tok.encode_image(off))), 99.0))
    return {"held_out_scenes": len(vals), "exact_fraction": exact / max(1, len(vals)),
            "mean_psnr_db_capped_99": float(np.mean(vals)), "shifted_3px_mean_psnr_db": float(np.mean(shifted))}


def _score(gen: object, rows: list[tuple[str, str]], seed: int, batch: int
           ) -> tuple[dict[str, list[bool]], dict[str, list[bool]], int, list[dict[str, object]]]:
    per_tag: dict[str, list[bool]] = defaultdict(list)
    crit: dict[str, list[bool]] = defaultdict(list)
    unparsed = 0
    samples: list[dict[str, object]] = []
    for i in range(0, len(rows), batch):
        chunk = rows[i:i + batch]
        imgs = gen.sample([p for p, _ in chunk], seed=seed + i)  # type: ignore[attr-defined]
        for (p, tag), img in zip(chunk, imgs, strict=True):
            spec: SceneSpec | None = parse_prompt(p)
            if spec is None:
                unparsed += 1
                continue
            scene = read_scene(img)
            c = check(spec, scene)
            per_tag[tag or "untagged"].append(c.ok)
            for k in ("shapes", "colours", "counts", "positions", "text", "background"):
                crit[k].append(getattr(c, k))
            if len(samples) < 16:
                samples.append({"prompt": p, "tag": tag, "ok": c.ok, "read": _describe(scene)})
    return per_tag, crit, unparsed, samples


def _describe(scene: object) -> str:
    from limner.world.verify import Scene

    assert isinstance(scene, Scene)
    parts = [f"{scene.background} background"]
    for i, e in enumerate(scene.slots):
        if e is not None:
            parts.append(f"slot {i}: {e}")
    if scene.text:
        parts.append(f"text {scene.text}")
    return "; ".join(parts)


def bench_generator(
    prompts: Annotated[Path | None, typer.Option(help="JSONL with {prompt, tag}; default: held-out compositions.")]
    = None,
    out_dir: Annotated[Path, typer.Option(help="Where generator.json / generator.md go.")] = Path("docs/benchmarks"),
    weights_dir: Annotated[Path | None, typer.Option(help="tiny_ar weights (default: the packaged ones).")] = None,
    n_per_tag: Annotated[int, typer.Option(help="Prompts per tag when no file is given.")] = 25,
    n_edits: Annotated[int, typer.Option()] = 60,
    n_compose: Annotated[int, typer.Option()] = 30,
    seed: Annotated[int, typer.Option()] = 0,
    threads: Annotated[int, typer.Option()] = 2,
) -> None:
    """Benchmark the tiny_ar generator with the exact world verifier."""
    from limner.generators.tiny_ar import tokenizer as tok
    from limner.generators.tiny_ar.generator import TinyArGenerator
    from limner.world.edits import sample_compose, sample_edit

    gen = TinyArGenerator(weights_dir=weights_dir, threads=threads)
    gen.warm()
    rows = _load_prompts(prompts) if prompts else _test_prompts(n_per_tag, seed)
    batch = 8
    per_tag, crit, unparsed, samples = _score(gen, rows, seed, batch)
    geneval_tags = [t for t in TAGS if t not in ("text", "person")]
    acc = {t: float(np.mean(v)) for t, v in per_tag.items()}
    overall_vals = [x for t in geneval_tags for x in per_tag.get(t, [])]
    seen_tag, _, _, _ = _score(gen, _test_prompts(max(1, n_per_tag // 2), seed, "train"), seed, batch)
    seen = {t: float(np.mean(v)) for t, v in seen_tag.items()}
    seen_overall = float(np.mean([x for t in geneval_tags for x in seen_tag.get(t, [])]))
    # edits and composition
    rng = random.Random(40_000 + seed)
    edit_ok: dict[str, list[bool]] = defaultdict(list)
    tasks = []
    while len(tasks) < n_edits:
        t = sample_edit(rng, "test")
        if t is not None:
            tasks.append(t)
    comps = []
    while len(comps) < n_compose:
        t = sample_compose(rng, "test")
        if t is not None:
            comps.append(t)
    for group in (tasks, comps):
        for i in range(0, len(group), batch):
            chunk = group[i:i + batch]
            ups = [[tok.layout_tokens(s) for s in t.sources] for t in chunk]
            imgs = gen.sample([t.instruction for t in chunk], seed=seed + i, uploads=ups)
            for t, img in zip(chunk, imgs, strict=True):
                edit_ok[t.kind].append(t.succeeded(read_scene(img)))
    edit_vals = [x for k, v in edit_ok.items() if k != "compose" for x in v]
    # speed
    speed: dict[str, float] = {}
    probe = [p for p, _ in rows[:8]]
    for cache in (True, False):
        gen.use_cache = cache
        name = "kv_cache" if cache else "no_cache"
        t0 = time.perf_counter()
        for j in range(3):
            gen.sample([probe[j]], seed=j)
        speed[f"s_per_image_batch1_{name}"] = (time.perf_counter() - t0) / 3
        t0 = time.perf_counter()
        gen.sample(probe, seed=0)
        speed[f"images_per_s_batch8_{name}"] = len(probe) / (time.perf_counter() - t0)
    gen.use_cache = True
    speed["kv_cache_speedup_batch1"] = speed["s_per_image_batch1_no_cache"] / speed["s_per_image_batch1_kv_cache"]
    speed["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = {
        "generator": "tiny_ar", "model_version": gen.model_version, "prompts": str(prompts or "held-out (built-in)"),
        "n_prompts": len(rows), "unparsed_prompts": unparsed,
        "accuracy_per_tag": acc, "overall_geneval_tags": float(np.mean(overall_vals)) if overall_vals else 0.0,
        "criteria": {k: float(np.mean(v)) for k, v in crit.items()},
        "seen_compositions": {"overall_geneval_tags": seen_overall, "accuracy_per_tag": seen},
        "text_exact_rate": acc.get("text", 0.0),
        "edit_success_rate": float(np.mean(edit_vals)) if edit_vals else 0.0,
        "edit_success_per_kind": {k: float(np.mean(v)) for k, v in edit_ok.items() if k != "compose"},
        "composition_success_rate": float(np.mean(edit_ok["compose"])) if edit_ok["compose"] else 0.0,
        "verifier": _verifier_selfcheck(300, seed), "tokenizer": _tokenizer_psnr(200, seed),
        "speed": speed, "threads": threads,
        "settings": {"temperature": gen.temperature, "image_temperature": gen.image_temperature,
                     "top_k": gen.top_k, "cfg_scale": gen.cfg_scale},
        "targets": {"overall": 0.90, "text_exact": 0.80, "edit": 0.85, "s_per_image_batch1": 0.5,
                    "kv_cache_speedup": 3.0},
        "samples": samples,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "generator.json").write_text(json.dumps(result, indent=2) + "\n")
    (out_dir / "generator.md").write_text(_markdown(result))
    typer.echo(json.dumps({k: result[k] for k in ("overall_geneval_tags", "text_exact_rate", "edit_success_rate",
                                                  "composition_success_rate")}, indent=2))


def _markdown(r: dict) -> str:  # type: ignore[type-arg]
    def f(x: float) -> str:
        return f"{x:.3f}"

    t = r["targets"]
    s = r["speed"]
    lines = [
        "# tiny_ar generator benchmark", "",
        f"Model `{r['model_version']}`; {r['n_prompts']} prompts ({r['prompts']}); every prompt is a composition held",
        "out of training (colour/shape pairs, shape pairs and words never seen). Scored by the exact world verifier.",
        "", "| metric | value | target |", "|---|---|---|",
        f"| overall (GenEval tags) | {f(r['overall_geneval_tags'])} | >= {t['overall']} |",
    ]
    for tag, v in r["accuracy_per_tag"].items():
        lines.append(f"| tag: {tag} | {f(v)} | |")
    lines += [
        f"| overall on compositions seen in training (fresh prompts) | "
        f"{f(r['seen_compositions']['overall_geneval_tags'])} | |",
        f"| text exact | {f(r['text_exact_rate'])} | >= {t['text_exact']} |",
        f"| edit success | {f(r['edit_success_rate'])} | >= {t['edit']} |",
        f"| composition success | {f(r['composition_success_rate'])} | |",
        f"| verifier on ground truth | {f(r['verifier']['ground_truth_accuracy'])} | ~1.0 |",
        f"| verifier on mismatched pairs | {f(r['verifier']['mismatched_pass_rate'])} | ~0.0 |",
        f"| tokenizer exact round trip (held-out scenes) | {f(r['tokenizer']['exact_fraction'])} | |",
        f"| tokenizer PSNR, scenes shifted 3 px off the grid | {r['tokenizer']['shifted_3px_mean_psnr_db']:.1f} dB | |",
        f"| s/image, batch 1, KV cache | {f(s['s_per_image_batch1_kv_cache'])} | < {t['s_per_image_batch1']} |",
        f"| s/image, batch 1, no cache | {f(s['s_per_image_batch1_no_cache'])} | |",
        f"| KV-cache speedup (batch 1) | {s['kv_cache_speedup_batch1']:.2f}x | >= {t['kv_cache_speedup']}x |",
        f"| images/s, batch 8, KV cache | {f(s['images_per_s_batch8_kv_cache'])} | |",
        f"| images/s, batch 8, no cache | {f(s['images_per_s_batch8_no_cache'])} | |",
        f"| peak RSS | {s['peak_rss_mb']:.0f} MB | |",
        "", "Per-criterion pass rates: " + ", ".join(f"{k} {f(v)}" for k, v in r["criteria"].items()),
        "", "Edit success per kind: " + ", ".join(f"{k} {f(v)}" for k, v in r["edit_success_per_kind"].items()),
        "", f"Settings: {r['settings']}; {r['threads']} torch threads on a shared 2-core CPU.", "",
    ]
    lines += ["## Samples (held-out prompts, what the verifier read)", "", "| prompt | tag | pass | read from pixels |",
              "|---|---|---|---|"]
    lines += [f"| {x['prompt']} | {x['tag']} | {x['ok']} | {x['read']} |" for x in r["samples"]]
    return "\n".join(lines) + "\n"
