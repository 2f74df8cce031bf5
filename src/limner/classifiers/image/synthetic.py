"""Image classifiers, support: harmless procedural images made in code for examples, tests, benchmarks and demo banks.

Decides nothing. Every image here is drawn from a seed with Pillow (flat-colour shapes, a flat cartoon face,
rendered words, a smooth noise texture), so nothing needs to be downloaded or stored and no real person, abuse or
sexual content is involved. The flat-colour scenes imitate what limner's procedural generator renders, which is
why the photoreal estimate must call them non-photoreal.
"""

from __future__ import annotations

import io
import random

import numpy as np
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFilter, ImageFont

PALETTE: tuple[tuple[int, int, int], ...] = (
    (231, 76, 60), (46, 204, 113), (52, 152, 219), (241, 196, 15), (155, 89, 182), (26, 188, 156),
    (230, 126, 34), (236, 240, 241), (44, 62, 80), (149, 165, 166), (255, 255, 255), (20, 20, 20),
)  # fmt: skip


def encode(im: PILImage.Image, fmt: str = "PNG", quality: int = 90) -> bytes:
    buf = io.BytesIO()
    if fmt.upper() == "JPEG":
        im.convert("RGB").save(buf, format="JPEG", quality=quality)
    else:
        im.save(buf, format=fmt)
    return buf.getvalue()


def procedural_scene(seed: int, size: int = 256) -> PILImage.Image:
    """Flat-colour shapes on a flat background: the look of the procedural generator's output."""
    rng = random.Random(seed)
    bg = rng.choice(PALETTE)
    im = PILImage.new("RGB", (size, size), bg)
    d = ImageDraw.Draw(im)
    for _ in range(rng.randint(3, 9)):
        colour = rng.choice([c for c in PALETTE if c != bg])
        x0, y0 = rng.randrange(size), rng.randrange(size)
        w, h = rng.randint(size // 10, size // 2), rng.randint(size // 10, size // 2)
        kind = rng.randrange(4)
        if kind == 0:
            d.rectangle((x0, y0, x0 + w, y0 + h), fill=colour)
        elif kind == 1:
            d.ellipse((x0, y0, x0 + w, y0 + h), fill=colour)
        elif kind == 2:
            pts = [(rng.randrange(size), rng.randrange(size)) for _ in range(rng.randint(3, 6))]
            d.polygon(pts, fill=colour)
        else:
            d.line((x0, y0, x0 + w, y0 + h), fill=colour, width=rng.randint(2, 10))
    return im


def cartoon_face(seed: int, size: int = 256) -> PILImage.Image:
    """A flat-colour cartoon face (head, eyes, nose, mouth) on a flat background: drawn, never photoreal."""
    rng = random.Random(seed)
    im = procedural_scene(seed + 10_000, size)
    d = ImageDraw.Draw(im)
    skin = rng.choice([(255, 224, 189), (241, 194, 125), (198, 134, 66), (141, 85, 36)])
    cx, cy, r = size // 2, size // 2, int(size * rng.uniform(0.25, 0.38))
    d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=skin, outline=(0, 0, 0), width=3)
    ex, ey, er = int(r * 0.4), int(r * 0.25), max(3, int(r * 0.12))
    for sx in (-1, 1):
        px, py = cx + sx * ex, cy - ey
        d.ellipse((px - er, py - er, px + er, py + er), fill=(255, 255, 255), outline=(0, 0, 0))
        d.ellipse((px - er // 2, py - er // 2, px + er // 2, py + er // 2), fill=(0, 0, 0))
    d.polygon([(cx, cy - er), (cx - er // 2, cy + er), (cx + er // 2, cy + er)], fill=(0, 0, 0))
    d.arc((cx - r // 2, cy, cx + r // 2, cy + r // 2 + er), 20, 160, fill=(120, 0, 0), width=4)
    return im


def text_image(text: str, size: int = 256, seed: int = 0) -> PILImage.Image:
    """Dark words on a light flat background, one line, filling most of the width."""
    rng = random.Random(seed)
    bg = rng.choice([(255, 255, 255), (236, 240, 241), (241, 196, 15)])
    im = PILImage.new("RGB", (size, size), bg)
    d = ImageDraw.Draw(im)
    font_size = max(10, int(size * 0.9 / max(4, len(text)) * 1.6))
    font = ImageFont.load_default(size=font_size)
    while font_size > 8 and d.textlength(text, font=font) > size * 0.9:
        font_size -= 2
        font = ImageFont.load_default(size=font_size)
    w = d.textlength(text, font=font)
    d.text(((size - w) / 2, size / 2 - font_size / 2), text, fill=(20, 20, 20), font=font)
    return im


def smooth_texture(seed: int, size: int = 256) -> PILImage.Image:
    """Blurred colour noise plus fine grain: photo-like statistics with no object and no person in it."""
    rng = np.random.default_rng(seed)
    base = rng.integers(0, 256, size=(size // 16, size // 16, 3), dtype=np.uint8)
    im = PILImage.fromarray(base).resize((size, size), PILImage.Resampling.BICUBIC)
    im = im.filter(ImageFilter.GaussianBlur(radius=3))
    grain = rng.normal(0.0, 6.0, size=(size, size, 3))
    arr = np.clip(np.asarray(im, dtype=np.float64) + grain, 0, 255).astype(np.uint8)
    return PILImage.fromarray(arr)


def flat_skin(size: int = 256, tone: tuple[int, int, int] = (224, 172, 140)) -> PILImage.Image:
    """A flat skin-tone image (no person): the classic false-positive probe for nudity detectors."""
    return PILImage.new("RGB", (size, size), tone)


def shaded_scene(seed: int, size: int = 256) -> PILImage.Image:
    """A procedural scene with soft edges and a light gradient: enough detail for PDQ to hash it robustly.

    Flat-colour scenes often fall under PDQ's quality floor and sit near the match threshold after rotation; the
    demo hash bank and the hash tests use these instead.
    """
    rng = np.random.default_rng(seed)
    im = procedural_scene(seed, size).filter(ImageFilter.GaussianBlur(radius=size / 128))
    yy, xx = np.mgrid[0:size, 0:size] / size
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * xx + np.sin(angle) * yy)[:, :, None] * 60.0 - 30.0
    arr = np.clip(np.asarray(im, dtype=np.float64) + ramp, 0, 255).astype(np.uint8)
    return PILImage.fromarray(arr)
