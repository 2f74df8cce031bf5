"""World stage: the vocabulary and value objects of the procedural world.

A `Layout` is one concrete scene (what gets rendered): a background, nine slots on a 3x3 grid each holding nothing,
a shape or a person, and an optional line of text. A `SceneSpec` is what a prompt asks for (a set of constraints that
many layouts satisfy). The verifier checks a layout read from pixels against a spec.
"""

from __future__ import annotations

from dataclasses import dataclass, field

NATIVE = 72  # native resolution in pixels: 9x9 patches of 8 px, 3x3 slots of 24 px
PATCH = 8
GRID = NATIVE // PATCH  # 9 patches per side
SLOT = 24
TEXT_ROW = 4  # patch row that holds letters (the middle row of the middle slot row)

COLOURS: dict[str, tuple[int, int, int]] = {
    "red": (220, 30, 30),
    "orange": (250, 140, 0),
    "yellow": (250, 220, 20),
    "green": (30, 160, 60),
    "blue": (30, 80, 230),
    "purple": (130, 40, 190),
    "pink": (250, 120, 200),
    "brown": (120, 60, 15),
    "black": (0, 0, 0),
    "white": (255, 255, 255),
}
GRAY = (150, 150, 150)
MONK: tuple[tuple[int, int, int], ...] = tuple(
    (int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16))
    for h in ("f6ede4", "f3e7db", "f7ead0", "eadaba", "d7bd96", "a07e56", "825c43", "604134", "3a312a", "292420")
)
# Palette index order is part of the tokenizer contract: 10 named colours, gray, then Monk tones 1..10.
PALETTE_NAMES: tuple[str, ...] = (*COLOURS, "gray", *(f"mst{i}" for i in range(1, 11)))
PALETTE: tuple[tuple[int, int, int], ...] = (*COLOURS.values(), GRAY, *MONK)
COLOUR_NAMES: tuple[str, ...] = tuple(COLOURS)
BACKGROUNDS: tuple[str, ...] = ("white", "gray", "black", "blue", "green", "yellow")
SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "diamond", "star", "heart", "cross", "ring")
SIZES: tuple[str, ...] = ("small", "medium", "large")
SIZE_PX: dict[str, int] = {"small": 10, "medium": 16, "large": 22}
HAIR_COLOURS: dict[str, str] = {"black": "black", "brown": "brown", "blonde": "yellow", "red": "orange"}
HAIR_STYLES: tuple[str, ...] = ("short", "long")
SHIRT_COLOURS: tuple[str, ...] = tuple(c for c in COLOUR_NAMES if c not in ("white", "black"))
SIGN_COLOURS: tuple[str, ...] = ("white", "yellow", "gray", "blue", "red", "green")
POSITIONS: tuple[str, ...] = ("left", "right", "top", "bottom", "centre")
RELATIONS: tuple[str, ...] = ("left of", "right of", "above", "below")
MONK_GROUPS: dict[int, str] = {1: "light", 2: "light", 3: "light", 4: "medium", 5: "medium", 6: "medium",
                               7: "dark", 8: "dark", 9: "very dark", 10: "very dark"}

# Colour/shape pairs that never appear in training scenes: the benchmark asks for them to measure composition.
HELD_OUT_PAIRS: frozenset[tuple[str, str]] = frozenset(
    {("purple", "star"), ("green", "heart"), ("orange", "ring"), ("blue", "triangle"),
     ("pink", "square"), ("red", "diamond"), ("yellow", "cross"), ("brown", "circle")}
)


def slot_rc(slot: int) -> tuple[int, int]:
    """(row, col) of a slot on the 3x3 grid."""
    return divmod(slot, 3)


def slot_matches(slot: int, position: str) -> bool:
    row, col = slot_rc(slot)
    return {"left": col == 0, "right": col == 2, "top": row == 0, "bottom": row == 2,
            "centre": slot == 4}[position]


def relation_holds(a: int, rel: str, b: int) -> bool:
    (ra, ca), (rb, cb) = slot_rc(a), slot_rc(b)
    return {"left of": ca < cb, "right of": ca > cb, "above": ra < rb, "below": ra > rb}[rel]


@dataclass(frozen=True)
class Shape:
    shape: str
    colour: str
    size: str


@dataclass(frozen=True)
class Person:
    skin: int  # Monk Skin Tone 1..10
    shirt: str
    hair: str  # a key of HAIR_COLOURS
    hair_style: str


Entity = Shape | Person


@dataclass(frozen=True)
class Text:
    word: str  # 3-6 uppercase letters
    sign: str | None = None  # sign colour, or None when written on the background


@dataclass(frozen=True)
class Layout:
    """One concrete scene. Slots 3-5 are empty whenever there is text (the text row runs through them)."""

    background: str
    slots: tuple[Entity | None, ...] = (None,) * 9
    text: Text | None = None

    def entities(self) -> list[tuple[int, Entity]]:
        return [(i, e) for i, e in enumerate(self.slots) if e is not None]


@dataclass(frozen=True)
class ObjectSpec:
    """A requested shape (`shape` in SHAPES) or person (`shape == "person"`); None fields are unconstrained."""

    shape: str
    colour: str | None = None
    size: str | None = None
    count: int = 1
    position: str | None = None
    skin: int | None = None
    shirt: str | None = None
    hair: str | None = None
    hair_style: str | None = None

    def accepts(self, e: Entity) -> bool:
        if isinstance(e, Person):
            return (self.shape == "person" and self.skin in (None, e.skin) and self.shirt in (None, e.shirt)
                    and self.hair in (None, e.hair) and self.hair_style in (None, e.hair_style))
        return (self.shape == e.shape and self.colour in (None, e.colour) and self.size in (None, e.size))


@dataclass(frozen=True)
class Relation:
    a: int  # index into SceneSpec.objects
    rel: str
    b: int


@dataclass(frozen=True)
class SceneSpec:
    objects: tuple[ObjectSpec, ...] = ()
    relations: tuple[Relation, ...] = ()
    background: str | None = None
    text: Text | None = None
    tag: str = ""  # benchmark tag (single_object, two_objects, counting, colours, position, colour_attr, text, person)
    extra: dict[str, str] = field(default_factory=dict, compare=False, hash=False)
