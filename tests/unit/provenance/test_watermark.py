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
