"""`limner bench provenance`: cached generator outputs, and a tiny end-to-end run that writes the report."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from limner.cli.bench_provenance import bench_provenance
from limner.cli.bench_provenance_outputs import bench_prompts, generated_outputs
from limner.provenance.robustness import TRANSFORMS, render_scene


def test_prompts_are_deterministic_and_vary() -> None:
    first, again, other = bench_prompts(16, 0), bench_prompts(16, 0), bench_prompts(16, 1)
    assert first == again and first != other and len(set(first)) > 8


def test_generated_outputs_are_cached_per_model_version(tmp_path: Path) -> None:
    paths, version = generated_outputs(2, seed=0, cache_root=tmp_path, batch=2, progress=False)
    assert [p.parent for p in paths] == [tmp_path / f"tiny_ar-{version}" / "seed0"] * 2
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in paths)
    stamps = [p.stat().st_mtime_ns for p in paths]
    again, _ = generated_outputs(2, seed=0, cache_root=tmp_path, batch=2, progress=False)
    assert again == paths and [p.stat().st_mtime_ns for p in again] == stamps  # reused, not sampled again


def test_small_run_writes_every_transform_and_timing(tmp_path: Path) -> None:
    images = tmp_path / "images"
    images.mkdir()
    rng = np.random.default_rng(0)
    for i in range(3):
        render_scene(rng).save(images / f"{i}.png")
    out = tmp_path / "out"
    bench_provenance(n_outputs=3, n_unrelated=3, images_dir=images, out_dir=out, progress=False)
    report = json.loads((out / "provenance.json").read_text())
    outputs = report["outputs"]
    assert outputs["n"] == 3 and set(outputs["transforms"]) == set(TRANSFORMS)
    assert outputs["manifest_valid_fraction"] == 1.0
    assert outputs["transforms"]["none"]["combined"] == 1.0
    for key in ("embed_plus_sign", "watermark", "sign", "verify_rotate5"):
        assert set(outputs["timings_ms"][key]) == {"p50", "p95", "mean"}
    assert min(v["min"] for v in outputs["psnr_db"].values()) >= 38.0
    assert report["unrelated"]["total"]["n"] == 3
    assert "| rotate5 |" in (out / "provenance.md").read_text()
