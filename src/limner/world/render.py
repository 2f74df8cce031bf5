"""World stage: draws a `Layout` into exact palette pixels (72x72, no anti-aliasing) that the verifier reads back."""

from __future__ import annotations

from functools import cache

import numpy as np

from limner.world.font import glyph_patch
from limner.world.spec import (
    COLOURS,
    GRAY,
    HAIR_COLOURS,
    MONK,
    NATIVE,
    PATCH,
    SIZE_PX,
    SLOT,
    TEXT_ROW,
    Entity,
    Layout,
    Shape,
    Text,
    slot_rc,
)

DARK = frozenset({"black", "blue", "red", "green", "purple", "brown"})


def rgb(name: str) -> tuple[int, int, int]:
    if name == "gray":
        return GRAY
    if name.startswith("mst"):
        return MONK[int(name[3:]) - 1]
    return COLOURS[name]


def _inside_polygon(x: np.ndarray, y: np.ndarray, poly: list[tuple[float, float]]) -> np.ndarray:
    inside = np.zeros(x.shape, dtype=bool)
    n = len(poly)
    for i in range(n):
        x1, y1 = poly[i]
        x2, y2 = poly[(i + 1) % n]
        cond = (y1 > y) != (y2 > y)
        xs = (x2 - x1) * (y - y1) / (y2 - y1 + 1e-12) + x1
        inside ^= cond & (x < xs)
    return inside


@cache
def shape_mask(shape: str, px: int) -> np.ndarray:
    """Binary mask of a shape drawn in a px-by-px box (pixel centres in [-1, 1])."""
    c = (np.arange(px) + 0.5) / px * 2 - 1
    v, u = np.meshgrid(c, c, indexing="ij")  # v: down, u: right
    if shape == "circle":
        m = u**2 + v**2 <= 1.0
    elif shape == "square":
        m = (np.abs(u) <= 0.9) & (np.abs(v) <= 0.9)
    elif shape == "triangle":
        m = (v <= 0.95) & (np.abs(u) <= (v + 1.0) / 1.95)
    elif shape == "diamond":
        m = np.abs(u) + np.abs(v) <= 1.0
    elif shape == "cross":
        m = ((np.abs(u) <= 0.34) | (np.abs(v) <= 0.34)) & (np.abs(u) <= 0.95) & (np.abs(v) <= 0.95)
    elif shape == "ring":
        r = u**2 + v**2
        m = (r <= 1.0) & (r >= 0.36)
    elif shape == "star":
        pts = []
        for k in range(10):
            ang = -np.pi / 2 + k * np.pi / 5
            rad = 1.05 if k % 2 == 0 else 0.45
            pts.append((rad * np.cos(ang), rad * np.sin(ang) + 0.1))
        m = _inside_polygon(u, v, pts)
    elif shape == "heart":
        x, y = u * 1.2, -v * 1.25 + 0.2
        m = (x**2 + y**2 - 1) ** 3 - x**2 * y**3 <= 0
    else:
        raise ValueError(f"unknown shape {shape!r}")
    m.setflags(write=False)
    return m


def entity_layers(e: Entity) -> list[tuple[str, np.ndarray]]:
    """(palette colour name, 24x24 mask) layers of one entity in its slot, drawn in order."""
    if isinstance(e, Shape):
        px = SIZE_PX[e.size]
        m = np.zeros((SLOT, SLOT), dtype=bool)
        o = (SLOT - px) // 2
        m[o:o + px, o:o + px] = shape_mask(e.shape, px)
        return [(e.colour, m)]
    return [(e.shirt, _person_part("body", "")), (HAIR_COLOURS[e.hair], _person_part("hair", e.hair_style)),
            (f"mst{e.skin}", _person_part("head", ""))]


@cache
def _person_part(part: str, style: str) -> np.ndarray:
    yy, xx = np.mgrid[0:SLOT, 0:SLOT] + 0.5
    if part == "head":
        m = ((xx - 12) ** 2 + (yy - 12) ** 2 <= 17.0) & (yy >= 8) & (yy < 16) & (xx >= 8) & (xx < 16)
    elif part == "hair":
        m = ((xx - 12) / 4.6) ** 2 + ((yy - 8.5) / 4.2) ** 2 <= 1.0
        m &= (yy < 8) & (xx >= 8) & (xx < 16)
        if style == "long":
            m |= (yy >= 9) & (yy < 16) & (((xx >= 6) & (xx < 8)) | ((xx >= 16) & (xx < 18)))
    else:  # body: shoulders widening downwards
        half = 5 + (yy - 17) * 0.7
        m = (yy >= 17) & (np.abs(xx - 12) <= half)
    m.setflags(write=False)
    return m


def text_geometry(t: Text) -> tuple[int, range]:
    """First patch column of the word and the patch columns covered by its sign."""
    start = (9 - len(t.word)) // 2
    return start, range(max(0, start - 1), min(9, start + len(t.word) + 1))


def letter_colour(t: Text, background: str) -> str:
    return "white" if (t.sign or background) in DARK else "black"


def render(layout: Layout) -> np.ndarray:
    """(72, 72, 3) uint8 image of a layout."""
    img = np.empty((NATIVE, NATIVE, 3), dtype=np.uint8)
    img[:] = rgb(layout.background)
    for slot, e in layout.entities():
        r, c = slot_rc(slot)
        view = img[r * SLOT:(r + 1) * SLOT, c * SLOT:(c + 1) * SLOT]
        for colour, m in entity_layers(e):
            view[m] = rgb(colour)
    if layout.text is not None:
        t = layout.text
        start, cols = text_geometry(t)
        if t.sign is not None:
            img[3 * PATCH:6 * PATCH, cols.start * PATCH:cols.stop * PATCH] = rgb(t.sign)
        col = rgb(letter_colour(t, layout.background))
        for i, ch in enumerate(t.word):
            view = img[TEXT_ROW * PATCH:(TEXT_ROW + 1) * PATCH, (start + i) * PATCH:(start + i + 1) * PATCH]
            view[glyph_patch(ch)] = col
    return img


def upscale(img: np.ndarray, size: int) -> np.ndarray:
    """Nearest-neighbour upscale by the smallest integer factor that reaches `size`."""
    f = max(1, -(-size // img.shape[0]))
    return np.repeat(np.repeat(img, f, axis=0), f, axis=1)
