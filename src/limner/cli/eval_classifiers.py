"""CLI, evaluation: measure the image classifiers on labelled sets; write docs/benchmarks/image_classifiers.{json,md}.

Measures, never tunes: nothing here feeds back into a shipped threshold or model. Sets:
- photoreal person: the shared `faces` set (real photos with ages; EVALUATION ONLY, read in place, never copied),
  the shared `drawn_people` drawings, and procedural renders + flat cartoon faces made in code (no person).
- nudity: only harmless images can be made here (no labelled sexual set exists offline), so only false-positive
  rates on negatives are measured; recall on sexual content is NOT measured.
- hash index: query latency and exact recall against brute force on a random 1M-entry PDQ bank; PDQ match rates for
  re-encoded / resized / rotated / mirrored copies of procedural renders.
- OCR: word accuracy on words rendered with Pillow's default font.
Register as `limner eval classifiers`.
"""

from __future__ import annotations

import csv
import json
import os
import platform
import random
import statistics
import time
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
    sweeps = {}
    for child_age in (18.0, 21.0, clf.child_age, 30.0):
        pred = [_decide(*_rescore(clf, a, child_age)) for a in analyses]
        sweeps[f"child_age={child_age:g}"] = {
            "person": _prf(pred, gold, {"photoreal_adult", "photoreal_child"}),
            "photoreal_adult": _prf(pred, gold, "photoreal_adult"),
            "photoreal_child": _prf(pred, gold, "photoreal_child"),
        }
    pred = [_decide(a.child, a.adult) for a in analyses]
    result["default"] = sweeps[f"child_age={clf.child_age:g}"]
    result["child_age_sweep"] = sweeps
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


def eval_hash(bank_size: int, n_queries: int, radius: int = 31, robust_seeds: int = 60) -> dict[str, Any]:
    loadavg = "/".join(f"{x:.1f}" for x in os.getloadavg()) + f" on {os.cpu_count()} CPUs"
    rng = np.random.default_rng(0)
    raw = rng.integers(0, 256, size=(bank_size, 32), dtype=np.uint8)
    hexes = [raw[i].tobytes().hex() for i in range(bank_size)]
    t0 = time.perf_counter()
    index = HashIndex(hexes, max_distance=radius)
    build_s = time.perf_counter() - t0
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
    hits = sum(len(r) for r in results[:checked])
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
        "bank_size": bank_size,
        "loadavg_at_start": loadavg,
        "radius": radius,
        "build_s": round(build_s, 1),
        "queries": len(queries),
        "query_ms": {
            "p50": round(float(np.percentile(times, 50)), 2),
            "p95": round(float(np.percentile(times, 95)), 2),
            "max": round(max(times), 2),
        },
        "query_cpu_ms": {
            "p50": round(float(np.percentile(cpu_times, 50)), 2),
            "p95": round(float(np.percentile(cpu_times, 95)), 2),
        },
        "brute_force_ms_p50": round(statistics.median(brute_times), 1),
        "exact_agreement_with_brute_force": f"{agree}/{checked}",
        "hits_in_checked_queries": hits,
        "pdq_robustness_procedural": robust,
    }


def eval_ocr() -> dict[str, Any]:
    reader = OcrReader()
    out: dict[str, Any] = {}
    for size in (64, 128, 256):
        exact = ci = 0
        times = []
        misses = []
        for i, w in enumerate(OCR_WORDS):
            data = encode(text_image(w, size=size, seed=i))
            t0 = time.perf_counter()
            got = reader.read(data).text
            times.append((time.perf_counter() - t0) * 1000)
            exact += int(got == w)
            ci += int(got.replace(" ", "").lower() == w.lower())
            if got != w:
                misses.append(f"{w}->{got or '(nothing)'}")
        out[f"{size}px"] = {
            "n": len(OCR_WORDS),
            "exact": round(exact / len(OCR_WORDS), 3),
            "case_space_insensitive": round(ci / len(OCR_WORDS), 3),
            "misses": misses[:8],
            "latency_ms_p50": round(float(np.percentile(times, 50)), 1),
        }
    return out


BENIGN_PHRASES = ("HELLO WORLD", "OPEN 24 HOURS", "Happy Birthday", "Fresh Bread Daily")
UNSAFE_PHRASES = (("KILL THEM ALL", "violence/graphic"), ("DEATH TO TRAITORS", "violence/graphic"))


def eval_ocr_pipeline() -> dict[str, Any]:
    """`ocr_text` end to end with the shipped text head: benign rendered words should not cross 0.5."""
    from limner.classifiers.image.ocr import OcrTextClassifier
    from limner.types import Image, Sample

    clf = OcrTextClassifier()
    clf.warm()
    flagged = []
    benign = (*OCR_WORDS, *BENIGN_PHRASES)
    for i, w in enumerate(benign):
        scores = clf.classify(Sample(image=Image(encode(text_image(w, seed=i)))))
        high = sorted(f"{s.label} {s.value:.2f}" for s in scores if s.value >= 0.5)
        if high:
            flagged.append(f"{w}: {', '.join(high)}")
    caught = []
    for phrase, label in UNSAFE_PHRASES:
        by_label = {s.label: s.value for s in clf.classify(Sample(image=Image(encode(text_image(phrase)))))}
        caught.append(f"{phrase}: {label} {by_label.get(label, 0.0):.2f}")
    return {
        "benign_n": len(benign),
        "benign_flagged_rate@0.5": round(len(flagged) / len(benign), 3),
        "benign_flagged": flagged,
        "unsafe_examples": caught,
    }


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
        "Sweep of `child_age` (the expected age at which the child score crosses 0.5):",
        "",
        "| child_age | person P/R | adult P/R | child P/R |",
        "|---|---|---|---|",
    ]
    for k, v in p["child_age_sweep"].items():
        cells = [
            f"{_fmt(v[c]['precision'])} / {_fmt(v[c]['recall'])}"
            for c in ("person", "photoreal_adult", "photoreal_child")
        ]
        lines.append(f"| {k.split('=')[1]} | " + " | ".join(cells) + " |")
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
    cpu = h.get("query_cpu_ms", {})
    lines += [
        "## Hash index (`HashIndex`, multi-index hashing)",
        "",
        f"Random bank of {h['bank_size']:,} PDQ hashes, radius {h['radius']} bits, one process, {h['queries']} queries "
        f"(near copies with 0-{h['radius'] + 3} flipped bits, plus random hashes). Build {h['build_s']} s. "
        f"Load average when this section started: {h.get('loadavg_at_start', 'not recorded')}. Wall-clock times "
        "include waiting for a core when the machine is shared; the CPU column is the query's own thread time.",
        "",
        "| wall p50 ms | wall p95 ms | wall max ms | CPU p50 / p95 ms | brute-force p50 ms | exact agreement |",
        "|---|---|---|---|---|---|",
        f"| {h['query_ms']['p50']} | {h['query_ms']['p95']} | {h['query_ms']['max']} | "
        f"{cpu.get('p50')} / {cpu.get('p95')} | {h['brute_force_ms_p50']} | "
        f"{h['exact_agreement_with_brute_force']} queries identical ({h['hits_in_checked_queries']} hits) |",
        "",
        "PDQ match rate (distance <= 31) of transformed copies of procedural renders (JPEG q75 after the transform):",
        "",
        "| transform | n | match | match with dihedral variants |",
        "|---|---|---|---|",
    ]
    for k, v in h["pdq_robustness_procedural"].items():
        lines.append(f"| {k} | {v['n']} | {v['match_rate']} | {v['match_rate_dihedral']} |")
    lines += [
        "",
        "## OCR (`ocr_text` reader: RapidOCR, bundled PP-OCR models)",
        "",
        "Words rendered with Pillow's default font on a flat background, one word per image.",
        "",
        "| canvas | n | exact | ignoring case/spaces | p50 ms | misses |",
        "|---|---|---|---|---|---|",
    ]
    for k, v in res["ocr"].items():
        lines.append(
            f"| {k} | {v['n']} | {v['exact']} | {v['case_space_insensitive']} | {v['latency_ms_p50']} | "
            f"{', '.join(v['misses'])} |"
        )
    pipe = res.get("ocr_text_pipeline")
    if pipe:
        lines += [
            "",
            "## `ocr_text` end to end (RapidOCR + the shipped `text_head`, as of this run)",
            "",
            f"Benign rendered words and phrases crossing 0.5 on any label: {pipe['benign_flagged_rate@0.5']} of "
            f"{pipe['benign_n']}: {'; '.join(pipe['benign_flagged']) or 'none'}.",
            "",
            f"Unsafe phrases (anecdotal, n={len(pipe['unsafe_examples'])}): {'; '.join(pipe['unsafe_examples'])}.",
            "The text head was trained on prompts, not on short rendered text; these false positives are its own.",
        ]
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
        list[str] | None, typer.Option(help="re-run only these sections (photoreal_person, nudity, hash_index, ocr)")
    ] = None,
) -> dict[str, Any]:
    """Measure precision/recall/n per class for each image classifier and write the benchmark files."""
    random.seed(0)
    datasets = datasets or Settings.from_env().datasets_dir
    if datasets is None:
        typer.echo("set LIMNER_DATASETS_DIR (or --datasets) to the folder holding faces/ and drawn_people/; "
                   "without it only the procedural sets are measured", err=True)
    if quick:
        hash_bank_size, renders, faces_limit = min(hash_bank_size, 20_000), min(renders, 10), faces_limit or 60
    faces = datasets / "faces" if datasets else Path("faces-not-configured")
    drawn = datasets / "drawn_people" if datasets else Path("drawn-people-not-configured")
    runners: dict[str, Callable[[], dict[str, Any]]] = {
        "photoreal_person": lambda: eval_person(
            faces if faces.exists() else None, drawn if drawn.exists() else None, renders, faces_limit
        ),
        "nudity": lambda: eval_nudity(faces if faces.exists() else None, renders),
        "hash_index": lambda: eval_hash(hash_bank_size, 400 if not quick else 40),
        "ocr": eval_ocr,
        "ocr_text_pipeline": eval_ocr_pipeline,
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
