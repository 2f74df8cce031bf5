"""Provenance stage (evaluation helpers): the transformations provenance must survive, and synthetic test images.

Decides nothing at run time; the benchmark and the tests use these to measure each signal under the edits that strip
or damage provenance in practice (re-encode, resize, crop, rotate, screenshot, metadata stripping).
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

Transform = Callable[[bytes], bytes]


def _open(data: bytes) -> Image.Image:
    with Image.open(io.BytesIO(data)) as im:
        return im.convert("RGB")


def _png(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    # Fastest zlib level: the pixels are identical at any level, and the benchmark encodes ~7 PNGs per output.
    im.save(buf, "PNG", compress_level=1)
    return buf.getvalue()


def strip_metadata(data: bytes) -> bytes:
    """Re-save the same pixels losslessly: what any tool that drops metadata does to C2PA."""
    return _png(_open(data))


def jpeg(quality: int) -> Transform:
    def apply(data: bytes) -> bytes:
        buf = io.BytesIO()
        _open(data).save(buf, "JPEG", quality=quality)
        return buf.getvalue()

    return apply


def resize_and_back(factor: float) -> Transform:
    def apply(data: bytes) -> bytes:
        im = _open(data)
        small = im.resize((round(im.width * factor), round(im.height * factor)), Image.Resampling.BICUBIC)
        return _png(small.resize(im.size, Image.Resampling.BICUBIC))

    return apply


def crop(fraction: float) -> Transform:
    """Remove `fraction` of each dimension, split between the sides, and keep the crop at its own size."""

    def apply(data: bytes) -> bytes:
        im = _open(data)
        dx, dy = round(im.width * fraction / 2), round(im.height * fraction / 2)
        # Off-centre on purpose (one third left/top) so the crop is not symmetric about the tile grid.
        left, top = round(dx * 2 / 3), round(dy * 2 / 3)
        return _png(im.crop((left, top, left + im.width - 2 * dx, top + im.height - 2 * dy)))

    return apply


def crop_and_resize(fraction: float) -> Transform:
    """The same crop, scaled back to the original size (what a "fit to frame" crop tool does)."""

    def apply(data: bytes) -> bytes:
        size = _open(data).size
        return _png(_open(crop(fraction)(data)).resize(size, Image.Resampling.BICUBIC))

    return apply


def rotate(degrees: float) -> Transform:
    def apply(data: bytes) -> bytes:
        return _png(_open(data).rotate(degrees, resample=Image.Resampling.BICUBIC, expand=False))

    return apply


def screenshot(data: bytes) -> bytes:
    """A screenshot of the image shown at 125%: upscale, slight gamma / colour shift, PNG re-save (no metadata)."""
    im = _open(data)
    big = im.resize((round(im.width * 1.25), round(im.height * 1.25)), Image.Resampling.BILINEAR)
    arr = np.asarray(big).astype(np.float64) / 255.0
    arr = np.clip(arr ** np.array([0.97, 1.0, 1.03]) * 0.98 + 0.01, 0, 1)
    return _png(Image.fromarray(np.round(arr * 255).astype(np.uint8)))


TRANSFORMS: dict[str, Transform] = {
    "none": lambda b: b,
    "strip_c2pa": strip_metadata,
    "jpeg85": jpeg(85),
    "jpeg50": jpeg(50),
    "resize0.5": resize_and_back(0.5),
    "crop10": crop(0.10),
    "crop10_resized": crop_and_resize(0.10),
    "rotate5": rotate(5.0),
    "screenshot": screenshot,
}


def render_scene(rng: np.random.Generator, size: int = 256) -> Image.Image:
    """A generated-like output: a 64x64 flat-colour scene (shapes, a line of text), upscaled to `size`."""
    base = Image.new("RGB", (64, 64), tuple(int(v) for v in rng.integers(0, 256, 3)))
    draw = ImageDraw.Draw(base)
    for _ in range(int(rng.integers(2, 7))):
        x0, y0 = (int(v) for v in rng.integers(-8, 56, 2))
        x1, y1 = x0 + int(rng.integers(6, 40)), y0 + int(rng.integers(6, 40))
        colour = tuple(int(v) for v in rng.integers(0, 256, 3))
        kind = int(rng.integers(0, 3))
        if kind == 0:
            draw.rectangle((x0, y0, x1, y1), fill=colour)
        elif kind == 1:
            draw.ellipse((x0, y0, x1, y1), fill=colour)
        else:
            draw.polygon([(x0, y1), ((x0 + x1) // 2, y0), (x1, y1)], fill=colour)
    if rng.random() < 0.5:
        text = "".join(chr(int(c)) for c in rng.integers(65, 91, int(rng.integers(3, 7))))
        draw.text((int(rng.integers(0, 30)), int(rng.integers(0, 54))), text, fill=(255, 255, 255))
    resample = Image.Resampling.NEAREST if rng.random() < 0.5 else Image.Resampling.BICUBIC
    return base.resize((size, size), resample)


def render_natural(rng: np.random.Generator, size: int = 256) -> Image.Image:
    """A photo-like unrelated image: 1/f noise texture, a lighting gradient, soft blobs, sensor noise."""
    freq_y = np.fft.fftfreq(size)[:, None]
    freq_x = np.fft.fftfreq(size)[None, :]
    radius = np.hypot(freq_y, freq_x)
    radius[0, 0] = 1.0
    beta = rng.uniform(1.8, 2.4)  # natural images: power spectrum ~ 1/f^2
    channels = []
    for _ in range(3):
        spectrum = (rng.normal(size=(size, size)) + 1j * rng.normal(size=(size, size))) / radius ** (beta / 2)
        field = np.real(np.fft.ifft2(spectrum))
        channels.append((field - field.mean()) / (field.std() + 1e-9))
    mix = rng.normal(size=(3, 3)) * 0.3 + np.eye(3)
    img = np.tensordot(np.stack(channels, -1), mix, axes=1) * rng.uniform(25, 60)
    yy, xx = np.mgrid[0:size, 0:size] / size
    img += (rng.uniform(-60, 60) * yy + rng.uniform(-60, 60) * xx)[..., None]
    img += rng.uniform(60, 190, 3)
    img += rng.normal(0, rng.uniform(0.5, 3.0), img.shape)
    out = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8))
    if rng.random() < 0.5:
        out = out.filter(ImageFilter.GaussianBlur(rng.uniform(0.5, 1.5)))
    return out


def render_procedural(rng: np.random.Generator, size: int = 256) -> Image.Image:
    """An unrelated synthetic image at native resolution (stripes, checkers, shapes): a hard case for hash keys."""
    img = Image.new("RGB", (size, size), tuple(int(v) for v in rng.integers(0, 256, 3)))
    draw = ImageDraw.Draw(img)
    period = int(rng.integers(6, 40))
    colour = tuple(int(v) for v in rng.integers(0, 256, 3))
    if rng.random() < 0.5:
        for x in range(0, size, 2 * period):
            draw.rectangle((x, 0, x + period - 1, size), fill=colour)
    for _ in range(int(rng.integers(3, 12))):
        x0, y0 = (int(v) for v in rng.integers(0, size, 2))
        r = int(rng.integers(5, size // 3))
        draw.ellipse((x0 - r, y0 - r, x0 + r, y0 + r), fill=tuple(int(v) for v in rng.integers(0, 256, 3)))
    return img
