from __future__ import annotations

import random

import numpy as np

from limner.generators.tiny_ar import tokenizer as tok
from limner.world.grammar import random_layout
from limner.world.render import render


def test_image_tokens_round_trip_world_renders_exactly() -> None:
    rng = random.Random(0)
    for _ in range(40):
        lay = random_layout(rng, "test")
        img = render(lay)
        patches = tok.encode_image(img)
        assert np.array_equal(tok.decode_image(patches), img)
        assert np.array_equal(tok.layout_tokens(lay), patches)  # the training memo equals the pixel encoder
        stream = tok.image_stream(patches)
        assert np.array_equal(tok.stream_to_patches([t for t, _ in stream]), patches)


def test_off_grid_images_are_approximated() -> None:
    img = np.roll(render(random_layout(random.Random(1))), 3, axis=(0, 1))
    rec = tok.decode_image(tok.encode_image(img))
    mse = ((img.astype(float) - rec) ** 2).mean()
    assert mse == 0 or 10 * np.log10(255**2 / mse) > 15


def test_plan_tokens_round_trip() -> None:
    rng = random.Random(2)
    for _ in range(50):
        lay = random_layout(rng)
        assert tok.parse_plan(tok.plan_tokens(lay)) == lay
    assert tok.parse_plan([tok.VOCAB["SLOT_3"]]) is None


def test_sequences_mark_loss_only_on_outputs() -> None:
    lay = random_layout(random.Random(3))
    s = tok.t2i_seq("a red circle", lay)
    assert len(s.ids) == len(s.feats) == len(s.loss)
    n_prompt = len(tok.text_bytes("a red circle"))
    assert not any(s.loss[: 3 + n_prompt]) and all(s.loss[3 + n_prompt:])
    assert len(tok.tokenizer_hash()) == 16
