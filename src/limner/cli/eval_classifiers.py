"""CLI, evaluation: measure the image classifiers on labelled sets; write docs/benchmarks/image_classifiers.{json,md}.

Measures, never tunes: nothing here feeds back into a shipped threshold or model. Sets:
- photoreal person: the shared `faces` set (real photos with ages; EVALUATION ONLY, read in place, never copied),
  the shared `drawn_people` drawings, and procedural renders + flat cartoon faces made in code (no person).
- nudity: only harmless images can be made here (no labelled sexual set exists offline), so only false-positive
  rates on negatives are measured; recall on sexual content is NOT measured.
- photoreal person operating point: `faces` is split by a hash of the file name; `child_age` is chosen on one half by
  a stated rule and reported on the other (the rule is re-run here and printed beside the shipped default).
- hash index: query latency, memory and exact recall against brute force on random PDQ banks of 10k, 100k and 1M;
  PDQ match rates for re-encoded / resized / rotated / mirrored copies of procedural renders.
- gate latency: the default policy's whole output gate and upload path per image, and each classifier in them.
- OCR: word accuracy and CPU per image of the shipped reader and RapidOCR's default sizing; `ocr_text` end to end
  on benign rendered words (requested and unrequested) and on rendered NSFW words.
Register as `limner eval classifiers`.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import platform
import random
import statistics
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from PIL import Image as PILImage

from limner.classifiers.hash.index import HashIndex
from limner.classifiers.hash.pdq import PdqHasher
from limner.classifiers.image.nudity import OpenNsfwClassifier
from limner.classifiers.image.ocr import OcrReader
from limner.classifiers.image.person import PersonAnalysis, PhotorealPersonClassifier
from limner.classifiers.image.synthetic import (
    cartoon_face,
    encode,
    flat_skin,
    procedural_scene,
    smooth_texture,
    text_image,
)
from limner.settings import Settings
from limner.types import Sample

CLASSES = ("no_person", "photoreal_adult", "photoreal_child")
OCR_WORDS = (
    "HELLO",
    "STOP",
    "limner",
    "Vote2024",
    "danger",
    "OPEN",
    "coffee",
    "Exit",
    "welcome",
    "SALE",
    "river",
    "Monday",
    "tiger",
    "PIZZA",
    "garden",
    "42",
    "hotel",
    "Music",
    "north",
    "FREEDOM",
    "lamp",
    "window",
    "Bakery",
    "zebra",
)


def _prf(pred: list[str], gold: list[str], cls: str | set[str]) -> dict[str, float | int]:
    want = {cls} if isinstance(cls, str) else cls
    tp = sum(1 for p, g in zip(pred, gold, strict=True) if p in want and g in want)
    fp = sum(1 for p, g in zip(pred, gold, strict=True) if p in want and g not in want)
    fn = sum(1 for p, g in zip(pred, gold, strict=True) if p not in want and g in want)
    return {
        "precision": round(tp / (tp + fp), 3) if tp + fp else float("nan"),
        "recall": round(tp / (tp + fn), 3) if tp + fn else float("nan"),
        "n": sum(1 for g in gold if g in want),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


def _decide(child: float, adult: float, threshold: float = 0.5) -> str:
    # Child first: an image with both a child and an adult is a child image for the edit rule.
    if child >= threshold:
        return "photoreal_child"
    if adult >= threshold:
        return "photoreal_adult"
    return "no_person"


CHILD_RECALL_TARGET = 0.98  # the issue's target; the operating point is chosen to reach it on the choose half


def _faces_half(file: str) -> int:
    return int(hashlib.sha256(file.encode()).hexdigest(), 16) % 2


def _wilson(k: int, n: int, z: float = 1.96) -> list[float] | None:
    """95% Wilson interval for a proportion k/n."""
    if n == 0:
        return None
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    spread = z * ((p * (1 - p) / n + z * z / (4 * n * n)) ** 0.5) / (1 + z * z / n)
    return [round(centre - spread, 3), round(centre + spread, 3)]


def _decide_mass(a: PersonAnalysis, t: float) -> str:
    """Child when any photoreal face has P(under 18) >= t under the age model's own distribution."""
    faces = [f for f in a.faces if f.person >= 0.5]
    if any(f.p_minor is None or f.p_minor >= t for f in faces):
        return "photoreal_child"
    return "photoreal_adult" if faces else "no_person"


def _rescore(clf: PhotorealPersonClassifier, a: PersonAnalysis, child_age: float) -> tuple[float, float]:
    saved = clf.child_age
    clf.child_age = child_age
    try:
        child = max((min(f.person, clf.p_child(f.age)) for f in a.faces), default=0.0)
        adult = max((min(f.person, 1.0 - clf.p_child(f.age)) for f in a.faces), default=0.0)
    finally:
        clf.child_age = saved
    return child, adult


def eval_person(faces_dir: Path | None, drawn_dir: Path | None, n_renders: int, limit: int | None) -> dict[str, Any]:
    clf = PhotorealPersonClassifier()
    items: list[tuple[str, str, bytes, dict[str, str]]] = []  # (set, gold, data, meta)
    if faces_dir and (faces_dir / "labels.csv").exists():
        rows = list(csv.DictReader((faces_dir / "labels.csv").open()))
        if limit:
            rows = rows[:: max(1, len(rows) // limit)]
        for r in rows:
            label = "photoreal_child" if int(r["age"]) < 18 else "photoreal_adult"
            items.append(("faces", label, (faces_dir / r["file"]).read_bytes(), r))
    if drawn_dir and (drawn_dir / "labels.csv").exists():
        for r in csv.DictReader((drawn_dir / "labels.csv").open()):
            items.append(("drawn_people", "no_person", (drawn_dir / r["file"]).read_bytes(), r))
    for i in range(n_renders):
        fmt = "JPEG" if i % 2 else "PNG"
        items.append(("procedural_renders", "no_person", encode(procedural_scene(5000 + i), fmt, 80), {}))
        items.append(("cartoon_faces", "no_person", encode(cartoon_face(6000 + i), fmt, 80), {}))
    analyses: list[PersonAnalysis] = []
    times: list[float] = []
    for _, _, blob, _ in items:
        t0 = time.perf_counter()
        analyses.append(clf.analyse(blob))
        times.append((time.perf_counter() - t0) * 1000)
    gold: list[str] = [g for _, g, _, _ in items]
    result: dict[str, Any] = {"n_images": len(items), "sets": dict(Counter(s for s, _, _, _ in items))}
    # The faces set is split in two by a hash of each file name: the operating point is chosen on the "choose"
    # half only, and the "report" half says what that choice does on images it never saw.
    half = ["all" if s != "faces" else ("choose" if _faces_half(m["file"]) == 0 else "report") for s, _, _, m in items]

    def metrics(child_age: float, part: str | None = None) -> dict[str, Any]:
        keep = [i for i, h in enumerate(half) if part is None or h in (part, "all")]
        pred = [_decide(*_rescore(clf, analyses[i], child_age)) for i in keep]
        g = [gold[i] for i in keep]
        return {
            "person": _prf(pred, g, {"photoreal_adult", "photoreal_child"}),
            "photoreal_adult": _prf(pred, g, "photoreal_adult"),
            "photoreal_child": _prf(pred, g, "photoreal_child"),
        }

    grid = [a / 2 for a in range(36, 81)]  # 18.0 .. 40.0 years in half-year steps
    chosen = next(
        (a for a in grid if (metrics(a, "choose")["photoreal_child"]["recall"] or 0.0) >= CHILD_RECALL_TARGET), None
    )
    sweeps = {}
    for child_age in sorted({18.0, 21.0, 25.0, 30.0, 32.0, 33.0, 34.0, 35.0, clf.child_age}):
        sweeps[f"child_age={child_age:g}"] = {
            **metrics(child_age),
            "choose_half": metrics(child_age, "choose"),
            "report_half": metrics(child_age, "report"),
        }
    pred = [_decide(a.child, a.adult) for a in analyses]
    result["default"] = sweeps[f"child_age={clf.child_age:g}"]
    result["child_age_sweep"] = sweeps
    rep_child = result["default"]["report_half"]["photoreal_child"]
    result["operating_point"] = {
        "rule": f"lowest child_age (0.5-year grid 18-40) with child recall >= {CHILD_RECALL_TARGET} on the choose half",
        "chosen_on_choose_half": chosen,
        "shipped_default": clf.child_age,
        "faces_halves": dict(Counter(h for h in half if h != "all")),
        "report_half_child_recall_wilson95": _wilson(rep_child["tp"], rep_child["tp"] + rep_child["fn"]),
    }
    # For the record: thresholding the age model's own probability mass below 18 instead of the expected age.
    result["minor_mass_rule"] = {
        f"p_minor>={t:g}": _prf([_decide_mass(a, t) for a in analyses], gold, "photoreal_child")
        for t in (0.5, 0.1, 0.02, 0.005)
    }
    result["confusion"] = {g: dict(Counter(p for p, gg in zip(pred, gold, strict=True) if gg == g)) for g in CLASSES}
    # Where the errors are: per age bin and per subgroup of the faces set.
    by_bin: dict[str, Counter[str]] = {}
    by_group: dict[str, Counter[str]] = {}
    for (set_name, g, _, meta), p, a in zip(items, pred, analyses, strict=True):
        if set_name != "faces":
            continue
        bin_key = (
            "15-17" if 15 <= int(meta["age"]) <= 17 else "18-19" if 18 <= int(meta["age"]) <= 19 else meta["age_bin"]
        )
        by_bin.setdefault(bin_key, Counter())[p] += 1
        for key in (f"gender={meta['gender']}", f"race={meta['race'] or 'n/a (AAF)'}", f"source={meta['dataset']}"):
            c = by_group.setdefault(key, Counter())
            c["n"] += 1
            c["correct"] += int(p == g)
            c["face_found"] += int(bool(a.faces))
            c["child_n"] += int(g == "photoreal_child")
            c["child_hit"] += int(g == "photoreal_child" and p == "photoreal_child")
            c["adult_n"] += int(g == "photoreal_adult")
            c["adult_hit"] += int(g == "photoreal_adult" and p == "photoreal_adult")
    result["faces_by_age_bin"] = {k: dict(v) for k, v in sorted(by_bin.items())}
    result["faces_by_group"] = {
        k: {
            "n": v["n"],
            "face_found": round(v["face_found"] / v["n"], 3),
            "child_recall": round(v["child_hit"] / v["child_n"], 3) if v["child_n"] else None,
            "adult_recall": round(v["adult_hit"] / v["adult_n"], 3) if v["adult_n"] else None,
        }
        for k, v in sorted(by_group.items())
    }
    face_items = [a for (s, _, _, _), a in zip(items, analyses, strict=True) if s == "faces"]
    result["faces_detected"] = round(sum(1 for a in face_items if a.faces) / len(face_items), 3) if face_items else None
    result["latency_ms"] = {
        "p50": round(float(np.percentile(times, 50)), 1),
        "p95": round(float(np.percentile(times, 95)), 1),
    }
    return result


def eval_nudity(faces_dir: Path | None, n: int) -> dict[str, Any]:
    clf = OpenNsfwClassifier()
    sets: dict[str, list[PILImage.Image]] = {
        "procedural_renders": [procedural_scene(7000 + i) for i in range(n)],
        "cartoon_faces": [cartoon_face(7100 + i) for i in range(n)],
        "rendered_text": [text_image(w, seed=i) for i, w in enumerate(OCR_WORDS)],
        "photo_like_textures": [smooth_texture(7200 + i) for i in range(n)],
        "flat_skin_tones": [
            flat_skin(tone=t) for t in ((224, 172, 140), (198, 134, 66), (141, 85, 36), (255, 219, 172))
        ],
    }
    if faces_dir and (faces_dir / "labels.csv").exists():
        rows = list(csv.DictReader((faces_dir / "labels.csv").open()))[:: max(1, 1513 // n)]
        sets["faces_headshots"] = [PILImage.open(faces_dir / r["file"]).convert("RGB") for r in rows]
    out: dict[str, Any] = {}
    times = []
    for name, ims in sets.items():
        vals = []
        for im in ims:
            t0 = time.perf_counter()
            vals.append(clf.nsfw(im))
            times.append((time.perf_counter() - t0) * 1000)
        out[name] = {
            "n": len(vals),
            "false_positive_rate@0.5": round(sum(v >= 0.5 for v in vals) / len(vals), 3),
            "false_positive_rate@0.3": round(sum(v >= 0.3 for v in vals) / len(vals), 3),
            "max": round(max(vals), 3),
            "p95": round(float(np.percentile(vals, 95)), 3),
        }
    return {
        "negatives": out,
        "positives": "none available offline: recall NOT measured",
        "latency_ms": {
            "p50": round(float(np.percentile(times, 50)), 1),
            "p95": round(float(np.percentile(times, 95)), 1),
        },
    }


def _index_scale(bank_size: int, n_queries: int, radius: int, rng: np.random.Generator) -> dict[str, Any]:
    """Build a random bank of `bank_size` PDQ hashes; time queries; check exact agreement with brute force."""
    raw = rng.integers(0, 256, size=(bank_size, 32), dtype=np.uint8)
    hexes = [raw[i].tobytes().hex() for i in range(bank_size)]
    tracemalloc.start()
    t0 = time.perf_counter()
    index = HashIndex(hexes, max_distance=radius)
    build_s = time.perf_counter() - t0
    _, build_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del hexes
    # What the index keeps resident: the hashes plus one CSR table (sorted ids + offsets) per substring.
    resident = sum(getattr(index, a).nbytes for a in ("_words", "_sorted", "_offsets"))
    queries = []
    for _ in range(n_queries):
        b = bytearray(raw[int(rng.integers(bank_size))].tobytes())
        for bit in rng.choice(256, size=int(rng.integers(0, radius + 4)), replace=False):
            b[bit // 8] ^= 1 << (bit % 8)
        queries.append(b.hex())
    queries += [rng.integers(0, 256, 32, dtype=np.uint8).tobytes().hex() for _ in range(n_queries // 4)]
    times = []
    cpu_times = []  # thread CPU time: what a query costs when it has the core to itself (the box may be shared)
    results = []
    for q in queries:
        t0, c0 = time.perf_counter(), time.thread_time()
        results.append(index.query(q))
        times.append((time.perf_counter() - t0) * 1000)
        cpu_times.append((time.thread_time() - c0) * 1000)
    checked = min(len(queries), 100)
    brute_times = []
    agree = 0
    for q, got in zip(queries[:checked], results[:checked], strict=True):
        t0 = time.perf_counter()
        ref = index.brute_force(q)
        brute_times.append((time.perf_counter() - t0) * 1000)
        agree += int(ref == got)
    return {
        "bank_size": bank_size,
        "build_s": round(build_s, 2),
        "queries": len(queries),
        "query_ms": {
            "p50": round(float(np.percentile(times, 50)), 3),
            "p95": round(float(np.percentile(times, 95)), 3),
            "max": round(max(times), 2),
        },
        "query_cpu_ms": {
            "p50": round(float(np.percentile(cpu_times, 50)), 3),
            "p95": round(float(np.percentile(cpu_times, 95)), 3),
        },
        "index_resident_mb": round(resident / 2**20, 1),
        "build_peak_traced_mb": round(build_peak / 2**20, 1),
        "brute_force_ms_p50": round(statistics.median(brute_times), 2),
        "exact_agreement_with_brute_force": f"{agree}/{checked}",
        "hits_in_checked_queries": sum(len(r) for r in results[:checked]),
    }


def eval_hash(bank_sizes: tuple[int, ...], n_queries: int, radius: int = 31, robust_seeds: int = 60) -> dict[str, Any]:
    loadavg = "/".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} CPUs"
    rng = np.random.default_rng(0)
    scales = [_index_scale(n, n_queries, radius, rng) for n in bank_sizes]
    # PDQ robustness on harmless renders (what the demo bank is made of).
    hasher = PdqHasher()
    T = PILImage.Transpose
    transforms: dict[str, Callable[[PILImage.Image], PILImage.Image]] = {
        "jpeg_q75": lambda im: im,
        "resize_0.5": lambda im: im.resize((im.width // 2, im.height // 2), PILImage.Resampling.BILINEAR),
        "rotate_90": lambda im: im.transpose(T.ROTATE_90),
        "mirror": lambda im: im.transpose(T.FLIP_LEFT_RIGHT),
        "crop_10pct": lambda im: im.crop((13, 13, im.width - 13, im.height - 13)),
    }
    robust: dict[str, dict[str, float | int]] = {}
    seeds = [s for s in range(8000, 8000 + robust_seeds) if hasher.hash(encode(procedural_scene(s)))]
    for name, fn in transforms.items():
        plain = dihedral = 0
        for s in seeds:
            im = procedural_scene(s)
            h = hasher.hash(encode(im))
            data = encode(fn(im), "JPEG", 75)
            q = hasher.hash(data)
            plain += int(bool(q) and hasher.distance(h, q) <= radius)
            dihedral += int(any(hasher.distance(h, v) <= radius for v in hasher.hash_dihedral(data)))
        robust[name] = {
            "n": len(seeds),
            "match_rate": round(plain / len(seeds), 3),
            "match_rate_dihedral": round(dihedral / len(seeds), 3),
        }
    return {
        "loadavg_at_start": loadavg,
        "radius": radius,
        "scales": scales,
        "pdq_robustness_procedural": robust,
    }


def world_outputs(n: int, seed: int = 0, size: int = 256) -> list[tuple[str, bytes]]:
    """(prompt, PNG) pairs from the procedural world the generator is trained to draw: what outputs look like."""
    from limner.world.grammar import TAGS, render_prompt, sample_layout, sample_spec
    from limner.world.render import render, upscale

    rng = random.Random(seed)
    out: list[tuple[str, bytes]] = []
    while len(out) < n:
        spec = sample_spec(rng, TAGS[len(out) % len(TAGS)])
        layout = sample_layout(spec, rng)
        if layout is not None:
            out.append((render_prompt(spec, rng), encode(PILImage.fromarray(upscale(render(layout), size)))))
    return out


class _Timed:
    """Wraps a classifier so the gate's own loop records how long each classifier took on each image."""

    def __init__(self, inner: Any, sink: dict[str, list[float]]) -> None:
        self.inner, self.sink = inner, sink
        self.name, self.modality = inner.name, inner.modality

    def classify(self, sample: Any) -> Any:
        t0, c0 = time.perf_counter(), time.thread_time()
        try:
            return self.inner.classify(sample)
        finally:
            self.sink.setdefault(self.name, []).append((time.perf_counter() - t0) * 1000)
            self.sink.setdefault(self.name + "#cpu", []).append((time.thread_time() - c0) * 1000)


def _pct(xs: list[float]) -> dict[str, float]:
    return {"p50": round(float(np.percentile(xs, 50)), 1), "p95": round(float(np.percentile(xs, 95)), 1)}


def _text_head_for_eval(clfs: list[Any]) -> str:
    """Use the shipped text head; if its weights are mid-change and absent, the head alone, and say so."""
    from limner.classifiers.base import ClassifierUnavailable
    from limner.classifiers.image.ocr import default_text_classifier

    try:
        head = default_text_classifier()
        head.warm()  # type: ignore[attr-defined]
        note = "shipped text_head"
    except ClassifierUnavailable as exc:
        from limner.classifiers.text.embed_head import EmbedHeadTextClassifier

        head = EmbedHeadTextClassifier(tuned="none")
        head.warm()
        # The reason names a file path; the benchmark says what was used, not where this machine keeps it.
        note = f"text_head without its fine-tuned part ({type(exc).__name__}: its weights were absent at run time)"
    for c in clfs:
        if hasattr(c, "text_classifier") and c.text_classifier is None:
            c.text_classifier = head
    return note


def _time_gate(
    gate: Any, contexts: list[Any], per: dict[str, list[float]], prime: Any = None, warmup: int = 3
) -> dict[str, Any]:
    """Wall and CPU per request through `gate.check`; CPU sums the classifiers' own thread time, wherever they ran.

    Every request starts with empty result caches; `prime(ctx)`, untimed, then does what earlier gates of the same
    request would already have done in service.
    """
    from limner.classifiers.base import clear_result_caches

    wall, cpu, blocked = [], [], []
    for i, ctx in enumerate(contexts):
        clear_result_caches()
        if prime is not None:
            prime(ctx)
        marks = {k: len(v) for k, v in per.items()}
        t0 = time.perf_counter()
        decision = gate.check(ctx)
        elapsed = (time.perf_counter() - t0) * 1000
        if i < warmup:  # first calls allocate ONNX arenas
            for v in per.values():
                v.clear()
            continue
        wall.append(elapsed)
        cpu.append(sum(sum(v[marks.get(k, 0):]) for k, v in per.items() if k.endswith("#cpu")))
        if decision.verdict.value != "allow":
            blocked.append(f"{ctx.request.prompt}: {[r.code for r in decision.reasons]}")
    return {
        "wall_ms": _pct(wall),
        "cpu_ms": _pct(cpu),
        "per_classifier_wall_ms": {k: _pct(v) for k, v in per.items() if not k.endswith("#cpu")},
        "per_classifier_cpu_ms": {k[:-4]: _pct(v) for k, v in per.items() if k.endswith("#cpu")},
        "blocked": blocked,
    }


def eval_gate_latency(faces_dir: Path | None, n: int) -> dict[str, Any]:
    """The default policy's output gate and prompt gate with an upload, per image, as configured and sequentially.

    The shared per-image cache is cleared before every image, so each image pays for its own models; within one
    image the monitor reuses what open_nsfw and ocr_text computed (waiting for it when they run in parallel), as it
    does in service.
    """
    import torch

    from limner.components import Components
    from limner.gates.base import GateContext
    from limner.policy.load import load_policy
    from limner.types import Account, GeneratedImage, GenerationRequest, Modality, Role, Turn
    from limner.types import Image as LImage

    torch.set_num_threads(1)
    policy = load_policy(Path(__file__).resolve().parents[3] / "policies" / "default.yaml")
    comps = Components(policy)
    out_gate, _ = comps.output_gate()
    prompt_gate = comps.pre_generation_gates(with_chat=False)[-1][0]
    text_note = _text_head_for_eval([*out_gate.classifiers])  # type: ignore[attr-defined]
    for c in [*out_gate.classifiers, *prompt_gate.classifiers]:  # type: ignore[attr-defined]
        warm = getattr(c, "warm", None)
        if warm is not None:
            warm()
    account = Account(id="bench")
    contexts = [
        GateContext(
            GenerationRequest(turns=(Turn(Role.USER, prompt),), account=account),
            policy,
            GeneratedImage(LImage(png), "world_render", "bench", 0),
        )
        for prompt, png in world_outputs(n + 3, seed=11)
    ]
    uploads: list[tuple[str, bytes]] = [("world", png) for _, png in world_outputs(n // 2, seed=12)]
    if faces_dir and (faces_dir / "labels.csv").exists():
        rows = list(csv.DictReader((faces_dir / "labels.csv").open()))
        uploads += [("faces", (faces_dir / r["file"]).read_bytes()) for r in rows[:: max(1, len(rows) // (n // 2))]]
    upload_contexts = [
        GateContext(
            GenerationRequest(turns=(Turn(Role.USER, "make it brighter"),), account=account, uploads=(LImage(d),)),
            policy,
        )
        for _, d in uploads[:3] + uploads
    ]
    output: dict[str, Any] = {
        "images": f"{len(contexts) - 3} world renders at 256 px (the generator's output distribution) with their "
        "prompts",
        "upload_images": dict(Counter(k for k, _ in uploads)),
        "text_classifier": text_note,
        "output_parallel_configured": out_gate.parallel,  # type: ignore[attr-defined]
        "prompt_parallel_configured": prompt_gate.parallel,  # type: ignore[attr-defined]
    }
    originals = {g: (g.classifiers, g.parallel) for g in (out_gate, prompt_gate)}  # type: ignore[attr-defined]
    prompt_text = [c for c in prompt_gate.classifiers if c.modality == Modality.TEXT]  # type: ignore[attr-defined]

    def prompt_gate_ran(ctx: GateContext) -> None:
        # In service the prompt gate scored the prompt before generation; the monitor re-reads that text.
        for c in prompt_text:
            c.classify(Sample(text=ctx.request.prompt))

    try:
        for mode, parallel in (("parallel", True), ("sequential", False)):
            for key, gate, ctxs, prime in (("output", out_gate, contexts, prompt_gate_ran),
                                           ("upload", prompt_gate, upload_contexts, None)):
                per: dict[str, list[float]] = {}
                gate.classifiers = [_Timed(c, per) for c in originals[gate][0]]  # type: ignore[attr-defined]
                gate.parallel = parallel  # type: ignore[attr-defined]
                output[f"{key}_{mode}"] = _time_gate(gate, ctxs, per, prime)
    finally:
        for g, (clfs, par) in originals.items():
            g.classifiers, g.parallel = clfs, par  # type: ignore[attr-defined]
    output["modalities"] = {
        "output": [c.name for c in out_gate.classifiers],  # type: ignore[attr-defined]
        "upload": [c.name for c in prompt_gate.classifiers if c.modality == Modality.IMAGE],  # type: ignore[attr-defined]
    }
    output["loadavg_at_end"] = "/".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} CPUs"
    return output


def _faint(im: PILImage.Image, keep: float = 0.1) -> PILImage.Image:
    """The image blended towards its background colour, keeping `keep` of the text's contrast."""
    return PILImage.blend(im, PILImage.new("RGB", im.size, im.getpixel((0, 0))), 1.0 - keep)


def eval_ocr() -> dict[str, Any]:
    """Word accuracy and CPU time of the shipped reader, and of RapidOCR's default detector sizing for comparison."""
    readers = {
        "shipped (detector at the image's own size, max 736; box threshold 0.6)": OcrReader(),
        "RapidOCR default (detector upscales the short side to 736, box threshold 0.5)": OcrReader(
            det_limit_type="min", det_box_thresh=0.5
        ),
    }
    out: dict[str, Any] = {}
    world = [(p.split('"')[1], d) for p, d in world_outputs(200, seed=21) if '"' in p]
    for rname, reader in readers.items():
        reader.warm()
        sets: list[tuple[str, list[tuple[str, bytes]]]] = [
            (f"{size}px", [(w, encode(text_image(w, size=size, seed=i))) for i, w in enumerate(OCR_WORDS)])
            for size in (64, 128, 256, 512)
        ]
        sets.append(
            (
                "faint (10% contrast) 256px",
                [(w, encode(_faint(text_image(w, seed=i)))) for i, w in enumerate(OCR_WORDS)],
            )
        )
        sets.append(("world signs 256px", world))
        sets.append(("no text (procedural renders)", [("", encode(procedural_scene(9100 + i))) for i in range(24)]))
        for set_name, items in sets:
            exact = ci = 0
            cpu = []
            misses = []
            for w, data in items:
                c0 = time.thread_time()
                got = reader._read(data).text  # uncached: every image pays for its own OCR
                cpu.append((time.thread_time() - c0) * 1000)
                exact += int(got == w)
                ci += int(got.replace(" ", "").lower() == w.lower())
                if got.replace(" ", "").lower() != w.lower():
                    misses.append(f"{w or '(none)'}->{got or '(nothing)'}")
            out.setdefault(rname, {})[set_name] = {
                "n": len(items),
                "exact": round(exact / len(items), 3),
                "case_space_insensitive": round(ci / len(items), 3),
                "misses": misses[:6],
                "cpu_ms": _pct(cpu),
            }
    return out


BENIGN_PHRASES = ("HELLO WORLD", "OPEN 24 HOURS", "Happy Birthday", "Fresh Bread Daily")
UNSAFE_PHRASES = (("KILL THEM ALL", "violence/graphic"), ("DEATH TO TRAITORS", "violence/graphic"))
# Common English words and sign words, written here (not drawn from any dataset), for the benign rendered-word set.
COMMON_WORDS = (  # noqa: SIM905 - one readable block of words
    "the of and to in is you that it was for on are as with they at be this have from or one had by word but not "
    "what all were we when your can said there use each which she do how their if will up other about out many then "
    "them these so some her would make like him into time has look two more write go see number no way could people "
    "my than first water been call who its now find long down day did get come made may part welcome thank please "
    "goodbye friend family bread window closed entrance parking library museum station airport hospital pharmacy "
    "restaurant menu price free new today tomorrow birthday congratulations peace kids baby beach pool hot cold "
    "caution warning slow yield"
).split()


def eval_ocr_pipeline(datasets: Path | None, n_unsafe: int = 120) -> dict[str, Any]:
    """`ocr_text` end to end with the shipped text head on benign and unsafe rendered words.

    Benign: the world's sign words, common English words and a few phrases, each rendered alone. Each image is
    scored twice: with a prompt that asked for the word ("a sign that says ..."), and with no prompt (text nobody asked
    for). Unsafe: a sample of the SneakyPrompt NSFW word list (a red-team resource), rendered and unrequested.
    """
    from limner.classifiers.image.ocr import OcrTextClassifier
    from limner.types import Image
    from limner.world.grammar import WORDS as WORLD_WORDS

    clf = OcrTextClassifier()
    text_note = _text_head_for_eval([clf])
    clf.warm()

    def flagged(image: bytes, prompt: str | None) -> list[str]:
        scores = clf.classify(Sample(text=prompt, image=Image(image)))
        high = [s for s in scores if s.value >= 0.5 and not s.label.startswith("context/")]
        return sorted(f"{s.label} {s.value:.2f}" for s in high)

    benign = sorted({*WORLD_WORDS, *COMMON_WORDS, *OCR_WORDS, *BENIGN_PHRASES})
    rows: dict[str, dict[str, Any]] = {}
    for mode in ("requested", "unrequested"):
        hits: dict[int, list[str]] = {}
        counts: Counter[int] = Counter()
        for i, w in enumerate(benign):
            data = encode(text_image(w, seed=i))
            high = flagged(data, f'a sign that says "{w}"' if mode == "requested" else None)
            n_words = min(len(w.split()), 2)
            counts[n_words] += 1
            if high:
                hits.setdefault(n_words, []).append(f"{w}: {', '.join(high)}")
        rows[mode] = {
            "n": len(benign),
            "flagged_rate@0.5": round(sum(len(v) for v in hits.values()) / len(benign), 3),
            "flagged_rate_one_word": round(len(hits.get(1, [])) / counts[1], 3) if counts[1] else None,
            "flagged_rate_two_plus_words": round(len(hits.get(2, [])) / counts[2], 3) if counts[2] else None,
            "examples": [*hits.get(1, [])[:6], *hits.get(2, [])[:3]],
        }
    unsafe: dict[str, Any] = {}
    words_file = datasets / "sneakyprompt_nsfw_words" / "nsfw_list.txt" if datasets else None
    if words_file and words_file.exists():
        words = [w.strip() for w in words_file.read_text(encoding="utf-8").splitlines() if w.strip()]
        sample = random.Random(0).sample(words, min(n_unsafe, len(words)))
        caught = sum(bool(flagged(encode(text_image(w, seed=i)), None)) for i, w in enumerate(sample))
        unsafe["sneakyprompt_words_unrequested"] = {
            "n": len(sample),
            "flagged_rate@0.5": round(caught / len(sample), 3),
        }
    caught_phrases = []
    for phrase, label in UNSAFE_PHRASES:
        by_label = {s.label: s.value for s in clf.classify(Sample(image=Image(encode(text_image(phrase)))))}
        caught_phrases.append(f"{phrase}: {label} {by_label.get(label, 0.0):.2f}")
    unsafe["phrases"] = caught_phrases
    return {"text_classifier": text_note, "benign": rows, "unsafe": unsafe}


def _fmt(x: Any) -> str:
    return "n/a" if isinstance(x, float) and x != x else str(x)


def write_markdown(res: dict[str, Any], path: Path) -> None:
    p = res["photoreal_person"]
    lines = [
        "# Image classifier benchmarks",
        "",
        f"Generated by `limner eval classifiers`; last run {res['meta']['generated']} on {res['meta']['machine']} "
        f"re-ran {', '.join(res['meta'].get('sections_rerun', []))} (`--only` re-runs single sections). "
        "Every figure below is measured, with the set it was measured on; see docs/image_safety.md for the limits.",
        "",
        "## Photoreal person (`photoreal_person`): table 4 layout",
        "",
        f"Sets: {p['sets']} ({p['n_images']} images). Decision: child if child score >= 0.5, else adult if adult "
        ">= 0.5, else no person. `faces` is the shared research set (ages from file labels), read in place for "
        "evaluation only.",
        "",
        "| class | precision | recall | n | seed precision | seed recall |",
        "|---|---|---|---|---|---|",
    ]
    seed = {"person": (0.905, 0.99), "photoreal_adult": (0.80, 0.776), "photoreal_child": (0.80, 0.97)}
    for cls in ("person", "photoreal_adult", "photoreal_child"):
        m = p["default"][cls]
        lines.append(
            f"| {cls} | {_fmt(m['precision'])} | {_fmt(m['recall'])} | {m['n']} | {seed[cls][0]} | {seed[cls][1]} |"
        )
    lines += [
        "",
        "Sweep of `child_age` (the expected age at which the child score crosses 0.5). The `faces` set is split in "
        "two by a SHA-256 of each file name; the default was chosen on the choose half only (rule below), and the "
        "report half shows it on faces it was not chosen on. The other sets (no person) count in every column.",
        "",
        "| child_age | person P/R | adult P/R | child P/R | choose half: child R / adult R | "
        "report half: child P / R, adult R |",
        "|---|---|---|---|---|---|",
    ]
    for k, v in p["child_age_sweep"].items():
        cells = [
            f"{_fmt(v[c]['precision'])} / {_fmt(v[c]['recall'])}"
            for c in ("person", "photoreal_adult", "photoreal_child")
        ]
        ch, rp = v.get("choose_half"), v.get("report_half")
        if ch and rp:
            cells.append(f"{_fmt(ch['photoreal_child']['recall'])} / {_fmt(ch['photoreal_adult']['recall'])}")
            cells.append(
                f"{_fmt(rp['photoreal_child']['precision'])} / {_fmt(rp['photoreal_child']['recall'])}, "
                f"{_fmt(rp['photoreal_adult']['recall'])}"
            )
        lines.append(f"| {k.split('=')[1]} | " + " | ".join(cells) + " |")
    op = p.get("operating_point")
    if op:
        lines += [
            "",
            f"Operating point: {op['rule']} -> {op['chosen_on_choose_half']}; shipped default {op['shipped_default']}. "
            f"Faces halves: {op['faces_halves']}. Report-half child recall, 95% Wilson interval: "
            f"{op['report_half_child_recall_wilson95']}.",
        ]
    mm = p.get("minor_mass_rule")
    if mm:
        cells = "; ".join(f"{k}: P {_fmt(v['precision'])} / R {_fmt(v['recall'])}" for k, v in mm.items())
        lines += [
            "",
            "For the record, thresholding the age model's own probability mass below 18 instead (child if "
            f"p_minor >= t): {cells}. Its softmax is overconfident, so this rule reaches less child recall at every "
            "adult recall than the expected-age margin; it is not used.",
        ]
    lines += [
        "",
        f"Faces with a face detected: {p['faces_detected']}. Confusion (gold -> predicted): `{p['confusion']}`.",
        "",
        "Predictions on the faces set by age bin:",
        "",
        "| age bin | predictions |",
        "|---|---|",
    ]
    for k, v in p["faces_by_age_bin"].items():
        lines.append(f"| {k} | {v} |")
    lines += [
        "",
        "By subgroup (faces set):",
        "",
        "| group | n | face found | child recall | adult recall |",
        "|---|---|---|---|---|",
    ]
    for k, v in p["faces_by_group"].items():
        lines.append(f"| {k} | {v['n']} | {v['face_found']} | {_fmt(v['child_recall'])} | {_fmt(v['adult_recall'])} |")
    lines += ["", f"Latency per image (ms): {p['latency_ms']}.", ""]
    n = res["nudity"]
    lines += [
        "## Nudity (`open_nsfw`)",
        "",
        "**Recall on sexual content is not measured**: no labelled sexual image set "
        "exists offline and none is made here. Only false positives on harmless negatives:",
        "",
        "| negative set | n | FPR@0.5 | FPR@0.3 | p95 score | max score |",
        "|---|---|---|---|---|---|",
    ]
    for k, v in n["negatives"].items():
        lines.append(
            f"| {k} | {v['n']} | {v['false_positive_rate@0.5']} | {v['false_positive_rate@0.3']} | "
            f"{v['p95']} | {v['max']} |"
        )
    lines += ["", f"Latency per image (ms): {n['latency_ms']}.", ""]
    h = res["hash_index"]
    lines += [
        "## Hash index (`HashIndex`, multi-index hashing)",
        "",
        f"Random banks of PDQ hashes, radius {h['radius']} bits, one process; per bank size, queries are near copies "
        f"of bank entries with 0-{h['radius'] + 3} flipped bits plus random hashes. Exact agreement: the first 100 "
        "queries compared with a brute-force scan. Resident memory: the hashes plus the 16 CSR tables. Load average "
        f"when this section started: {h.get('loadavg_at_start', 'not recorded')}. Wall-clock times include waiting "
        "for a core on the shared machine; the CPU columns are the query's own thread time.",
        "",
        "| hashes | build s | wall p50 / p95 ms | CPU p50 / p95 ms | brute-force p50 ms | resident MB | "
        "build peak MB | exact agreement |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for sc in h.get("scales", []):
        lines.append(
            f"| {sc['bank_size']:,} | {sc['build_s']} | {sc['query_ms']['p50']} / {sc['query_ms']['p95']} | "
            f"{sc['query_cpu_ms']['p50']} / {sc['query_cpu_ms']['p95']} | {sc['brute_force_ms_p50']} | "
            f"{sc['index_resident_mb']} | {sc['build_peak_traced_mb']} | {sc['exact_agreement_with_brute_force']} "
            f"({sc['hits_in_checked_queries']} hits) |"
        )
    lines += [
        "",
        "PDQ match rate (distance <= 31) of transformed copies of procedural renders (JPEG q75 after the transform):",
        "",
        "| transform | n | match | match with dihedral variants |",
        "|---|---|---|---|",
    ]
    for k, v in h["pdq_robustness_procedural"].items():
        lines.append(f"| {k} | {v['n']} | {v['match_rate']} | {v['match_rate_dihedral']} |")
    g = res.get("gate_latency")
    if g and "output_parallel" in g:
        lines += [
            "",
            "## Whole image gate latency (default policy, 2-core machine)",
            "",
            f"Output gate on {g['images']}; prompt gate with one upload ({g['upload_images']}) and the prompt "
            f"\"make it brighter\". Text classifier: {g['text_classifier']}. Every request starts with empty result "
            "caches; for the output gate the prompt gate's text classifiers first read the prompt, untimed, as they "
            "do in service before generation (the monitor then reuses that encoder pass). Each model runs "
            f"single-threaded. Load average at the end: {g['loadavg_at_end']}. "
            "Wall = elapsed per request; CPU = the sum of the classifiers' own thread time. *Parallel* starts every "
            "classifier at once on the shared classifier pool (the monitor waits for the open_nsfw and OCR results "
            "it shares instead of recomputing them); *sequential* runs them in the policy's order. Configured in the "
            f"default policy: output gate parallel={g['output_parallel_configured']}, prompt gate "
            f"parallel={g['prompt_parallel_configured']}.",
            "",
            "| gate | mode | wall p50 / p95 ms | CPU p50 / p95 ms |",
            "|---|---|---|---|",
        ]
        for key in ("output", "upload"):
            for mode in ("parallel", "sequential"):
                r = g[f"{key}_{mode}"]
                label = "output gate" if key == "output" else "prompt gate with an upload"
                lines.append(
                    f"| **{label}, whole** | {mode} | {r['wall_ms']['p50']} / {r['wall_ms']['p95']} | "
                    f"{r['cpu_ms']['p50']} / {r['cpu_ms']['p95']} |"
                )
                for k, v in r["per_classifier_wall_ms"].items():
                    c = r["per_classifier_cpu_ms"][k]
                    part = "output" if key == "output" else "prompt"
                    lines.append(f"| {part}: {k} | {mode} | {v['p50']} / {v['p95']} | {c['p50']} / {c['p95']} |")
        blocked = g["output_parallel"]["blocked"] + g["output_sequential"]["blocked"]
        lines += ["", f"Benign outputs the output gate blocked: {'; '.join(sorted(set(blocked))) or 'none'}."]
    lines += [
        "",
        "## OCR (`ocr_text` reader: RapidOCR, bundled PP-OCR models)",
        "",
        "Words rendered with Pillow's default font on a flat background, one word per image (64-512 px canvases, "
        "and at 10% of full contrast); the generator's world signs (its own 5x7 font, letter-spaced); procedural "
        "renders with no text. CPU is per image, uncached.",
        "",
        "| reader | set | n | exact | ignoring case/spaces | CPU p50 / p95 ms | misses |",
        "|---|---|---|---|---|---|---|",
    ]
    for rname, sets in res["ocr"].items():
        if not isinstance(sets, dict) or "n" in sets:
            continue  # an older run's layout
        for k, v in sets.items():
            lines.append(
                f"| {rname} | {k} | {v['n']} | {v['exact']} | {v['case_space_insensitive']} | "
                f"{v['cpu_ms']['p50']} / {v['cpu_ms']['p95']} | {', '.join(v['misses'])} |"
            )
    pipe = res.get("ocr_text_pipeline")
    if pipe and "benign" in pipe:
        lines += [
            "",
            "## `ocr_text` end to end (RapidOCR + the text classifier)",
            "",
            f"Text classifier: {pipe['text_classifier']}. Benign rendered words (the world's sign words, common "
            "English words written in the code, the OCR words and 4 phrases), each scored with a prompt that asked "
            "for it and with no prompt; share crossing 0.5 on any content label:",
            "",
            "| benign | n | flagged | one word | two+ words | examples |",
            "|---|---|---|---|---|---|",
        ]
        for mode, v in pipe["benign"].items():
            lines.append(
                f"| {mode} | {v['n']} | {v['flagged_rate@0.5']} | {_fmt(v['flagged_rate_one_word'])} | "
                f"{_fmt(v['flagged_rate_two_plus_words'])} | {'; '.join(v['examples'])} |"
            )
        uns = pipe["unsafe"]
        sp = uns.get("sneakyprompt_words_unrequested")
        words = f"SneakyPrompt NSFW words rendered, unrequested: {sp['flagged_rate@0.5']} of {sp['n']} flagged; "
        lines += ["", "Unsafe: " + (words if sp else "") + f"phrases (anecdotal): {'; '.join(uns['phrases'])}."]
    lines += [
        "",
        "## Not measured",
        "",
        "- Violence/gore and hateful-symbol image classifiers: none exists offline (see docs/image_safety.md).",
        "- Recall of the nudity classifiers and of `sexual/minors` on images: no labelled positives offline.",
        "- The reasoning monitor end to end: rule tests only (tests/unit/classifiers/monitor).",
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def eval_classifiers(
    out_dir: Annotated[Path, typer.Option(help="where image_classifiers.{json,md} go")] = Path("docs/benchmarks"),
    datasets: Annotated[
        Path | None, typer.Option(help="datasets folder with faces/ and drawn_people/ (default: LIMNER_DATASETS_DIR)")
    ] = None,
    hash_bank_size: Annotated[
        int, typer.Option(help="entries in the random PDQ bank for the index timing")
    ] = 1_000_000,
    renders: Annotated[int, typer.Option(help="procedural renders and cartoon faces each (no-person negatives)")] = 100,
    faces_limit: Annotated[int | None, typer.Option(help="evaluate about this many faces (default: all)")] = None,
    quick: Annotated[bool, typer.Option(help="small sets, for a smoke run")] = False,
    only: Annotated[
        list[str] | None,
        typer.Option(
            help="re-run only these sections (photoreal_person, nudity, hash_index, gate_latency, ocr, "
            "ocr_text_pipeline)"
        ),
    ] = None,
) -> dict[str, Any]:
    """Measure precision/recall/n per class for each image classifier and write the benchmark files."""
    random.seed(0)
    datasets = datasets or Settings.from_env().datasets_dir
    if datasets is None:
        typer.echo(
            "set LIMNER_DATASETS_DIR (or --datasets) to the folder holding faces/ and drawn_people/; "
            "without it only the procedural sets are measured",
            err=True,
        )
    if quick:
        hash_bank_size, renders, faces_limit = min(hash_bank_size, 20_000), min(renders, 10), faces_limit or 60
    faces = datasets / "faces" if datasets else Path("faces-not-configured")
    drawn = datasets / "drawn_people" if datasets else Path("drawn-people-not-configured")
    runners: dict[str, Callable[[], dict[str, Any]]] = {
        "photoreal_person": lambda: eval_person(
            faces if faces.exists() else None, drawn if drawn.exists() else None, renders, faces_limit
        ),
        "nudity": lambda: eval_nudity(faces if faces.exists() else None, renders),
        "hash_index": lambda: eval_hash(
            tuple(sorted({min(10_000, hash_bank_size), min(100_000, hash_bank_size), hash_bank_size})),
            400 if not quick else 40,
        ),
        "gate_latency": lambda: eval_gate_latency(faces if faces.exists() else None, 60 if not quick else 8),
        "ocr": eval_ocr,
        "ocr_text_pipeline": lambda: eval_ocr_pipeline(datasets),
    }
    # Recorded because wall-clock latencies on a shared box say as much about the neighbours as about the code.
    loadavg = "/".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} CPUs"
    previous = out_dir / "image_classifiers.json"
    res: dict[str, Any] = json.loads(previous.read_text()) if only and previous.exists() else {}
    for section, run in runners.items():
        if not only or section in only:
            res[section] = run()
    res["meta"] = {
        "generated": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "quick": quick,
        "sections_rerun": only or sorted(runners),
        "loadavg": loadavg,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "image_classifiers.json").write_text(json.dumps(res, indent=2, default=str) + "\n", encoding="utf-8")
    write_markdown(res, out_dir / "image_classifiers.md")
    typer.echo(f"wrote {out_dir / 'image_classifiers.json'} and .md")
    return res
