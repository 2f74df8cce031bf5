"""Provenance benchmark (inputs): real outputs of the embedded generator, generated once and cached on disk.

Decides nothing. The provenance benchmark measures the signals on what limner actually hands out, so it needs many
generator outputs; sampling them is the slowest step of the benchmark (~0.1-0.2 s each on a shared core), so they are
written as PNG under a cache folder keyed by the generator's model version (the weights' sha256 prefix): re-running the
benchmark reuses them, and shipping new weights starts a fresh folder instead of mixing two models' outputs. Nothing
here depends on which weights are shipped.
"""

from __future__ import annotations

import io
import json
import random
import sys
import time
from pathlib import Path

from PIL import Image

from limner.world.grammar import TAGS, render_prompt, sample_layout, sample_spec

DEFAULT_CACHE = Path("runs/bench_provenance")


def bench_prompts(n: int, seed: int) -> list[str]:
    """`n` prompts over every benchmark tag of the procedural world (what the generator is trained to draw)."""
    rng = random.Random(30_000 + seed)
    out = []
    for i in range(n):
        tag = TAGS[i % len(TAGS)]
        while True:
            spec = sample_spec(rng, tag, "train")
            if sample_layout(spec, rng, "train") is not None:
                break
        out.append(render_prompt(spec, rng))
    return out


def generated_outputs(
    n: int,
    seed: int,
    cache_root: Path = DEFAULT_CACHE,
    batch: int = 16,
    threads: int = 1,
    progress: bool = True,
) -> tuple[list[Path], str]:
    """Paths of `n` generator outputs (PNG, as `TinyArGenerator.generate` returns them) and the model version.

    Outputs already in the cache folder are reused; missing ones are sampled in batches (one seed per batch).
    """
    from limner.generators.tiny_ar.generator import TinyArGenerator, to_png

    gen = TinyArGenerator(threads=threads)
    version = gen.model_version
    folder = cache_root / f"tiny_ar-{version}" / f"seed{seed}"
    folder.mkdir(parents=True, exist_ok=True)
    prompts = bench_prompts(n, seed)
    paths = [folder / f"{i:05d}.png" for i in range(n)]
    missing = [i for i, p in enumerate(paths) if not p.exists()]
    started = time.perf_counter()
    done = 0
    # Batches are aligned to multiples of `batch` so the same index always gets the same seed and batch mates.
    starts = sorted({i - i % batch for i in missing})
    with (folder / "prompts.jsonl").open("a") as log:
        for b0 in starts:
            idx = list(range(b0, min(b0 + batch, n)))
            images = gen.sample([prompts[i] for i in idx], seed=seed * 1_000_003 + b0)
            for i, img in zip(idx, images, strict=True):
                tmp = paths[i].with_suffix(".tmp")
                tmp.write_bytes(to_png(img, 256))
                tmp.replace(paths[i])  # atomic: an interrupted run never leaves a truncated PNG behind
                log.write(json.dumps({"index": i, "prompt": prompts[i], "model_version": version}) + "\n")
            done += len(idx)
            if progress:
                rate = done / (time.perf_counter() - started)
                sys.stderr.write(f"\rgenerating {done}/{len(missing)} outputs ({rate:.1f}/s)   ")
    if progress and missing:
        sys.stderr.write("\n")
    return paths, version


def load_rgb(path: Path) -> Image.Image:
    with Image.open(io.BytesIO(path.read_bytes())) as im:
        return im.convert("RGB")


if __name__ == "__main__":  # pre-fill the cache: python -m limner.cli.bench_provenance_outputs N SEED
    count, s = int(sys.argv[1]), int(sys.argv[2])
    generated_outputs(count, s)
