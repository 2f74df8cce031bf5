"""World stage: edit and composition tasks. Each task is a source layout (or two), an English instruction and a
check that decides from pixels whether the result did what was asked.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace

from limner.world.grammar import HELD_OUT_WORDS, WORDS, layout_allowed, random_layout
from limner.world.spec import (
    BACKGROUNDS,
    COLOUR_NAMES,
    HAIR_COLOURS,
    POSITIONS,
    RELATIONS,
    SHAPES,
    SHIRT_COLOURS,
    SIGN_COLOURS,
    SIZES,
    Entity,
    Layout,
    Person,
    Shape,
    Text,
    relation_holds,
    slot_matches,
)
from limner.world.verify import Scene

_POS_TXT = {"left": "on the left", "right": "on the right", "top": "at the top", "bottom": "at the bottom",
            "centre": "in the centre"}
_REL_TXT = {"left of": "to the left of", "right of": "to the right of", "above": "above", "below": "below"}


@dataclass(frozen=True)
class EditTask:
    kind: str
    sources: tuple[Layout, ...]
    instruction: str
    target: Layout  # one valid result (the training target)
    new_slot: int | None = None  # for add/compose: the slot whose content may vary in position
    position: str | None = None  # add: where the new entity must be
    relation: tuple[str, int] | None = None  # compose: (relation, anchor slot) the new entity must satisfy

    def succeeded(self, scene: Scene) -> bool:
        got = scene.as_layout()
        if got is None:
            return False
        if self.new_slot is None:
            return got == self.target
        want = self.target.slots[self.new_slot]
        if got.background != self.target.background or got.text != self.target.text:
            return False
        extra = [i for i in range(9) if got.slots[i] != self.target.slots[i]]
        # the added entity may sit in any slot that satisfies the instruction; everything else must be unchanged
        if len(extra) == 0:
            return True
        if len(extra) != 2 or self.new_slot not in extra:
            return False
        other = extra[0] if extra[1] == self.new_slot else extra[1]
        if got.slots[self.new_slot] is not None or got.slots[other] != want:
            return False
        if self.position is not None and not slot_matches(other, self.position):
            return False
        return self.relation is None or relation_holds(other, self.relation[0], self.relation[1])


def _unique_shapes(lay: Layout) -> list[tuple[int, Shape]]:
    shapes = [(i, e) for i, e in lay.entities() if isinstance(e, Shape)]
    kinds = [e.shape for _, e in shapes]
    return [(i, e) for i, e in shapes if kinds.count(e.shape) == 1]


def _colours_in(lay: Layout) -> set[str]:
    out: set[str] = set()
    for _, e in lay.entities():
        out |= {e.colour} if isinstance(e, Shape) else {e.shirt, HAIR_COLOURS[e.hair]}
    if lay.text and lay.text.sign:
        out.add(lay.text.sign)
    return out


def _set(lay: Layout, slot: int, e: Entity | None) -> Layout:
    cells = list(lay.slots)
    cells[slot] = e
    return replace(lay, slots=tuple(cells))


def sample_edit(rng: random.Random, split: str = "train", kind: str | None = None) -> EditTask | None:
    """A random edit of a random scene; None when the drawn scene does not admit the drawn edit kind."""
    src = random_layout(rng, split)
    kind = kind or rng.choice(["recolour", "recolour", "remove", "remove", "add", "add", "add_text",
                               "background", "shirt", "remove_text"])
    uniq = _unique_shapes(src)
    if kind == "recolour" and uniq:
        i, e = rng.choice(uniq)
        cols = [c for c in COLOUR_NAMES if c not in (e.colour, src.background)]
        c = rng.choice(cols)
        tgt = _set(src, i, replace(e, colour=c))
        ins = rng.choice([f"make the {e.shape} {c}", f"change the {e.shape} to {c}", f"colour the {e.shape} {c}",
                          f"turn the {e.shape} {c}", f"paint the {e.shape} {c}"])
    elif kind == "remove" and uniq:
        i, e = rng.choice(uniq)
        tgt = _set(src, i, None)
        ins = rng.choice([f"remove the {e.shape}", f"delete the {e.shape}", f"take away the {e.shape}",
                          f"erase the {e.shape}"])
    elif kind == "add":
        pos = rng.choice(POSITIONS)
        free = [i for i in range(9) if src.slots[i] is None and slot_matches(i, pos)
                and not (src.text and i in (3, 4, 5))]
        if not free:
            return None
        shape = rng.choice([s for s in SHAPES if s not in {e.shape for _, e in src.entities()
                                                            if isinstance(e, Shape)}])
        c = rng.choice([c for c in COLOUR_NAMES if c != src.background])
        e = Shape(shape, c, rng.choice(SIZES))
        slot = rng.choice(free)
        tgt = _set(src, slot, e)
        art = "an" if e.size[0] in "aeiou" else "a"
        what = f"{e.size} {c} {shape} {_POS_TXT[pos]}"
        ins = rng.choice([f"add {art} {what}", f"put {art} {what}", f"draw {art} {what}"])
        if not layout_allowed(tgt, split):
            return None
        return EditTask("add", (src,), ins, tgt, new_slot=slot, position=pos)
    elif kind == "add_text" and src.text is None and all(src.slots[i] is None for i in (3, 4, 5)):
        pool = sorted(HELD_OUT_WORDS) if split == "test" else [w for w in WORDS if w not in HELD_OUT_WORDS]
        w = rng.choice(pool)
        if rng.random() < 0.5:
            sign = rng.choice([c for c in SIGN_COLOURS if c != src.background])
            tgt = replace(src, text=Text(w, sign))
            ins = rng.choice([f"add a {sign} sign that says {w}", f"write {w} on a {sign} sign"])
        else:
            tgt = replace(src, text=Text(w, None))
            ins = rng.choice([f"add the word {w}", f"write the word {w}", f"add the text {w}"])
    elif kind == "remove_text" and src.text is not None:
        tgt = replace(src, text=None)
        ins = rng.choice(["remove the text", "erase the word",
                          "remove the sign" if src.text.sign else "delete the text"])
    elif kind == "background":
        used = _colours_in(src)
        cols = [c for c in BACKGROUNDS if c != src.background and c not in used]
        if not cols:
            return None
        c = rng.choice(cols)
        tgt = replace(src, background=c)
        ins = rng.choice([f"make the background {c}", f"change the background to {c}"])
    elif kind == "shirt":
        people = [(i, e) for i, e in src.entities() if isinstance(e, Person)]
        if len(people) != 1:
            return None
        i, p = people[0]
        c = rng.choice([c for c in SHIRT_COLOURS if c not in (p.shirt, src.background)])
        tgt = _set(src, i, replace(p, shirt=c))
        ins = rng.choice([f"make the person's shirt {c}", f"change the shirt to {c}", f"dress the person in {c}"])
    else:
        return None
    if not layout_allowed(tgt, split):
        return None
    return EditTask(kind, (src,), ins, tgt)


def sample_compose(rng: random.Random, split: str = "train") -> EditTask | None:
    """Two single-entity scenes and an instruction placing the first one's shape relative to the second's entity."""
    a_slot, b_slot = rng.randrange(9), rng.randrange(9)
    bg_a, bg_b = rng.choice(BACKGROUNDS), rng.choice(BACKGROUNDS)
    shape = rng.choice(SHAPES)
    cols = [c for c in COLOUR_NAMES if c not in (bg_a, bg_b)]
    c = rng.choice(cols)
    ea = Shape(shape, c, rng.choice(SIZES))
    if rng.random() < 0.6:
        hair = rng.choice([h for h, v in HAIR_COLOURS.items() if v != bg_b])
        eb: Entity = Person(rng.randint(1, 10), rng.choice([s for s in SHIRT_COLOURS if s != bg_b]), hair,
                            rng.choice(["short", "long"]))
        bname = "person"
    else:
        eb = Shape(rng.choice([s for s in SHAPES if s != shape]), rng.choice([x for x in COLOUR_NAMES if x != bg_b]),
                   rng.choice(SIZES))
        bname = eb.shape
    rel = rng.choice(RELATIONS)
    free = [i for i in range(9) if i != b_slot and relation_holds(i, rel, b_slot)]
    if not free:
        return None
    a = _set(Layout(bg_a), a_slot, ea)
    b = _set(Layout(bg_b), b_slot, eb)
    new = rng.choice(free)
    tgt = _set(b, new, ea)
    if not (layout_allowed(a, split) and layout_allowed(b, split) and layout_allowed(tgt, split)):
        return None
    ins = rng.choice([f"put the {shape} from the first image {_REL_TXT[rel]} the {bname} from the second",
                      f"place the {shape} from image 1 {_REL_TXT[rel]} the {bname} in image 2",
                      f"move the {shape} from the first picture {_REL_TXT[rel]} the {bname} from the second picture"])
    return EditTask("compose", (a, b), ins, tgt, new_slot=new, relation=(rel, b_slot))


