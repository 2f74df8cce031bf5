"""World stage: the exact verifier. Reads a scene back from pixels (objects, colours, slots, counts, text, people)
and decides whether it satisfies a `SceneSpec`. The bias evaluation uses `extract_people` on generated images.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache

import numpy as np
from PIL import Image as PILImage

from limner.world.font import FONT, glyph_patch
from limner.world.grammar import TextSpec, text_spec
from limner.world.render import entity_layers, letter_colour, rgb, text_geometry
from limner.world.spec import (
    HAIR_COLOURS,
    MONK,
    MONK_GROUPS,
    NATIVE,
    PALETTE,
    PALETTE_NAMES,
    PATCH,
    SHAPES,
    SIZES,
    SLOT,
    TEXT_ROW,
    Entity,
    Layout,
    ObjectSpec,
    Person,
    SceneSpec,
    Shape,
    Text,
    relation_holds,
    slot_matches,
)

_PAL = np.array(PALETTE, dtype=np.float32)
_HAIR_BY_PALETTE = {v: k for k, v in HAIR_COLOURS.items()}


@dataclass(frozen=True)
class Unknown:
    """Something drawn in a slot that is neither a known shape nor a person."""

    colour: str


@dataclass(frozen=True)
class Scene:
    """What the verifier read from an image."""

    background: str
    slots: tuple[Entity | Unknown | None, ...]
    text: Text | None

    def as_layout(self) -> Layout | None:
        if any(isinstance(e, Unknown) for e in self.slots):
            return None
        return Layout(self.background, tuple(e for e in self.slots if not isinstance(e, Unknown)), self.text)


@dataclass(frozen=True)
class PersonAttributes:
    slot: int
    skin_tone: int  # Monk Skin Tone 1..10
    skin_group: str  # light / medium / dark / very dark
    shirt: str
    hair: str
    hair_style: str


@dataclass(frozen=True)
class Check:
    ok: bool
    objects: bool
    shapes: bool
    colours: bool
    counts: bool
    positions: bool
    text: bool
    background: bool


def to_native(image: bytes | np.ndarray | PILImage.Image) -> np.ndarray:
    """(72, 72, 3) uint8 from PNG bytes, a PIL image or an array of any square size (block-averaged)."""
    if isinstance(image, bytes | bytearray):
        image = PILImage.open(io.BytesIO(image))
    if isinstance(image, PILImage.Image):
        image = np.asarray(image.convert("RGB"))
    arr = np.asarray(image)[..., :3]
    if arr.shape[:2] == (NATIVE, NATIVE):
        return arr.astype(np.uint8)
    h, w = arr.shape[:2]
    if h == w and h % NATIVE == 0:
        f = h // NATIVE
        return arr.reshape(NATIVE, f, NATIVE, f, 3).mean(axis=(1, 3)).round().astype(np.uint8)
    return np.asarray(PILImage.fromarray(arr.astype(np.uint8)).resize((NATIVE, NATIVE), PILImage.BOX))


def palette_index(img: np.ndarray) -> np.ndarray:
    """Nearest palette colour of each pixel."""
    # nearest colour is computed once per distinct colour: rendered images hold only a handful of them
    packed = (img[..., 0].astype(np.int64) << 16) | (img[..., 1].astype(np.int64) << 8) | img[..., 2]
    uniq, inv = np.unique(packed.ravel(), return_inverse=True)
    cols = np.stack([(uniq >> 16) & 255, (uniq >> 8) & 255, uniq & 255], -1).astype(np.float32)
    near = ((cols[:, None, :] - _PAL) ** 2).sum(-1).argmin(-1)
    return near[inv].reshape(img.shape[:2])


@cache
def _shape_templates() -> tuple[list[tuple[str, str]], np.ndarray]:
    keys, masks = [], []
    for s in SHAPES:
        for z in SIZES:
            keys.append((s, z))
            masks.append(entity_layers(Shape(s, "red", z))[0][1])
    return keys, np.stack(masks)


def _mode(values: np.ndarray) -> int:
    return int(np.bincount(values.ravel(), minlength=len(PALETTE)).argmax())


def _read_text(idx: np.ndarray, bg: int) -> Text | None:
    letters: dict[int, str] = {}
    glyphs = {k: glyph_patch(k) for k in FONT}
    for j in range(9):
        p = idx[TEXT_ROW * PATCH:(TEXT_ROW + 1) * PATCH, j * PATCH:(j + 1) * PATCH]
        cols = np.unique(p)
        if len(cols) != 2:
            continue
        best, bestd = None, 99
        for c in cols:
            m = p == c
            for k, g in glyphs.items():
                d = int((m != g).sum())
                if d < bestd:
                    best, bestd = k, d
        if best is not None and bestd <= 2:
            letters[j] = best
    if len(letters) < 2:
        return None
    js = sorted(letters)
    # the longest run of adjacent letter columns is the word
    runs, cur = [], [js[0]]
    for j in js[1:]:
        if j == cur[-1] + 1:
            cur.append(j)
        else:
            runs.append(cur)
            cur = [j]
    runs.append(cur)
    run = max(runs, key=len)
    word = "".join(letters[j] for j in run)
    sign_idx = _mode(idx[3 * PATCH:4 * PATCH, run[0] * PATCH:(run[-1] + 1) * PATCH])
    sign = None if sign_idx == bg else PALETTE_NAMES[sign_idx]
    return Text(word, sign)


def _read_person(region: np.ndarray, ridx: np.ndarray, bg: int) -> Person | None:
    best: tuple[float, Person] | None = None
    for style in ("short", "long"):
        layers = entity_layers(Person(1, "red", "black", style))
        body, hair, head = (m for _, m in layers)
        if head.sum() == 0:
            continue
        skin_rgb = region[head].reshape(-1, 3).astype(np.float32).mean(0)
        skin = int(((np.array(MONK, dtype=np.float32) - skin_rgb) ** 2).sum(-1).argmin()) + 1
        shirt_i, hair_i = _mode(ridx[body]), _mode(ridx[hair])
        shirt, hair_pal = PALETTE_NAMES[shirt_i], PALETTE_NAMES[hair_i]
        if hair_pal not in _HAIR_BY_PALETTE or shirt not in PALETTE_NAMES[:10]:
            continue
        expect = np.full(ridx.shape, bg)
        expect[body] = shirt_i
        expect[hair] = hair_i
        expect[head] = PALETTE_NAMES.index(f"mst{skin}")
        # head pixels are compared by tone group tolerance: palette neighbours among Monk tones are close in RGB
        got = ridx.copy()
        got[head] = expect[head]
        acc = float((expect == got).mean())
        head_ok = float((ridx[head] >= 11).mean())
        if acc >= 0.97 and head_ok >= 0.9:
            p = Person(skin, shirt, _HAIR_BY_PALETTE[hair_pal], style)
            if best is None or acc > best[0]:
                best = (acc, p)
    return best[1] if best else None


def read_scene(image: bytes | np.ndarray | PILImage.Image) -> Scene:
    """Parse an image of the world back into background, slot contents and text."""
    img = to_native(image)
    idx = palette_index(img)
    frame = np.concatenate([idx[0], idx[-1], idx[:, 0], idx[:, -1]])
    bg = _mode(frame)
    text = _read_text(idx, bg)
    keys, templates = _shape_templates()
    slots: list[Entity | Unknown | None] = []
    for s in range(9):
        r, c = divmod(s, 3)
        if text is not None and r == 1:
            slots.append(None)
            continue
        ridx = idx[r * SLOT:(r + 1) * SLOT, c * SLOT:(c + 1) * SLOT]
        nb = ridx != bg
        if nb.sum() < 4:
            slots.append(None)
            continue
        region = img[r * SLOT:(r + 1) * SLOT, c * SLOT:(c + 1) * SLOT]
        person = _read_person(region, ridx, bg) if (ridx >= 11).any() else None
        if person is not None:
            slots.append(person)
            continue
        colour = _mode(ridx[nb])
        m = ridx == colour
        inter = (templates & m).sum((1, 2))
        union = (templates | m).sum((1, 2))
        iou = inter / np.maximum(union, 1)
        k = int(iou.argmax())
        stray = int((nb & ~m).sum())
        if iou[k] >= 0.85 and stray <= 4 and colour < 10:
            slots.append(Shape(keys[k][0], PALETTE_NAMES[colour], keys[k][1]))
        else:
            slots.append(Unknown(PALETTE_NAMES[colour]))
    return Scene(PALETTE_NAMES[bg], tuple(slots), text)


def extract_people(image: bytes | np.ndarray | PILImage.Image) -> list[PersonAttributes]:
    """Skin tone, shirt and hair of every person figure in an image (the bias evaluation's attribute extractor)."""
    scene = read_scene(image)
    return [PersonAttributes(i, e.skin, MONK_GROUPS[e.skin], e.shirt, e.hair, e.hair_style)
            for i, e in enumerate(scene.slots) if isinstance(e, Person)]


def _assign(inst: list[tuple[int, ObjectSpec]], ents: list[tuple[int, Entity]], spec: SceneSpec) -> bool:
    if len(inst) != len(ents):
        return False
    used = [False] * len(ents)
    chosen: list[int] = [0] * len(inst)

    def rec(i: int) -> bool:
        if i == len(inst):
            first: dict[int, int] = {}
            for (k, _), s in zip(inst, chosen, strict=True):
                first.setdefault(k, s)
            return all(relation_holds(first[r.a], r.rel, first[r.b]) for r in spec.relations)
        k, o = inst[i]
        for j, (slot, e) in enumerate(ents):
            if not used[j] and o.accepts(e) and (o.position is None or slot_matches(slot, o.position)):
                used[j] = True
                chosen[i] = slot
                if rec(i + 1):
                    return True
                used[j] = False
        return False

    return rec(0)


def check(spec: SceneSpec, scene: Scene) -> Check:
    """Whether a scene read from pixels satisfies a spec (strict: nothing missing, nothing extra)."""
    ents = [(i, e) for i, e in enumerate(scene.slots) if e is not None and not isinstance(e, Unknown)]
    unknown = any(isinstance(e, Unknown) for e in scene.slots)
    inst = [(k, o) for k, o in enumerate(spec.objects) for _ in range(o.count)]
    objects = not unknown and _assign(inst, ents, spec)
    kinds = [e.shape if isinstance(e, Shape) else "person" for _, e in ents]
    shapes = all(o.shape in kinds for o in spec.objects)
    counts = all(kinds.count(o.shape) == sum(p.count for p in spec.objects if p.shape == o.shape)
                 for o in spec.objects)
    colours = all(any(isinstance(e, Shape) and e.shape == o.shape and e.colour == o.colour for _, e in ents)
                  for o in spec.objects if o.colour)
    positions = all(any(o.accepts(e) and slot_matches(s, o.position) for s, e in ents)
                    for o in spec.objects if o.position)
    if spec.relations:
        positions = positions and objects
    t: TextSpec | None = text_spec(spec)
    if t is None:
        text_ok = scene.text is None
    else:
        text_ok = (scene.text is not None and scene.text.word == t.word and (scene.text.sign is not None) == t.on_sign
                   and (t.sign is None or scene.text.sign == t.sign))
    bg_ok = spec.background is None or scene.background == spec.background
    return Check(objects and text_ok and bg_ok, objects, shapes, colours, counts, positions, text_ok, bg_ok)


def verify(spec: SceneSpec, image: bytes | np.ndarray | PILImage.Image) -> Check:
    return check(spec, read_scene(image))


def expected_text_pixels(t: Text, background: str) -> tuple[int, str]:
    """(first column, letter colour) of a word: used by tests to cross-check the renderer and the reader."""
    return text_geometry(t)[0], letter_colour(t, background)


__all__ = ["Check", "PersonAttributes", "Scene", "Unknown", "check", "extract_people", "read_scene", "rgb",
           "to_native", "verify"]
