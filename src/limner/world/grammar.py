"""World stage: prompt grammar. Samples scene specs per benchmark tag, turns them into varied English prompts,
parses prompts back into specs, and samples concrete layouts that satisfy a spec.

`split="train"` never produces the held-out colour/shape pairs, shape pairs or words; `split="test"` forces them, so
benchmark prompts are compositions the model never saw.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, replace

from limner.world.spec import (
    BACKGROUNDS,
    COLOUR_NAMES,
    HAIR_COLOURS,
    HAIR_STYLES,
    HELD_OUT_PAIRS,
    POSITIONS,
    RELATIONS,
    SHAPES,
    SHIRT_COLOURS,
    SIGN_COLOURS,
    SIZES,
    Entity,
    Layout,
    ObjectSpec,
    Person,
    Relation,
    SceneSpec,
    Shape,
    Text,
    relation_holds,
    slot_matches,
)

WORDS: tuple[str, ...] = tuple(
    [
        "CAT", "DOG", "SUN", "SKY", "RED", "BOX", "CAR", "BUS", "MAP", "PEN", "CUP", "HAT", "KEY", "BED", "EGG",
        "FOX", "OWL", "BEE", "ANT", "RAT", "PIG", "COW", "HEN", "JAM", "TEA", "ICE", "FIG", "OAK", "ELM", "INK",
        "JOY", "ZEN", "ART", "OPEN", "SHOP", "STOP", "EXIT", "SALE", "CAFE", "BOOK", "FISH", "BIRD", "TREE", "STAR",
        "MOON", "RAIN", "SNOW", "WIND", "FIRE", "LAKE", "ROAD", "CITY", "HOME", "LOVE", "HOPE", "WORK", "PARK",
        "DOOR", "GATE", "BELL", "MILK", "BREAD", "APPLE", "LEMON", "MANGO", "PEACH", "HELLO", "WORLD", "HOUSE",
        "TRAIN", "PLANE", "RIVER", "OCEAN", "CLOUD", "STORM", "LIGHT", "NIGHT", "MUSIC", "DANCE", "SMILE", "HAPPY",
        "QUIET", "GARDEN", "CASTLE", "BRIDGE", "SCHOOL", "MARKET", "SILVER", "ORANGE", "PURPLE", "YELLOW", "WINTER",
        "SUMMER", "SPRING", "FOREST", "ISLAND", "ZEBRA", "QUIZ", "JUMP", "WAVE", "VOTE", "TAXI", "FROG", "KING",
        "QUEEN", "PIZZA", "JAZZ", "YOGA", "WOLF", "BEAR", "LION", "DUCK", "GOAT", "MOUSE", "HORSE",
    ]
)
HELD_OUT_WORDS: frozenset[str] = frozenset(
    [
        "FOX", "JAM", "OWL", "EXIT", "CAFE", "MOON", "LEMON", "CLOUD", "NIGHT", "BRIDGE", "FOREST", "QUIZ", "PIZZA",
        "WOLF", "HORSE",
    ])
HELD_OUT_SHAPE_PAIRS: frozenset[frozenset[str]] = frozenset(
    {frozenset(p) for p in (("circle", "star"), ("heart", "cross"), ("triangle", "ring"),
                            ("square", "diamond"))})
TAGS: tuple[str, ...] = ("single_object", "two_objects", "counting", "colours", "position", "colour_attr",
                         "text", "person")
NUM_WORDS = {1: ["a", "one"], 2: ["two", "2"], 3: ["three", "3"], 4: ["four", "4"]}
_NUM_PARSE = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "2": 2, "3": 3, "4": 4}
_POS_PHRASES = {"left": ["on the left", "at the left"], "right": ["on the right", "at the right"],
                "top": ["at the top", "on the top"], "bottom": ["at the bottom", "on the bottom"],
                "centre": ["in the centre", "in the center", "in the middle"]}
_REL_PHRASES = {"left of": ["to the left of", "left of"], "right of": ["to the right of", "right of"],
                "above": ["above", "over"], "below": ["below", "under"]}
_LEADS = ["", "", "a picture of ", "an image of ", "draw ", "generate ", "show ", "please draw ", "a drawing of "]


@dataclass(frozen=True)
class TextSpec:
    word: str
    on_sign: bool
    sign: str | None = None  # sign colour when the prompt names one


def _allowed(colour: str | None, shape: str, split: str) -> bool:
    if colour is None:
        return True
    held = (colour, shape) in HELD_OUT_PAIRS
    return not held if split == "train" else True


# ---------------------------------------------------------------- spec sampling
def _rand_obj(rng: random.Random, split: str, colour: bool | None = None, exclude: set[str] | None = None,
              shape: str | None = None) -> ObjectSpec:
    while True:
        s = shape or rng.choice([x for x in SHAPES if not exclude or x not in exclude])
        c = rng.choice(COLOUR_NAMES) if (colour if colour is not None else rng.random() < 0.7) else None
        if _allowed(c, s, split):
            break
    size = rng.choice(SIZES) if rng.random() < 0.3 else None
    return ObjectSpec(shape=s, colour=c, size=size)


def _held_obj(rng: random.Random, exclude: set[str] | None = None) -> ObjectSpec:
    pairs = sorted(p for p in HELD_OUT_PAIRS if not exclude or p[1] not in exclude)
    c, s = rng.choice(pairs)
    return ObjectSpec(shape=s, colour=c, size=rng.choice(SIZES) if rng.random() < 0.3 else None)


def _person(rng: random.Random) -> ObjectSpec:
    r = rng.random
    return ObjectSpec(shape="person", skin=rng.randint(1, 10) if r() < 0.5 else None,
                      shirt=rng.choice(SHIRT_COLOURS) if r() < 0.5 else None,
                      hair=rng.choice(list(HAIR_COLOURS)) if r() < 0.3 else None,
                      hair_style=rng.choice(HAIR_STYLES) if r() < 0.3 else None)


def _shape_pair_ok(a: str, b: str, split: str) -> bool:
    held = frozenset((a, b)) in HELD_OUT_SHAPE_PAIRS
    return (not held) if split == "train" else held


def sample_spec(rng: random.Random, tag: str, split: str = "train") -> SceneSpec:
    """A random spec for a benchmark tag; `split="test"` makes it a held-out composition."""
    test = split == "test"
    bg = rng.choice(BACKGROUNDS) if rng.random() < 0.3 else None
    if tag in ("single_object", "colours"):
        o = _held_obj(rng) if test else _rand_obj(rng, split, colour=True if tag == "colours" else None)
        if rng.random() < 0.4:
            o = replace(o, position=rng.choice(POSITIONS))
        objs: tuple[ObjectSpec, ...] = (o,)
        rels: tuple[Relation, ...] = ()
    elif tag in ("two_objects", "colour_attr", "position"):
        colour = True if tag == "colour_attr" else None
        n = 2 if (test or tag != "two_objects" or rng.random() < 0.6) else rng.choice([3, 4])
        while True:
            if test and tag == "colour_attr":
                a = _held_obj(rng)
                b = _held_obj(rng, exclude={a.shape})
            else:
                a = _rand_obj(rng, split, colour)
                b = _rand_obj(rng, split, colour, exclude={a.shape})
                if test:
                    s2 = next(iter(p - {a.shape} for p in HELD_OUT_SHAPE_PAIRS if a.shape in p), None)
                    if s2 is None:
                        continue
                    b = _rand_obj(rng, split, colour, shape=next(iter(s2)))
            if _shape_pair_ok(a.shape, b.shape, split) or (test and tag == "colour_attr"):
                break
        objs = (a, b)
        while len(objs) < n:
            o = _rand_obj(rng, split, colour, exclude={x.shape for x in objs})
            if all(_shape_pair_ok(o.shape, x.shape, "train") for x in objs):
                objs = (*objs, o)
        rels = (Relation(0, rng.choice(RELATIONS), 1),) if tag == "position" else ()
    elif tag == "counting":
        o = _held_obj(rng) if test else _rand_obj(rng, split)
        objs, rels = (replace(o, count=rng.randint(2, 4)),), ()
    elif tag == "text":
        pool = sorted(HELD_OUT_WORDS) if test else [w for w in WORDS if w not in HELD_OUT_WORDS]
        if not test and rng.random() < 0.5:
            word = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ") for _ in range(rng.randint(3, 6)))
        else:
            word = rng.choice(pool)
        on_sign = rng.random() < 0.6
        ts = TextSpec(word, on_sign, rng.choice(SIGN_COLOURS) if on_sign and rng.random() < 0.6 else None)
        objs = ()
        if rng.random() < 0.25:
            objs = (replace(_rand_obj(rng, split), position=rng.choice(["top", "bottom"])),)
        if bg in {o.colour for o in objs} | {ts.sign}:
            bg = None
        return SceneSpec(objects=objs, background=bg, tag=tag, extra={"text": _text_key(ts)})
    elif tag == "person":
        p = _person(rng)
        if rng.random() < 0.2:
            p = replace(p, count=2)
        if rng.random() < 0.3:
            o = _rand_obj(rng, split)
            objs, rels = (p, o), ((Relation(1, rng.choice(RELATIONS), 0),) if rng.random() < 0.5 else ())
            if p.count > 1:
                rels = ()
        else:
            objs, rels = (p,), ()
    else:
        raise ValueError(f"unknown tag {tag!r}")
    if bg in {o.colour for o in objs} | {o.shirt for o in objs}:
        bg = None  # an object never shares the background colour (it would be invisible)
    return SceneSpec(objects=objs, relations=rels, background=bg, tag=tag)


def _text_key(t: TextSpec) -> str:
    return f"{t.word}|{int(t.on_sign)}|{t.sign or ''}"


def text_spec(spec: SceneSpec) -> TextSpec | None:
    k = spec.extra.get("text")
    if not k:
        return None
    w, s, c = k.split("|")
    return TextSpec(w, s == "1", c or None)


def with_text(spec: SceneSpec, t: TextSpec | None) -> SceneSpec:
    extra = {k: v for k, v in spec.extra.items() if k != "text"}
    if t is not None:
        extra["text"] = _text_key(t)
    return replace(spec, extra=extra)


# ---------------------------------------------------------------- prompts
def _plural(shape: str) -> str:
    return {"cross": "crosses", "person": "people"}.get(shape, shape + "s")


def _np(o: ObjectSpec, rng: random.Random) -> str:
    if o.shape == "person":
        head = "a person" if o.count == 1 else f"{rng.choice(NUM_WORDS[o.count])} people"
        if o.count == 1 and rng.random() < 0.3:
            head = rng.choice(["someone", "a figure"])
        parts = [head]
        if o.skin is not None:
            parts.append(rng.choice([f"with skin tone {o.skin}", f"with monk skin tone {o.skin}",
                                     f"with mst-{o.skin} skin"]))
        if o.shirt is not None:
            parts.append(rng.choice([f"wearing a {o.shirt} shirt", f"in a {o.shirt} shirt"]))
        if o.hair is not None or o.hair_style is not None:
            parts.append("with " + " ".join(x for x in (o.hair_style, o.hair) if x) + " hair")
        s = " ".join(parts)
    else:
        words = [rng.choice(NUM_WORDS[o.count]) if o.count > 1 or rng.random() < 0.9 else "one"]
        if o.size:
            words.append(o.size if rng.random() < 0.8 else {"small": "tiny", "medium": "medium-sized",
                                                             "large": "big"}[o.size])
        if o.colour:
            words.append(o.colour)
        words.append(o.shape if o.count == 1 else _plural(o.shape))
        if words[0] == "a" and words[1][0] in "aeiou":
            words[0] = "an"
        s = " ".join(words)
    if o.position:
        s += " " + rng.choice(_POS_PHRASES[o.position])
    return s


def _text_phrase(t: TextSpec, rng: random.Random) -> str:
    w = rng.choice([t.word, f'"{t.word}"'])
    if t.on_sign:
        sign = f"{t.sign} sign" if t.sign else "sign"
        art = "an" if sign[0] in "aeiou" else "a"
        return rng.choice([f"{art} {sign} that says {w}", f"{art} {sign} reading {w}",
                           f"the word {w} on {art} {sign}", f"{art} {sign} with the word {w}"])
    return rng.choice([f"the word {w}", f"the text {w}", f"the word {w} written on the background",
                       f"{w} written in letters"])


def render_prompt(spec: SceneSpec, rng: random.Random) -> str:
    """One of many English phrasings of a spec."""
    t = text_spec(spec)
    nps = [_np(o, rng) for o in spec.objects]
    if spec.relations:
        r = spec.relations[0]
        body = f"{nps[r.a]} {rng.choice(_REL_PHRASES[r.rel])} {nps[r.b]}"
    elif len(nps) <= 2:
        body = " and ".join(nps)
    else:
        body = ", ".join(nps[:-1]) + " and " + nps[-1]
    if t is not None:
        body = _text_phrase(t, rng) + (" and " + body if body else "")
    s = rng.choice(_LEADS) + body
    if spec.background:
        s += rng.choice([f" on a {spec.background} background", f" against a {spec.background} background",
                         f", {spec.background} background"])
    return s


# ---------------------------------------------------------------- parsing
_POS_RE = re.compile(r"\b(?:on|at|in) the (left|right|top|bottom|centre|center|middle)\b")
_REL_RE = re.compile(r" (to the left of|left of|to the right of|right of|above|over|below|under) ")
_REL_NORM = {"to the left of": "left of", "left of": "left of", "to the right of": "right of",
             "right of": "right of", "above": "above", "over": "above", "below": "below", "under": "below"}
_BG_RE = re.compile(r"(?:,| on a| against a) (\w+) background\b")
_TEXT_RE = re.compile(r'"?\b([A-Z]{3,6})\b"?')


def _parse_np(s: str) -> ObjectSpec | None:
    s = s.strip().strip(",").strip()
    pos = None
    m = _POS_RE.search(s)
    if m:
        pos = {"center": "centre", "middle": "centre"}.get(m.group(1), m.group(1))
        s = (s[:m.start()] + s[m.end():]).strip()
    words = s.split()
    if not words:
        return None
    if any(w in ("person", "people", "someone", "figure") for w in words[:3]):
        count = _NUM_PARSE.get(words[0], 1) if words[0] != "a" else 1
        skin = re.search(r"(?:skin tone|mst-) ?(\d+)", s)
        shirt = re.search(r"(?:wearing|in) an? (\w+) shirt", s)
        hair = re.search(r"with ((?:short|long) )?(\w+ )?hair", s)
        style = colour = None
        if hair:
            style = hair.group(1).strip() if hair.group(1) else None
            colour = hair.group(2).strip() if hair.group(2) else None
            if colour in HAIR_STYLES:
                style, colour = colour, None
        if colour is not None and colour not in HAIR_COLOURS:
            return None
        return ObjectSpec(shape="person", count=count, position=pos, skin=int(skin.group(1)) if skin else None,
                          shirt=shirt.group(1) if shirt else None, hair=colour, hair_style=style)
    count = _NUM_PARSE.get(words[0])
    if count is None:
        return None
    size = colour = shape = None
    for w in words[1:]:
        w2 = {"tiny": "small", "big": "large", "medium-sized": "medium"}.get(w, w)
        if w2 in SIZES:
            size = w2
        elif w2 in COLOUR_NAMES:
            colour = w2
        elif w2 in SHAPES or (w2.endswith("es") and w2[:-2] in SHAPES) or (w2.endswith("s") and w2[:-1] in SHAPES):
            shape = w2 if w2 in SHAPES else (w2[:-2] if w2[:-2] in SHAPES else w2[:-1])
        else:
            return None
    if shape is None:
        return None
    return ObjectSpec(shape=shape, colour=colour, size=size, count=count, position=pos)


def parse_prompt(text: str) -> SceneSpec | None:
    """The spec a prompt of this grammar asks for, or None when the prompt is outside the grammar."""
    s = " " + text.strip() + " "
    bg = None
    m = _BG_RE.search(s)
    if m:
        bg = m.group(1)
        if bg not in COLOUR_NAMES and bg != "gray":
            return None
        s = s[:m.start()] + s[m.end():]
    s = s.strip()
    low = s.lower()
    for lead in sorted(_LEADS, key=len, reverse=True):
        if lead and low.startswith(lead):
            s = s[len(lead):]
            break
    ts = None
    parts = [p for p in re.split(r",? and |, ", s) if p.strip()]
    np_parts = []
    for p in parts:
        tm = _TEXT_RE.search(p)
        if tm:
            on_sign = "sign" in p
            cm = re.search(r"(\w+) sign", p)
            sign = cm.group(1) if cm and cm.group(1) in SIGN_COLOURS else None
            ts = TextSpec(tm.group(1), on_sign, sign)
        else:
            np_parts.append(p.lower())
    objs: list[ObjectSpec] = []
    rels: list[Relation] = []
    for p in np_parts:
        rm = _REL_RE.search(" " + p + " ")
        if rm:
            a = _parse_np((" " + p + " ")[:rm.start()])
            b = _parse_np((" " + p + " ")[rm.end():])
            if a is None or b is None:
                return None
            rels.append(Relation(len(objs), _REL_NORM[rm.group(1)], len(objs) + 1))
            objs += [a, b]
        else:
            o = _parse_np(p)
            if o is None:
                return None
            objs.append(o)
    if not objs and ts is None:
        return None
    return with_text(SceneSpec(objects=tuple(objs), relations=tuple(rels), background=bg), ts)


# ---------------------------------------------------------------- layouts
def _fill(o: ObjectSpec, rng: random.Random, bg: str, split: str) -> Entity:
    if o.shape == "person":
        for _ in range(100):
            hair = o.hair or rng.choice(list(HAIR_COLOURS))
            shirt = o.shirt or rng.choice(SHIRT_COLOURS)
            if HAIR_COLOURS[hair] != bg and shirt != bg:
                break
        return Person(skin=o.skin or rng.randint(1, 10), shirt=shirt, hair=hair,
                      hair_style=o.hair_style or rng.choice(HAIR_STYLES))
    for _ in range(100):
        c = o.colour or rng.choice(COLOUR_NAMES)
        if (c != bg and _allowed(c, o.shape, split)) or o.colour:
            break
    return Shape(o.shape, c, o.size or rng.choice(SIZES))


def sample_layout(spec: SceneSpec, rng: random.Random, split: str = "train") -> Layout | None:
    """A random layout satisfying the spec, or None if none was found (e.g. more objects than slots)."""
    found = sample_layout_ordered(spec, rng, split)
    return found[0] if found is not None else None


def sample_layout_ordered(spec: SceneSpec, rng: random.Random, split: str = "train"
                          ) -> tuple[Layout, tuple[int, ...]] | None:
    """`sample_layout` and the occupied slots in the order the prompt mentions their objects."""
    t = text_spec(spec)
    used = {o.colour for o in spec.objects if o.colour} | {o.shirt for o in spec.objects if o.shirt}
    used |= {HAIR_COLOURS[o.hair] for o in spec.objects if o.hair}
    if t and t.sign:
        used.add(t.sign)
    if spec.background:
        bg = spec.background
    else:
        choices = [b for b in BACKGROUNDS if b not in used]
        if not choices:
            return None
        bg = rng.choice(choices)
    text = None
    if t is not None:
        sign = t.sign or (rng.choice([c for c in SIGN_COLOURS if c != bg]) if t.on_sign else None)
        if sign == bg:
            return None
        text = Text(t.word, sign)
    free = [i for i in range(9) if text is None or i not in (3, 4, 5)]
    inst: list[tuple[int, ObjectSpec, Entity]] = []
    for k, o in enumerate(spec.objects):
        proto = _fill(o, rng, bg, split)
        for _ in range(o.count):
            e = proto if isinstance(proto, Shape) or o.count == 1 else _fill(o, rng, bg, split)
            inst.append((k, o, e))
    if len(inst) > len(free):
        return None
    for _ in range(200):
        slots = rng.sample(free, len(inst))
        ok = all(o.position is None or slot_matches(s, o.position) for s, (_, o, _) in zip(slots, inst, strict=True))
        if ok and spec.relations:
            first = {}
            for s, (k, _, _) in zip(slots, inst, strict=True):
                first.setdefault(k, s)
            ok = all(relation_holds(first[r.a], r.rel, first[r.b]) for r in spec.relations)
        if ok:
            cells: list[Entity | None] = [None] * 9
            for s, (_, _, e) in zip(slots, inst, strict=True):
                cells[s] = e
            # the prompt names a relation's two objects first (`render_prompt`), then the rest in spec order
            mention = [spec.relations[0].a, spec.relations[0].b] if spec.relations else []
            mention += [k for k in range(len(spec.objects)) if k not in mention]
            order = [s for k in mention for s, (j, _, _) in zip(slots, inst, strict=True) if j == k]
            return Layout(bg, tuple(cells), text), tuple(order)
    return None


def random_layout(rng: random.Random, split: str = "train") -> Layout:
    """An unconstrained training scene (1-4 entities, sometimes text): inputs for edits and captions."""
    while True:
        tag = rng.choice(TAGS)
        lay = sample_layout(sample_spec(rng, tag, split), rng, split)
        if lay is not None and layout_allowed(lay, split):
            return lay


def layout_allowed(lay: Layout, split: str) -> bool:
    """Training layouts contain no held-out colour/shape pair or shape pair."""
    if split != "train":
        return True
    shapes = [e for _, e in lay.entities() if isinstance(e, Shape)]
    if any((e.colour, e.shape) in HELD_OUT_PAIRS for e in shapes):
        return False
    kinds = {e.shape for e in shapes}
    return not any(p <= kinds for p in HELD_OUT_SHAPE_PAIRS)
