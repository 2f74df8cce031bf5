"""CLI: `limner bench provenance`, measure every provenance signal under the transformations that strip it.

Decides nothing; writes docs/benchmarks/provenance.{json,md}. For N real outputs of the embedded generator (tiny_ar,
sampled once and cached under runs/, see bench_provenance_outputs.py; or a folder of images) it stamps each output as
the pipeline does (watermark, register, C2PA sign, in the client's format), then applies each transformation to every
stamped output and records C2PA validity, watermark detection and bit accuracy, registry recall and the combined
detection rate against the full registry; for N unrelated images (photo-like textures, procedural images, and outputs
of the same generator that this deployment never registered) it records false positives; and it times signing,
embedding and verification (p50 / p95).
"""

from __future__ import annotations

import io
import json
import os
import platform
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar

import numpy as np
import typer
from PIL import Image
from sqlalchemy import create_engine

from limner.cli.bench_provenance_outputs import DEFAULT_CACHE, generated_outputs, load_rgb
from limner.provenance.base import C2paState, ProvenanceManifest, WatermarkPayload
from limner.provenance.ecc import add_crc
from limner.provenance.registry import decode_rgb
from limner.provenance.robustness import TRANSFORMS, render_natural, render_procedural
from limner.provenance.service import MIN_INFORMED_Z, ProvenanceService, StampResult, build_provenance_service
from limner.provenance.watermark import _payload_bits

FORMATS = (("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp"))
T = TypeVar("T")
NEAR_DUP_PX = 64
NEAR_DUP_FRACTION = 0.01


def _encode(im: Image.Image, fmt: str) -> bytes:
    buf = io.BytesIO()
    im.save(buf, fmt, **({"quality": 95} if fmt in ("JPEG", "WEBP") else {"compress_level": 1}))
    return buf.getvalue()


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return float("inf") if mse == 0 else 10 * np.log10(255.0**2 / mse)


def _progress(items: Iterable[T], total: int, label: str, enabled: bool = True) -> Iterator[T]:
    """A one-line progress bar on stderr (rate and ETA), for runs that take minutes."""
    started = time.perf_counter()
    for i, item in enumerate(items):
        yield item
        if enabled and ((i + 1) % 10 == 0 or i + 1 == total):
            elapsed = time.perf_counter() - started
            eta = elapsed / (i + 1) * (total - i - 1)
            width = 30
            bar = "#" * round(width * (i + 1) / max(total, 1))
            sys.stderr.write(f"\r{label:<12} [{bar:<{width}}] {i + 1}/{total} {elapsed:6.0f}s eta {eta:5.0f}s")
            sys.stderr.flush()
    if enabled:
        sys.stderr.write("\n")


def _stats(values: list[float]) -> dict[str, float]:
    return {
        "p50": float(np.percentile(values, 50)),
        "p95": float(np.percentile(values, 95)),
        "mean": float(np.mean(values)),
    }


def _load_folder(folder: Path, limit: int) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in (".png", ".jpg", ".jpeg", ".webp"))[:limit]


def _load(path: Path) -> Image.Image:
    rgb = load_rgb(path)
    if min(rgb.size) < 256:
        rgb = rgb.resize((256, 256), Image.Resampling.BICUBIC)
    return rgb


def _stamp_all(
    svc: ProvenanceService, images: list[Path], tag: str, show: bool
) -> tuple[list[StampResult], dict[str, list[float]], dict[str, list[float]]]:
    """Stamp every output first (as the pipeline does, one after another), so every later search sees the full
    registry: recall is then measured against as many look-alike outputs as the deployment holds."""
    timings: dict[str, list[float]] = defaultdict(list)
    psnrs: dict[str, list[float]] = defaultdict(list)
    stamped: list[StampResult] = []
    for i, path in enumerate(_progress(images, len(images), f"stamp {tag}", show)):
        im = _load(path)
        fmt, mime = FORMATS[i % len(FORMATS)]
        # The generator hands over a lossless image; the client's format is applied once, after marking.
        original = _encode(im, "PNG")
        t0 = time.perf_counter()
        result = svc.stamp_bytes(
            original, generator="tiny_ar", generator_version="bench", audit_id=f"{tag}-{i}", output_mime=mime
        )
        timings["stamp_total"].append((time.perf_counter() - t0) * 1000)
        for k, v in result.timings_ms.items():
            timings[k].append(v)
        timings[f"watermark_{fmt.lower()}"].append(result.timings_ms["watermark"])
        timings["embed_plus_sign"].append(result.timings_ms["watermark"] + result.timings_ms["sign"])
        # PSNR against the unmarked image delivered in the same format (same encoder, same quality).
        psnrs[fmt].append(_psnr(decode_rgb(_encode(im, fmt)), decode_rgb(result.image)))
        stamped.append(result)
    return stamped, timings, psnrs


def _measure_family(svc: ProvenanceService, images: list[Path], tag: str, show: bool) -> dict[str, Any]:
    assert svc.registry is not None
    stamped, timings, psnrs = _stamp_all(svc, images, tag, show)
    per: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    manifest_valid: list[bool] = []
    misses: dict[str, list[str]] = defaultdict(list)
    for i, result in enumerate(_progress(stamped, len(stamped), f"attack {tag}", show)):
        expected_bits = add_crc(_payload_bits(result.payload))
        for name, transform in TRANSFORMS.items():
            data = transform(result.image)
            t1 = time.perf_counter()
            # What `limner verify` does, minus the payload lookup: C2PA, watermark, registry near-duplicates (keypoint
            # matches confirmed by the informed watermark test, as in `ProvenanceService.verify`).
            c2pa_report = svc.c2pa.detect(data)
            rgb = decode_rgb(data)
            reading = svc.watermark.read(rgb)
            hits = svc.registry.search_rgb(rgb, confirm=svc.confirm_registry_match)
            timings[f"verify_{name}"].append((time.perf_counter() - t1) * 1000)
            wm_ok = reading.found and reading.payload == result.payload
            reg_ok = any(m.record_id == result.record_id for m in hits)
            row = per[name]
            row["c2pa_valid"].append(c2pa_report.c2pa_state in (C2paState.TRUSTED, C2paState.VALID))
            row["c2pa_trusted"].append(c2pa_report.c2pa_state == C2paState.TRUSTED)
            row["watermark_detected"].append(wm_ok)
            row["watermark_wrong_payload"].append(reading.found and reading.payload != result.payload)
            row["bit_accuracy"].append(float(np.mean(reading.bits == expected_bits)))
            row["registry_recall"].append(reg_ok)
            row["combined"].append(wm_ok or reg_ok)
            if not (wm_ok or reg_ok):
                misses[name].append(images[i].name)
            if name == "none":
                manifest_valid.append(c2pa_report.c2pa_state in (C2paState.TRUSTED, C2paState.VALID))
    return {
        "n": len(images),
        "psnr_db": {f: {"min": float(np.min(v)), "mean": float(np.mean(v))} for f, v in psnrs.items()},
        "manifest_valid_fraction": float(np.mean(manifest_valid)),
        "transforms": {name: {k: float(np.mean(v)) for k, v in row.items()} for name, row in per.items()},
        "timings_ms": {k: _stats(v) for k, v in timings.items()},
        "combined_misses": dict(misses),
    }


def _small(im: Image.Image) -> np.ndarray:
    return np.asarray(im.resize((NEAR_DUP_PX, NEAR_DUP_PX), Image.Resampling.BOX), dtype=np.int16)


def _false_positives(
    svc: ProvenanceService,
    unrelated: dict[str, list[Image.Image] | list[Path]],
    registered: list[Path],
    show: bool,
) -> dict[str, Any]:
    assert svc.registry is not None
    # The generator's world is small (flat backgrounds, a few shapes), so some outputs of other prompts and seeds
    # are the same picture as a registered output. Such an image is not unrelated, and no near-duplicate search
    # can say otherwise; they are counted apart: <= NEAR_DUP_FRACTION of the pixels of a 64 px box-downscale differ
    # by more than 40 (any channel) from the closest registered output.
    stack = np.stack([_small(_load(p)) for p in registered]) if registered else None
    out: dict[str, Any] = {}
    for kind, items in unrelated.items():
        wm_fp = reg_fp = comb_fp = c2pa_fp = near_dup = near_dup_reg_fp = unconfirmed_fp = pdq_unconfirmed_fp = 0
        informed: list[float] = []
        sync_z: list[float] = []
        whole_d: list[int] = []
        orb_n: list[int] = []
        examples: list[dict[str, Any]] = []
        for item in _progress(items, len(items), kind[:12], show):
            im = _load(item) if isinstance(item, Path) else item
            rgb = np.asarray(im)
            dup = False
            if stack is not None and kind == "unregistered_output":
                differs = (np.abs(stack - _small(im)).max(axis=3) > 40).mean(axis=(1, 2))
                dup = bool(differs.min() <= NEAR_DUP_FRACTION)
            reading = svc.watermark.read(rgb)
            wm_fp += int(reading.found)
            sync_z.append(reading.sync_z)
            matches = svc.registry.search_rgb(rgb, confirm=svc.confirm_registry_match)
            hit = bool(matches)
            # Keypoint candidates that the informed watermark test decides on, and their z (the margin below the
            # threshold); and the images that matched through a keypoint fit alone before that test existed.
            fits = svc.registry.orb_fits(rgb)
            strong = {i: f for i, f in fits.items() if f[0] >= svc.registry.min_orb_inliers}
            for i, (_, matrix) in strong.items():
                frame = svc.registry.frame_of(i, (rgb.shape[1], rgb.shape[0]))
                informed.append(svc.watermark.informed_z(rgb, svc.registry.payload_of(i), matrix, frame))
            pdq_hit = bool(svc.registry.search_rgb(rgb, use_orb=False))
            unconfirmed_fp += int(bool(strong) and not pdq_hit and not dup)
            # PDQ candidates are confirmed the same way (flat outputs): the images PDQ matched without that test.
            pdq_unconfirmed_fp += int(pdq_hit and not dup)
            if hit and not dup:
                name = item.name if isinstance(item, Path) else f"{kind}-{len(sync_z)}"
                examples.append({"image": name, "key": matches[0].key, "score": matches[0].distance})
            near_dup += int(dup)
            near_dup_reg_fp += int(dup and hit)
            reg_fp += int(hit and not dup)
            comb_fp += int(reading.found or (hit and not dup))
            whole_d.append(int(svc.registry.pdq_distances(rgb).min()))
            orb_n.append(max((n for n, _ in fits.values()), default=0))
            c2pa_fp += int(svc.c2pa.detect(_encode(im, "PNG")).found)
        out[kind] = {
            "n": len(items),
            "near_duplicates": near_dup,
            "near_duplicates_matched": near_dup_reg_fp,
            "watermark_fp": wm_fp,
            "registry_fp": reg_fp,
            "orb_fp_without_informed_test": unconfirmed_fp,
            "pdq_fp_without_informed_test": pdq_unconfirmed_fp,
            "informed_z_max": float(np.max(informed)) if informed else None,
            "informed_z_tested": len(informed),
            "combined_fp": comb_fp,
            "c2pa_fp": c2pa_fp,
            "sync_z_max": float(np.max(sync_z)) if sync_z else None,
            "min_pdq_distance_whole": int(np.min(whole_d)) if whole_d else None,
            "max_orb_inliers": int(np.max(orb_n)) if orb_n else None,
            "registry_fp_examples": examples,
        }
    kinds = list(out)
    total = sum(out[k]["n"] for k in kinds)
    out["total"] = {
        "n": total,
        "watermark_fp_rate": sum(out[k]["watermark_fp"] for k in kinds) / max(total, 1),
        "registry_fp_rate": sum(out[k]["registry_fp"] for k in kinds) / max(total, 1),
        "combined_fp_rate": sum(out[k]["combined_fp"] for k in kinds) / max(total, 1),
    }
    return out


def bench_provenance(
    n_outputs: Annotated[int, typer.Option(help="Generator outputs to stamp and attack.")] = 1000,
    n_unrelated: Annotated[int, typer.Option(help="Unrelated images for false positives.")] = 1000,
    n_natural_outputs: Annotated[
        int, typer.Option(help="Photo-like outputs (secondary family: heavy texture, no flat regions).")
    ] = 0,
    images_dir: Annotated[
        Path | None, typer.Option(help="Folder of outputs to use instead of sampling the embedded generator.")
    ] = None,
    cache_dir: Annotated[Path, typer.Option(help="Where sampled generator outputs are cached.")] = DEFAULT_CACHE,
    out_dir: Annotated[Path, typer.Option(help="Where provenance.json and provenance.md go.")] = Path(
        "docs/benchmarks"
    ),
    seed: Annotated[int, typer.Option(help="RNG seed.")] = 0,
    progress: Annotated[bool, typer.Option(help="Progress bars on stderr.")] = True,
) -> None:
    """Benchmark C2PA, watermark and registry under real transformations; write provenance.{json,md}."""
    rng = np.random.default_rng(seed)
    started = time.time()
    load_start = os.getloadavg()[0]
    n_gen_unrelated = n_unrelated // 3
    if images_dir is not None:
        outputs = _load_folder(images_dir, n_outputs)
        source = f"folder {images_dir.name} ({len(outputs)} images)"
        unregistered: list[Path] = []
        n_gen_unrelated = 0
    else:
        outputs, version = generated_outputs(n_outputs, seed, cache_dir, progress=progress)
        source = f"tiny_ar outputs (weights {version}), {len(outputs)} prompts over every world tag, cached PNG"
        # Outputs of the same generator that were never registered (other prompts, other seeds): the hardest
        # unrelated images for the registry, since they share style, palette and layout grid with the outputs.
        unregistered, _ = generated_outputs(n_gen_unrelated, seed + 1, cache_dir, progress=progress)
    n_rest = n_unrelated - n_gen_unrelated
    unrelated: dict[str, list[Image.Image] | list[Path]] = {
        "natural": [render_natural(rng) for _ in range(n_rest - n_rest // 2)],
        "procedural": [render_procedural(rng) for _ in range(n_rest // 2)],
    }
    if unregistered:
        unrelated["unregistered_output"] = unregistered
    with tempfile.TemporaryDirectory() as tmp:
        engine = create_engine(f"sqlite:///{tmp}/registry.db")
        svc = build_provenance_service(engine, deployment_id=4242, dev_cert_dir=Path(tmp) / "certs")
        assert svc.registry is not None
        svc.registry.create_schema()
        # Warm-up so lazy initialisation (dev certs, table) is not timed; it is not registered as an output.
        warm = _encode(render_procedural(np.random.default_rng(seed + 99)), "PNG")
        manifest = ProvenanceManifest("warmup", "0", "warmup", WatermarkPayload(4242, 0), mime="image/png")
        svc.c2pa.mark(svc.watermark.mark(warm, manifest), manifest)
        results: dict[str, Any] = {"outputs": _measure_family(svc, outputs, "out", progress)}
        if n_natural_outputs:
            natural_dir = Path(tmp) / "natural"
            natural_dir.mkdir()
            natural = []
            for k in range(n_natural_outputs):
                render_natural(rng).save(natural_dir / f"{k:05d}.png")
                natural.append(natural_dir / f"{k:05d}.png")
            results["natural_outputs"] = _measure_family(svc, natural, "nat", progress)
        results["unrelated"] = _false_positives(svc, unrelated, outputs if images_dir is None else [], progress)
        engine.dispose()
    report = {
        "command": f"limner bench provenance --n-outputs {n_outputs} --n-unrelated {n_unrelated} "
        f"--n-natural-outputs {n_natural_outputs} --seed {seed}"
        + (f" --images-dir {images_dir.name}" if images_dir is not None else ""),
        "source": source,
        "formats": "outputs cycle PNG / JPEG q95 / WebP q95",
        "transforms": list(TRANSFORMS),
        "machine": f"{platform.machine()} Python {platform.python_version()}, {os.cpu_count()} cores",
        "load_average": [round(load_start, 2), round(os.getloadavg()[0], 2)],
        "wall_s": round(time.time() - started, 1),
        "min_informed_z": MIN_INFORMED_Z,
        **results,
    }
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "provenance.json").write_text(json.dumps(report, indent=2) + "\n")
    (out_dir / "provenance.md").write_text(render_markdown(report))
    typer.echo((out_dir / "provenance.md").read_text())


def _fmt(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def render_markdown(report: dict[str, Any]) -> str:
    load = report.get("load_average")
    lines = [
        "# Provenance benchmark",
        "",
        f"Command: `{report['command']}` ({report['wall_s']} s, {report['machine']}"
        + (f", load average {load[0]} at start / {load[1]} at end" if load else "")
        + ").",
        f"Outputs: {report['source']}; {report['formats']}.",
        "",
    ]
    for family, title in (("outputs", "Generated outputs"), ("natural_outputs", "Photo-like outputs")):
        if family not in report:
            continue
        fam = report[family]
        lines += [
            f"## {title} (n={fam['n']})",
            "",
            f"Manifest validated by c2pa's Reader: {fam['manifest_valid_fraction']:.2%}. PSNR of the delivered file vs "
            "the unmarked image in the same format and quality: "
            + ", ".join(f"{f} min {v['min']:.2f} / mean {v['mean']:.2f} dB" for f, v in fam["psnr_db"].items())
            + ".",
            "",
            "| transform | C2PA valid | watermark found | bit accuracy | wrong payload | registry recall | combined |",
            "|---|---|---|---|---|---|---|",
        ]
        for name, row in fam["transforms"].items():
            lines.append(
                f"| {name} | {row['c2pa_valid']:.1%} | {row['watermark_detected']:.1%} | {row['bit_accuracy']:.3f} "
                f"| {row['watermark_wrong_payload']:.1%} | {row['registry_recall']:.1%} | {row['combined']:.1%} |"
            )
        lines += ["", "| timing (ms per image) | p50 | p95 | mean |", "|---|---|---|---|"]
        for name, t in fam["timings_ms"].items():
            lines.append(f"| {name} | {t['p50']:.1f} | {t['p95']:.1f} | {t['mean']:.1f} |")
        misses = {k: v for k, v in fam.get("combined_misses", {}).items() if v}
        if misses:
            lines += ["", "Missed by both watermark and registry: "
                      + "; ".join(f"{k}: {', '.join(v[:10])}" for k, v in misses.items()) + "."]
        lines.append("")
    unrel = report["unrelated"]
    lines += [
        f"## False positives on unrelated images (n={unrel['total']['n']})",
        "",
        "| kind | n | watermark FP | registry FP | ORB-only FP without informed test "
        "| PDQ FP without informed test | C2PA found | max sync z "
        "| min PDQ distance | max ORB inliers | ORB candidates tested (max informed z) "
        "| near-duplicates of an output (matched) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, row in unrel.items():
        if kind == "total":
            continue
        lines.append(
            f"| {kind} | {row['n']} | {row['watermark_fp']} | {row['registry_fp']} "
            f"| {row.get('orb_fp_without_informed_test', '-')} | {row.get('pdq_fp_without_informed_test', '-')} "
            f"| {row['c2pa_fp']} "
            f"| {row['sync_z_max']:.1f} | {row['min_pdq_distance_whole']} | {row['max_orb_inliers']} "
            f"| {row.get('informed_z_tested', '-')} ({_fmt(row.get('informed_z_max'))}) "
            f"| {row.get('near_duplicates', 0)} ({row.get('near_duplicates_matched', 0)}) |"
        )
    tot = unrel["total"]
    lines += [
        "",
        f"Rates: watermark {tot['watermark_fp_rate']:.3%}, registry {tot['registry_fp_rate']:.3%}, "
        f"combined {tot['combined_fp_rate']:.3%}. A registry match on a near-duplicate of a registered "
        "output (last column, matched in brackets) is the right answer for the same picture and is not counted. "
        "A PDQ or keypoint (ORB) match to a flat output counts only when the image also carries that registered "
        "output's own watermark payload, tested non-blind at the match's geometry (PDQ: the resize to the registered "
        "size; ORB: the keypoint fit) (informed z >= "
        f"{report.get('min_informed_z', MIN_INFORMED_Z)}; ~N(0, 1) on unmarked images); a textured output's PDQ "
        "match, or keypoint match with many inliers, needs no test. 'ORB-only FP without informed test': images PDQ "
        "did not match whose keypoint fit passed the picture checks; 'PDQ FP without informed test': images PDQ "
        "matched (picture checks passed, test not applied); both are registry false positives under the rule "
        "before the informed test.",
        "",
    ]
    return "\n".join(lines)
