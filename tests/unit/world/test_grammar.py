from __future__ import annotations

import random

from limner.world.edits import sample_compose, sample_edit
from limner.world.grammar import HELD_OUT_SHAPE_PAIRS, TAGS, layout_allowed, random_layout, sample_spec
from limner.world.render import render
from limner.world.spec import HELD_OUT_PAIRS, Shape
from limner.world.verify import read_scene


def test_training_scenes_never_contain_held_out_compositions() -> None:
    rng = random.Random(0)
    for _ in range(300):
        lay = random_layout(rng, "train")
        shapes = [e for _, e in lay.entities() if isinstance(e, Shape)]
        assert not any((e.colour, e.shape) in HELD_OUT_PAIRS for e in shapes)
        assert not any(p <= {e.shape for e in shapes} for p in HELD_OUT_SHAPE_PAIRS)


def test_test_specs_are_held_out_compositions() -> None:
    rng = random.Random(1)
    for tag in ("single_object", "colours", "colour_attr", "counting"):
        spec = sample_spec(rng, tag, "test")
        assert any((o.colour, o.shape) in HELD_OUT_PAIRS for o in spec.objects)
    spec = sample_spec(rng, "position", "test")
    assert frozenset(o.shape for o in spec.objects) in HELD_OUT_SHAPE_PAIRS


def test_edit_targets_verify_and_sources_do_not() -> None:
    rng = random.Random(2)
    done = 0
    while done < 40:
        t = sample_edit(rng, "train") if done % 3 else sample_compose(rng, "train")
        if t is None:
            continue
        done += 1
        assert t.succeeded(read_scene(render(t.target))), t
        assert not t.succeeded(read_scene(render(t.sources[-1]))), t
        assert layout_allowed(t.target, "train")


def test_tags_cover_geneval_categories() -> None:
    assert {"single_object", "two_objects", "counting", "colours", "position", "colour_attr"} <= set(TAGS)
