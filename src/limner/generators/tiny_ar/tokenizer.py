"""Generator stage (tiny_ar): tokenizers. Images become 81 factorised patch tokens (colour pair + 8x8 mask code from
a fixed codebook enumerated from the world's renders, no training); text is bytes; layouts ("plans") get a small
vocabulary of their own. Also builds the token sequences of every task the model is trained on.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from limner.world.font import FONT, glyph_patch
from limner.world.render import entity_layers, render
from limner.world.spec import (
    HAIR_COLOURS,
    HAIR_STYLES,
    NATIVE,
    PALETTE,
    PALETTE_NAMES,
    PATCH,
    SHAPES,
    SIZES,
    Entity,
    Layout,
    Person,
    Shape,
    Text,
)
from limner.world.verify import palette_index

TOKENIZER_VERSION = "tiny_ar-tok-3"
NP = len(PALETTE)  # 21 colour classes
NPAIR = NP * NP
NPATCH = 81

# ---------------------------------------------------------------- main vocabulary
SPECIALS = ("PAD", "BOS", "EOS", "T2I", "EDIT", "COMPOSE", "CAPTION", "PLAN", "PLAN_END", "PAINT", "INSTR", "IMG")
BYTE0 = 16
LETTERS = tuple(sorted(FONT))
PLAN_TOKENS: tuple[str, ...] = (
    "BGK", "SIGN", "NOSIGN", "PERSON",
    *(f"COL_{c}" for c in PALETTE_NAMES),
    *(f"SHAPE_{s}" for s in SHAPES),
    *(f"SIZE_{z}" for z in SIZES),
    *(f"HAIR_{h}" for h in HAIR_COLOURS),
    *(f"STYLE_{h}" for h in HAIR_STYLES),
    *(f"SLOT_{k}" for k in range(9)),
    *(f"L_{ch}@{j}" for j in range(9) for ch in LETTERS),
)
# Slot-level image tokens: a slot whose 3x3 patches are one colour is a single USLOT token, otherwise PSLOT is followed
# by its 9 patch tokens. Most slots are empty background, so this cuts an image from 81 tokens to ~20-40.
SLOT_TOKENS: tuple[str, ...] = ("PSLOT", *(f"USLOT_{c}" for c in PALETTE_NAMES))
PLAN0 = BYTE0 + 128
VOCAB: dict[str, int] = {s: i for i, s in enumerate(SPECIALS)}
VOCAB.update({t: PLAN0 + i for i, t in enumerate(PLAN_TOKENS)})
SLOT0 = PLAN0 + len(PLAN_TOKENS)
VOCAB.update({t: SLOT0 + i for i, t in enumerate(SLOT_TOKENS)})
ID2TOK = {v: k for k, v in VOCAB.items()}
V_MAIN = SLOT0 + len(SLOT_TOKENS)
PLAN_IDS = np.arange(PLAN0, SLOT0)
SLOT_IDS = np.arange(SLOT0, V_MAIN)

# feature ids (added embeddings shared by plan tokens and image positions so they can find each other)
F_SLOT, F_TCOL, F_SUB, F_LETTER = 1, 10, 19, 28
# Word features for prompt bytes: every byte of a known word also carries that word's embedding, so a small model
# reads "pink square" without first having to learn spelling. Uppercase words (text to draw) carry, per letter, the
# letter feature and the text column it will be drawn in, shared with the plan's letter tokens and row-4 patches.
WORDS: tuple[str, ...] = tuple(sorted({
    *SHAPES, *(s + "s" for s in SHAPES), "crosses", *PALETTE_NAMES[:11], *SIZES, "tiny", "big", "medium-sized",
    "a", "an", "one", "two", "three", "four", "1", "2", "3", "4", "left", "right", "top", "bottom", "centre",
    "center", "middle", "above", "below", "over", "under", "of", "to", "the", "on", "at", "in", "person", "people",
    "someone", "figure", "skin", "tone", "monk", "mst", "shirt", "wearing", "hair", "short", "long", "blonde", "sign",
    "says", "reading", "word", "text", "written", "background", "letters", "with", "that", "against", "and",
    "picture", "image", "drawing", "draw", "generate", "show", "please", "make", "change", "colour", "turn", "paint",
    "remove", "delete", "take", "away", "erase", "add", "put", "write", "first", "second", "from", "place", "move",
    "person's", "dress", "ginger",
}))
F_WORD = F_LETTER + len(LETTERS)
F_UPPER = F_WORD + len(WORDS)
N_FEAT = F_UPPER + 1
_WORD_ID = {w: i for i, w in enumerate(WORDS)}


def patch_rc(i: int) -> tuple[int, int]:
    """Patch (row, col) of the i-th patch token: slot-major order, raster inside a slot."""
    s, u = divmod(i, 9)
    return 3 * (s // 3) + u // 3, 3 * (s % 3) + u % 3


PATCH_FEATS = np.array([[F_SLOT + i // 9, F_SUB + i % 9, (F_TCOL + patch_rc(i)[1]) if patch_rc(i)[0] == 4 else 0]
                        for i in range(NPATCH)], dtype=np.int64)


def token_feats(tok: int) -> tuple[int, int, int]:
    """Features of a main token. A plan token named by a prompt word (COL_green, SHAPE_heart, SIZE_small...)
    carries that word's feature, so the plan and the prompt share one embedding for "green"."""
    name = ID2TOK.get(tok, "")
    if name.startswith("SLOT_"):
        return (F_SLOT + int(name[5:]), 0, 0)
    if name.startswith("L_"):
        ch, j = name[2:].split("@")
        return (F_TCOL + int(j), F_LETTER + LETTERS.index(ch), 0)
    word = name.split("_", 1)[1] if name.startswith(("COL_", "SHAPE_", "SIZE_", "HAIR_", "STYLE_")) else ""
    if name == "PERSON":
        word = "person"
    if word in _WORD_ID:
        return (F_WORD + _WORD_ID[word], 0, 0)
    return (0, 0, 0)


_FEATS_MAIN = np.array([token_feats(t) for t in range(V_MAIN)], dtype=np.int64)

# ---------------------------------------------------------------- copy sources (the pointer head)
# A plan token the model may copy from a position instead of generating it: a prompt word names it ("green" ->
# COL_green, "hearts" -> SHAPE_heart), an uppercase letter is drawn as it (L_<ch>@<column>), or the position holds
# that plan token already (an edit's input plan). Copying is what lets "green heart" work when training never
# showed a green heart: the pointer learns *where* in the prompt the colour of this object is, not which colours
# go with which shapes.
_WORD_COPY: dict[str, str] = {
    **{c: f"COL_{c}" for c in PALETTE_NAMES[:11]},
    **{s: f"SHAPE_{s}" for s in SHAPES}, **{s + "s": f"SHAPE_{s}" for s in SHAPES}, "crosses": "SHAPE_cross",
    **{z: f"SIZE_{z}" for z in SIZES}, "tiny": "SIZE_small", "big": "SIZE_large", "medium-sized": "SIZE_medium",
    "blonde": "HAIR_blonde", "ginger": "HAIR_red", **{h: f"STYLE_{h}" for h in HAIR_STYLES},
    **{w: "PERSON" for w in ("person", "people", "someone", "figure")},
}
NO_COPY = -1


def _copy_tables() -> tuple[np.ndarray, np.ndarray]:
    """(copy token of each main id, copy token of each word feature), NO_COPY where there is none."""
    by_id = np.full(V_MAIN, NO_COPY, dtype=np.int64)
    by_id[PLAN_IDS] = PLAN_IDS
    by_word = np.full(N_FEAT, NO_COPY, dtype=np.int64)
    for w, i in _WORD_ID.items():
        if w in _WORD_COPY:
            by_word[F_WORD + i] = VOCAB[_WORD_COPY[w]]
    return by_id, by_word


_COPY_BY_ID, _COPY_BY_WORD = _copy_tables()
_COPY_LETTER = np.array([[VOCAB[f"L_{ch}@{j}"] for j in range(9)] for ch in LETTERS], dtype=np.int64)


def copy_sources(ids: np.ndarray, feats: np.ndarray) -> np.ndarray:
    """Copy token per position (NO_COPY if none) for ids (...,) and feats (..., 3); patch ids never copy."""
    main = np.where(ids < V_MAIN, ids, 0)
    out = np.where(ids < V_MAIN, _COPY_BY_ID[main], NO_COPY)
    is_byte = (ids >= BYTE0) & (ids < PLAN0)
    f0 = feats[..., 0]
    word = np.where(is_byte, _COPY_BY_WORD[f0], NO_COPY)
    upper = is_byte & (f0 == F_UPPER)
    letter = _COPY_LETTER[np.clip(feats[..., 1] - F_LETTER, 0, len(LETTERS) - 1), np.clip(feats[..., 2] - F_TCOL, 0, 8)]
    word = np.where(upper, letter, word)
    return np.where(is_byte, word, out)


_COPY_BY_ID_L: list[int] = _COPY_BY_ID.tolist()
_COPY_BY_WORD_L: list[int] = _COPY_BY_WORD.tolist()


def copy_source(t: int, f: tuple[int, int, int]) -> int:
    """`copy_sources` for one token (the sampler's per-step path)."""
    if t >= V_MAIN:
        return NO_COPY
    if BYTE0 <= t < PLAN0:
        if f[0] == F_UPPER:
            return int(_COPY_LETTER[f[1] - F_LETTER, f[2] - F_TCOL])
        return _COPY_BY_WORD_L[f[0]]
    return _COPY_BY_ID_L[t]


def prompt_span(ids: np.ndarray) -> np.ndarray:
    """Bool (..., T): the text-to-image prompt's bytes, which attend to each other both ways (a prefix LM), so
    "green" already knows it is the colour of the heart that follows it."""
    t = ids.shape[-1]
    is_byte = (ids >= BYTE0) & (ids < PLAN0)
    is_t2i = (ids[..., 1:2] == VOCAB["T2I"]) if t > 1 else np.zeros((*ids.shape[:-1], 1), dtype=bool)
    after = np.arange(t) >= 2
    # the prompt is the run of bytes right after BOS T2I: a byte counts while every position since 2 is a byte
    run = np.cumprod(np.where(after, is_byte, True), axis=-1).astype(bool)
    return is_t2i & after & run


# ---------------------------------------------------------------- image tokenizer
@lru_cache(maxsize=1)
def codebook() -> np.ndarray:
    """(M, 8, 8) bool masks: every non-empty single-colour patch mask the world can draw, plus the empty mask."""
    masks = {0}
    layers: list[np.ndarray] = []
    for s in SHAPES:
        for z in SIZES:
            layers += [m for _, m in entity_layers(Shape(s, "red", z))]
    for st in HAIR_STYLES:
        layers += [m for _, m in entity_layers(Person(1, "red", "black", st))]
    for m in layers:
        for r in range(3):
            for c in range(3):
                masks.add(_pack(m[r * PATCH:(r + 1) * PATCH, c * PATCH:(c + 1) * PATCH]))
    for ch in LETTERS:
        masks.add(_pack(glyph_patch(ch)))
    full = (1 << 64) - 1
    masks.discard(full)
    codes = sorted(masks)
    return np.array([_unpack(c) for c in codes])


def _pack(m: np.ndarray) -> int:
    return int.from_bytes(np.packbits(m.ravel().astype(np.uint8)).tobytes(), "big")


def _unpack(code: int) -> np.ndarray:
    return np.unpackbits(np.frombuffer(code.to_bytes(8, "big"), dtype=np.uint8)).astype(bool).reshape(8, 8)


@lru_cache(maxsize=1)
def _code_index() -> dict[int, int]:
    return {_pack(m): i for i, m in enumerate(codebook())}


def n_masks() -> int:
    return len(codebook())


def tokenizer_hash() -> str:
    h = hashlib.sha256(TOKENIZER_VERSION.encode())
    h.update(np.array(PALETTE, dtype=np.uint8).tobytes())
    h.update(np.packbits(codebook()).tobytes())
    h.update("\n".join((*SPECIALS, *PLAN_TOKENS, *SLOT_TOKENS, *WORDS)).encode())
    return h.hexdigest()[:16]


def encode_image(img: np.ndarray) -> np.ndarray:
    """(72, 72, 3) uint8 -> (81, 2) int64 [colour pair, mask code] in slot-major order."""
    idx = palette_index(img) if img.ndim == 3 else img
    cb = codebook()
    flat = cb.reshape(len(cb), 64)
    index = _code_index()
    out = np.zeros((NPATCH, 2), dtype=np.int64)
    for i in range(NPATCH):
        r, c = patch_rc(i)
        p = idx[r * PATCH:(r + 1) * PATCH, c * PATCH:(c + 1) * PATCH]
        counts = np.bincount(p.ravel(), minlength=NP)
        order = np.argsort(-counts, kind="stable")
        a, b = int(order[0]), int(order[1])
        if counts[b] == 0:
            out[i] = (a * NP + a, 0)
            continue
        best: tuple[int, int, int, int] | None = None  # (distance, fg pixel count, fg, mask)
        for fg, bg in ((a, b), (b, a)):
            m = p == fg
            k = index.get(_pack(m))
            if k is None:
                d = (flat != m.ravel()).sum(1)
                d[0] = 65  # the empty mask would drop the patch's second colour
                k = int(d.argmin())
                dist = int(d[k])
            else:
                dist = 0
            cand = (dist, int(m.sum()), fg, k)
            if best is None or cand[:2] < best[:2]:
                best = (dist, int(m.sum()), fg * NP + bg, k)
        assert best is not None
        out[i] = (best[2], best[3])
    return out


def decode_image(tokens: np.ndarray) -> np.ndarray:
    """(81, 2) -> (72, 72, 3) uint8."""
    pal = np.array(PALETTE, dtype=np.uint8)
    cb = codebook()
    img = np.zeros((NATIVE, NATIVE, 3), dtype=np.uint8)
    for i, (pair, mask) in enumerate(tokens):
        fg, bg = divmod(int(pair), NP)
        r, c = patch_rc(i)
        view = img[r * PATCH:(r + 1) * PATCH, c * PATCH:(c + 1) * PATCH]
        view[:] = pal[bg]
        view[cb[int(mask) % len(cb)]] = pal[fg]
    return img


# ---------------------------------------------------------------- plans (layout tokens)
def plan_tokens(lay: Layout, order: tuple[int, ...] | None = None) -> list[int]:
    """Layout tokens: background, text, then one group per object, in `order` (occupied slots in the order the
    prompt mentions their objects, so the k-th group answers the k-th noun) or else in slot order. A group opens
    with its slot, so every attribute after it knows where it is: an edit copies "the colour of the thing in slot
    5" from its input plan, where a colour alone would be ambiguous."""
    v = VOCAB
    out = [v["BGK"], v[f"COL_{lay.background}"]]
    if lay.text is not None:
        out += [v["SIGN"], v[f"COL_{lay.text.sign}"]] if lay.text.sign else [v["NOSIGN"]]
        start = (9 - len(lay.text.word)) // 2
        out += [v[f"L_{ch}@{start + j}"] for j, ch in enumerate(lay.text.word)]
    entities = dict(lay.entities())
    slots = [k for k in (order or ()) if k in entities]
    slots += [k for k in entities if k not in slots]
    for k in slots:
        e = entities[k]
        out.append(v[f"SLOT_{k}"])
        if isinstance(e, Shape):
            out += [v[f"SHAPE_{e.shape}"], v[f"COL_{e.colour}"], v[f"SIZE_{e.size}"]]
        else:
            out += [v["PERSON"], v[f"COL_mst{e.skin}"], v[f"COL_{e.shirt}"], v[f"HAIR_{e.hair}"],
                    v[f"STYLE_{e.hair_style}"]]
    return out


def parse_plan(tokens: list[int]) -> Layout | None:
    """Inverse of `plan_tokens`; None for a malformed plan."""
    names = [ID2TOK.get(t, "?") for t in tokens]
    try:
        assert names[0] == "BGK"
        bg = names[1][4:]
        i = 2
        text = None
        if names[i] in ("SIGN", "NOSIGN"):
            sign = None
            if names[i] == "SIGN":
                sign = names[i + 1][4:]
                i += 1
            i += 1
            letters = []
            while i < len(names) and names[i].startswith("L_"):
                letters.append(names[i][2])
                i += 1
            text = Text("".join(letters), sign)
        cells: list[Entity | None] = [None] * 9
        while i < len(names):
            assert names[i].startswith("SLOT_")
            k = int(names[i][5:])
            i += 1
            if names[i] == "PERSON":
                skin = int(names[i + 1][7:])
                e: Entity = Person(skin, names[i + 2][4:], names[i + 3][5:], names[i + 4][6:])
                i += 5
            else:
                assert names[i].startswith("SHAPE_")
                e = Shape(names[i][6:], names[i + 1][4:], names[i + 2][5:])
                i += 3
            cells[k] = e
        return Layout(bg, tuple(cells), text)
    except (AssertionError, IndexError, ValueError, KeyError):
        return None


# ---------------------------------------------------------------- painting layout
# While the model paints, every input position also carries the plan tokens of the object in the slot it is about
# to paint (its "painting layout"): shape, colour and size, or person, skin, shirt, hair and style. The painter then
# reads "a heart, green, small" directly instead of finding the slot's plan group by attention, so a held-out pair
# (a green heart) is painted with the heart's mask: the mask no longer has to be recalled from the colour.
N_LAY = 5
NO_LAY: tuple[int, ...] = (0,) * N_LAY  # id 0 (PAD) is the embedding's zero row


def paint_layout(plan: list[int]) -> list[tuple[int, ...]]:
    """Per slot (9), the plan tokens of its object after the slot token, 0-padded to N_LAY; NO_LAY if empty."""
    out = [NO_LAY] * 9
    slot: int | None = None
    group: list[int] = []
    for t in [*plan, -1]:
        name = ID2TOK.get(t, "")
        if name.startswith("SLOT_") or t == -1:
            if slot is not None:
                out[slot] = tuple((group + [0] * N_LAY)[:N_LAY])
            slot, group = (int(name[5:]) if t != -1 else None), []
        elif slot is not None:
            group.append(t)
    return out


def _group_len(first_attr: int) -> int:
    """Attribute tokens in a plan group after its slot token: person 5, shape 3."""
    return 5 if first_attr == VOCAB["PERSON"] else 3


def reference_layout(source_plan: list[int], partial: list[int]) -> tuple[int, ...]:
    """The layout fed with the last token of `partial` (an edit's output plan so far) about the *input* image:
    inside a group at slot k, the input's object at slot k (NO_LAY if that slot was empty); between groups nothing.
    Why: the session-5 model read inputs right but, writing the output plan, copied a token of the wrong object
    (the instruction's shape into another slot, the new colour onto two objects). With the input's object beside
    each output token, keeping it is a local copy and the model only has to decide what the instruction changes.
    Nothing between groups because a first version that named the input's *next* object there made removals copy
    the deleted object's attributes into the group after it (docs/generator.md)."""
    slot, n_attr, first = -1, 0, 0
    for t in partial:
        name = ID2TOK.get(t, "")
        if name.startswith("SLOT_"):
            slot, n_attr = int(name[5:]), 0
        elif slot >= 0:
            first = t if n_attr == 0 else first
            n_attr += 1
    if slot >= 0 and (n_attr == 0 or n_attr < _group_len(first)):
        return paint_layout(source_plan)[slot]
    return NO_LAY


# ---------------------------------------------------------------- task sequences
@dataclass
class Seq:
    """One training/inference document: main-or-patch token ids, features, loss flags and painting layouts."""

    ids: list[int]
    feats: list[tuple[int, int, int]]
    loss: list[bool]
    lay: list[tuple[int, ...]] = field(default_factory=list)

    def add(self, toks: list[int], loss: bool) -> None:
        for t in toks:
            self.ids.append(t)
            self.feats.append(tuple(_FEATS_MAIN[t]))  # type: ignore[arg-type]
            self.loss.append(loss)
            self.lay.append(NO_LAY)

    def add_text(self, text: str) -> None:
        """Prompt bytes (never in the loss) with their word features."""
        for t, f in text_tokens(text):
            self.ids.append(t)
            self.feats.append(f)
            self.loss.append(False)
            self.lay.append(NO_LAY)

    def add_image(self, patches: np.ndarray, loss: bool) -> None:
        for tok_id, feats in image_stream(patches):
            self.ids.append(tok_id)
            self.feats.append(feats)
            self.loss.append(loss)
            self.lay.append(NO_LAY)

    def add_painting(self, patches: np.ndarray, plan: list[int]) -> None:
        """The output image after PAINT (in the loss). Each position carries the painting layout of the slot of
        the token it predicts: PAINT that of slot 0, a slot's last token that of the next slot, the last none."""
        per_slot = paint_layout(plan)
        stream = image_stream(patches)
        self.lay[-1] = per_slot[stream[0][1][0] - F_SLOT]
        for j, (tok_id, feats) in enumerate(stream):
            self.ids.append(tok_id)
            self.feats.append(feats)
            self.loss.append(True)
            self.lay.append(per_slot[stream[j + 1][1][0] - F_SLOT] if j + 1 < len(stream) else NO_LAY)


def image_stream(patches: np.ndarray) -> list[tuple[int, tuple[int, int, int]]]:
    """(81, 2) patch tokens -> sequence tokens with their features (slot tokens + patch tokens)."""
    out: list[tuple[int, tuple[int, int, int]]] = []
    nm = n_masks()
    for s in range(9):
        block = patches[9 * s:9 * s + 9]
        c = int(block[0, 0]) // NP
        if (block[:, 1] == 0).all() and (block[:, 0] == c * NP + c).all():
            out.append((VOCAB[f"USLOT_{PALETTE_NAMES[c]}"], (F_SLOT + s, 0, 0)))
            continue
        out.append((VOCAB["PSLOT"], (F_SLOT + s, 0, 0)))
        for u in range(9):
            i = 9 * s + u
            f = PATCH_FEATS[i]
            out.append((V_MAIN + int(patches[i, 0]) * nm + int(patches[i, 1]), (int(f[0]), int(f[1]), int(f[2]))))
    return out


def stream_to_patches(ids: list[int]) -> np.ndarray:
    """Inverse of `image_stream` (ids only); a malformed stream is completed with background-free zeros."""
    nm = n_masks()
    out = np.zeros((NPATCH, 2), dtype=np.int64)
    s, k = 0, 0
    while s < 9 and k < len(ids):
        t = ids[k]
        name = ID2TOK.get(t, "")
        if name.startswith("USLOT_"):
            c = PALETTE_NAMES.index(name[6:])
            out[9 * s:9 * s + 9] = (c * NP + c, 0)
            k += 1
        else:
            k += 1 if name == "PSLOT" else 0
            for u in range(9):
                if k < len(ids) and ids[k] >= V_MAIN:
                    out[9 * s + u] = divmod(ids[k] - V_MAIN, nm)
                    k += 1
        s += 1
    return out


def text_bytes(s: str) -> list[int]:
    return [t for t, _ in text_tokens(s)]


_WORD_RE = re.compile(r"[A-Za-z0-9'-]+")


def text_tokens(s: str) -> list[tuple[int, tuple[int, int, int]]]:
    """Byte tokens of a prompt (ASCII, at most 200) with (word, letter, text column) features."""
    s = s.encode("ascii", "replace").decode("ascii")[:200]
    feats = [(0, 0, 0)] * len(s)
    for m in _WORD_RE.finditer(s):
        w = m.group(0)
        if w.isalpha() and w.isupper() and 3 <= len(w) <= 6:
            start = (9 - len(w)) // 2
            for i, ch in enumerate(w):
                feats[m.start() + i] = (F_UPPER, F_LETTER + LETTERS.index(ch), F_TCOL + start + i)
        else:
            wid = _WORD_ID.get(w.lower())
            if wid is not None:
                for i in range(len(w)):
                    feats[m.start() + i] = (F_WORD + wid, 0, 0)
    return [(BYTE0 + ord(ch), f) for ch, f in zip(s, feats, strict=True)]


@lru_cache(maxsize=20000)
def _slot_tokens(e: Entity | None, bg: str) -> bytes:
    return encode_image(render(Layout(bg, (e,) + (None,) * 8)))[:9].tobytes()


@lru_cache(maxsize=4096)
def _text_row_tokens(t: Text, bg: str) -> bytes:
    return encode_image(render(Layout(bg, text=t)))[27:54].tobytes()


def layout_tokens(lay: Layout) -> np.ndarray:
    """Patch tokens of a rendered layout, assembled from per-slot memos (each patch lies inside one slot, so this
    equals `encode_image(render(lay))`; a unit test checks it). Keeps data generation cheap during training."""
    parts = []
    for s in range(9):
        if lay.text is not None and s == 3:
            parts.append(_text_row_tokens(lay.text, lay.background))
        elif lay.text is None or s not in (3, 4, 5):
            parts.append(_slot_tokens(lay.slots[s], lay.background))
    return np.frombuffer(b"".join(parts), dtype=np.int64).reshape(NPATCH, 2)


def t2i_seq(prompt: str, lay: Layout | None, order: tuple[int, ...] | None = None) -> Seq:
    v = VOCAB
    s = Seq([], [], [])
    s.add([v["BOS"], v["T2I"]], False)
    s.add_text(prompt)
    s.add([v["PLAN"]], False)
    if lay is not None:
        plan = plan_tokens(lay, order)
        s.add([*plan, v["PLAN_END"], v["PAINT"]], True)
        s.add_painting(layout_tokens(lay), plan)
        s.add([v["EOS"]], True)
    return s


def _input_image(s: Seq, patches: np.ndarray, lay: Layout | None) -> None:
    v = VOCAB
    s.add([v["IMG"]], False)
    s.add_image(patches, False)
    s.add([v["PLAN"]], False)
    if lay is not None:
        s.add([*plan_tokens(lay), v["PLAN_END"]], True)


def caption_seq(patches: np.ndarray, lay: Layout | None) -> Seq:
    v = VOCAB
    s = Seq([], [], [])
    s.add([v["BOS"], v["CAPTION"]], False)
    _input_image(s, patches, lay)
    return s


def edit_seq(inputs: list[np.ndarray], instruction: str, sources: list[Layout] | None, target: Layout | None,
             stop_after_inputs: int | None = None, reference: bool = False) -> Seq:
    """Edit (one input) or composition (two inputs). With `sources`/`target` None, it is an inference prefix.
    `reference`: an edit's output plan positions carry the input's objects (`reference_layout`)."""
    v = VOCAB
    s = Seq([], [], [])
    s.add([v["BOS"], v["EDIT" if len(inputs) == 1 else "COMPOSE"]], False)
    for k, patches in enumerate(inputs):
        _input_image(s, patches, sources[k] if sources else None)
        if sources is None:
            return s
    s.add([v["INSTR"]], False)
    s.add_text(instruction)
    s.add([v["PLAN"]], False)
    if target is not None:
        plan = plan_tokens(target)
        start = len(s.ids)
        s.add([*plan, v["PLAN_END"], v["PAINT"]], True)
        if reference and sources is not None and len(sources) == 1:
            source_plan = plan_tokens(sources[0])
            for i in range(len(plan)):
                s.lay[start + i] = reference_layout(source_plan, plan[:i + 1])
        s.add_painting(layout_tokens(target), plan)
        s.add([v["EOS"]], True)
    return s
