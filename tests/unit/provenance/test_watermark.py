"""Invisible watermark: payload round trip, invisibility (PSNR) and robustness, and no detection on clean images."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from limner.provenance.base import ProvenanceManifest, WatermarkPayload
from limner.provenance.robustness import TRANSFORMS, render_procedural, render_scene
from limner.provenance.watermark import SpreadSpectrumWatermark
from tests.unit.provenance.conftest import encode

PAYLOAD = WatermarkPayload(deployment_id=0xBEEF, generation_id=0xDEADBEEF)
WATERMARK = SpreadSpectrumWatermark(key="test-key")


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2))
    return 10 * np.log10(255.0**2 / mse)


def rgb(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGB"))


@pytest.fixture(scope="module")
def marked_scene() -> bytes:
    im = render_scene(np.random.default_rng(3))
    manifest = ProvenanceManifest("tiny_ar", "v1", "req-1", PAYLOAD)
    return WATERMARK.mark(encode(im), manifest)


def test_round_trip_and_invisibility(scene: Image.Image, natural: Image.Image) -> None:
    for im in (scene, natural):
        original = np.asarray(im)
        marked = WATERMARK.embed(original, PAYLOAD)
        assert psnr(original, marked) >= 38.0
        reading = WATERMARK.read(marked)
        assert reading.found and reading.payload == PAYLOAD


@pytest.mark.parametrize(
    "attack", ["strip_c2pa", "jpeg85", "jpeg50", "resize0.5", "crop10", "crop10_resized", "rotate5", "screenshot"]
)
def test_survives_transformations(marked_scene: bytes, attack: str) -> None:
    report = WATERMARK.detect(TRANSFORMS[attack](marked_scene))
    assert report.found, report.detail
    assert report.payload == PAYLOAD
    assert report.confidence > 0.999


def test_mark_keeps_format_and_alpha() -> None:
    im = render_scene(np.random.default_rng(5)).convert("RGBA")
    manifest = ProvenanceManifest("tiny_ar", "v1", "req-2", PAYLOAD, mime="image/png")
    out = WATERMARK.mark(encode(im), manifest)
    with Image.open(io.BytesIO(out)) as back:
        assert back.mode == "RGBA" and back.size == im.size
    jpeg_out = WATERMARK.mark(encode(im), ProvenanceManifest("tiny_ar", "v1", "r", PAYLOAD, mime="image/jpeg"))
    assert jpeg_out[:2] == b"\xff\xd8"
    assert WATERMARK.detect(jpeg_out).payload == PAYLOAD


def test_clean_images_and_wrong_key_find_nothing(marked_scene: bytes) -> None:
    rng = np.random.default_rng(9)
    for maker in (render_scene, render_procedural):
        for _ in range(3):
            assert not WATERMARK.read(np.asarray(maker(rng))).found
    assert not SpreadSpectrumWatermark(key="another-deployment").detect(marked_scene).found


def test_unreadable_bytes_report_not_found() -> None:
    report = WATERMARK.detect(b"\x89PNG\r\n\x1a\ngarbage")
    assert not report.found and "unreadable" in report.detail


@pytest.mark.parametrize(("fmt", "mime"), [("JPEG", "image/jpeg"), ("WEBP", "image/webp")])
def test_encoded_file_stays_within_the_psnr_floor(fmt: str, mime: str) -> None:
    # The floor is checked on the delivered file against the unmarked image through the same encoder and quality,
    # which is what a viewer compares; the strength is lowered when the encoder adds distortion of its own.
    watermark = SpreadSpectrumWatermark(key="test-key", target_psnr_db=39.0, min_psnr_db=38.2)
    for seed in (1, 2, 3):
        im = render_scene(np.random.default_rng(seed))
        manifest = ProvenanceManifest("tiny_ar", "v1", "r", PAYLOAD, mime=mime)
        out = watermark.mark(encode(im), manifest)
        assert psnr(rgb(encode(im, fmt)), rgb(out)) >= 38.2
        assert watermark.detect(out).payload == PAYLOAD


def test_a_tight_floor_lowers_the_strength_but_not_below_min_scale(natural: Image.Image) -> None:
    manifest = ProvenanceManifest("tiny_ar", "v1", "r", PAYLOAD, mime="image/webp")
    reference = rgb(encode(natural, "WEBP"))
    loose = SpreadSpectrumWatermark(key="test-key", min_psnr_db=0.0).mark(encode(natural), manifest)
    tight = SpreadSpectrumWatermark(key="test-key", min_psnr_db=60.0, min_scale=0.6).mark(encode(natural), manifest)
    assert psnr(reference, rgb(tight)) > psnr(reference, rgb(loose))
    # Capped at 0.6 of the amplitude: the mark is weaker, not gone.
    assert WATERMARK.read(rgb(tight)).sync_z > 4.0


def test_embed_scale_sets_the_amplitude(scene: Image.Image) -> None:
    original = np.asarray(scene)
    full, half = WATERMARK.embed(original, PAYLOAD), WATERMARK.embed(original, PAYLOAD, scale=0.5)
    assert psnr(original, half) == pytest.approx(psnr(original, full) + 6.0, abs=0.5)


def test_bit_error_gate(marked_scene: bytes) -> None:
    # A clean read agrees with its codeword almost everywhere; the gate only rejects reads that look like noise.
    reading = WATERMARK.read(rgb(TRANSFORMS["jpeg50"](marked_scene)))
    assert reading.found and reading.bit_errors <= 36
    strict = SpreadSpectrumWatermark(key="test-key", max_bit_errors=reading.bit_errors - 1)
    rejected = strict.read(rgb(TRANSFORMS["jpeg50"](marked_scene)))
    assert not rejected.found and rejected.payload is None and rejected.bit_errors == reading.bit_errors


def test_informed_test_tells_the_payload_apart(marked_scene: bytes) -> None:
    # The non-blind test at a known alignment: large for the embedded payload (also after a crop, given the crop's
    # offset), ~N(0, 1) for an unmarked image and for another payload of the same deployment.
    identity = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
    marked = rgb(marked_scene)
    frame = (marked.shape[1], marked.shape[0])
    other = WatermarkPayload(PAYLOAD.deployment_id, PAYLOAD.generation_id ^ 0x5A5A5A5A)
    assert WATERMARK.informed_z(marked, PAYLOAD, identity, frame) > 15
    assert abs(WATERMARK.informed_z(marked, other, identity, frame)) < 4
    cropped = rgb(TRANSFORMS["crop10"](marked_scene))
    left, top = (round(round(s * 0.05) * 2 / 3) for s in frame)  # where robustness.crop cuts
    shift = np.array([[1.0, 0.0, left], [0.0, 1.0, top]])
    assert WATERMARK.informed_z(cropped, PAYLOAD, shift, frame) > 15
    rng = np.random.default_rng(17)
    for _ in range(3):
        unmarked = np.asarray(render_scene(rng))
        assert abs(WATERMARK.informed_z(unmarked, PAYLOAD, identity, frame)) < 4.5
