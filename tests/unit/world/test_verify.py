from __future__ import annotations

import io
import random

import numpy as np
from PIL import Image

from limner.world.grammar import TAGS, parse_prompt, render_prompt, sample_layout, sample_spec
from limner.world.render import render, upscale
from limner.world.spec import MONK_GROUPS, Layout, Person, Shape, Text
from limner.world.verify import check, extract_people, read_scene, verify


def _scenes(n: int, split: str, seed: int = 0):
    rng = random.Random(seed)
    for i in range(n):
        spec = sample_spec(rng, TAGS[i % len(TAGS)], split)
        lay = sample_layout(spec, rng, split)
        if lay is not None:
            yield rng, spec, lay


def test_verifier_accepts_ground_truth_renders() -> None:
    results = [verify(spec, render(lay)).ok for _, spec, lay in _scenes(120, "test")]
    assert len(results) > 100 and np.mean(results) == 1.0


def test_verifier_rejects_mismatched_pairs() -> None:
    rng = random.Random(5)
    passes = []
    for _, spec, lay in _scenes(120, "test", seed=1):
        other = sample_spec(rng, rng.choice(TAGS), "test")
        if other != spec:
            passes.append(check(other, read_scene(render(lay))).ok)
    assert np.mean(passes) < 0.08


def test_read_scene_recovers_layout_exactly_after_png_upscale() -> None:
    for _, _, lay in _scenes(40, "train", seed=2):
        buf = io.BytesIO()
        Image.fromarray(upscale(render(lay), 256)).save(buf, format="PNG")
        assert read_scene(buf.getvalue()).as_layout() == lay


def test_extract_people_reads_skin_tone_and_clothes() -> None:
    people = [Person(t, "green", "brown", "long" if t % 2 else "short") for t in range(1, 10)]
    lay = Layout("white", tuple(people))
    got = extract_people(render(lay))
    assert [p.skin_tone for p in got] == list(range(1, 10))
    assert {p.shirt for p in got} == {"green"} and got[0].skin_group == MONK_GROUPS[1]
    assert [p.hair_style for p in got] == [p.hair_style for p in people]


def test_text_is_read_by_template_match() -> None:
    lay = Layout("gray", (Shape("star", "red", "small"),) + (None,) * 8, Text("QUIZ", "yellow"))
    scene = read_scene(render(lay))
    assert scene.text == Text("QUIZ", "yellow")


def test_parse_prompt_round_trips_the_grammar() -> None:
    rng = random.Random(3)
    for _, spec, lay in _scenes(120, "train", seed=3):
        prompt = render_prompt(spec, rng)
        parsed = parse_prompt(prompt)
        assert parsed is not None, prompt
        assert check(parsed, read_scene(render(lay))).ok, prompt


def test_parse_prompt_rejects_text_outside_the_grammar() -> None:
    assert parse_prompt("a photorealistic portrait of a cat in the rain") is None
