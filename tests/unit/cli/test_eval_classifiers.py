"""`limner eval classifiers` helpers: the operating-point split, and the whole-gate latency section on real models."""

from __future__ import annotations

import io

from PIL import Image as PILImage

from limner.cli.eval_classifiers import _faces_half, _wilson, eval_gate_latency, world_outputs


def test_faces_split_is_stable_and_roughly_even() -> None:
    names = [f"images/utk_{i}.jpg" for i in range(2000)]
    halves = [_faces_half(n) for n in names]
    assert halves == [_faces_half(n) for n in names]  # a hash, not a random draw
    assert 900 < sum(halves) < 1100


def test_wilson_interval() -> None:
    lo, hi = _wilson(263, 268)  # type: ignore[misc]
    assert lo < 263 / 268 < hi <= 1.0 and hi - lo < 0.05
    assert _wilson(0, 0) is None


def test_world_outputs_are_generator_sized_pngs() -> None:
    items = world_outputs(5, seed=3)
    assert len(items) == 5 and all(prompt for prompt, _ in items)
    for _, data in items:
        with PILImage.open(io.BytesIO(data)) as im:
            assert im.format == "PNG" and min(im.size) >= 256


def test_gate_latency_section_times_every_classifier_of_both_gates_in_both_modes() -> None:
    res = eval_gate_latency(None, 4)
    assert res["output_parallel_configured"] and res["prompt_parallel_configured"]  # the default policy's choice
    assert res["modalities"]["upload"] == ["hash_bank", "photoreal_person", "open_nsfw"]
    for mode in ("parallel", "sequential"):
        out, up = res[f"output_{mode}"], res[f"upload_{mode}"]
        assert set(out["per_classifier_wall_ms"]) == {"open_nsfw", "ocr_text", "reasoning_monitor"}
        assert 0 < out["cpu_ms"]["p50"] <= out["cpu_ms"]["p95"]
        assert out["blocked"] == []  # harmless world renders with their own prompts pass the gate
        assert set(res["modalities"]["upload"]) <= set(up["per_classifier_cpu_ms"])
    # Sequential, the gate's wall time is the sum of its classifiers' (one thread does all the work).
    seq = res["output_sequential"]
    assert seq["wall_ms"]["p50"] >= 0.8 * seq["cpu_ms"]["p50"]
