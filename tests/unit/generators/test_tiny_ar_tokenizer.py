from __future__ import annotations

import random

import numpy as np

from limner.generators.tiny_ar import tokenizer as tok
from limner.world.grammar import random_layout
from limner.world.render import render
from limner.world.spec import Layout, Shape


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


def test_copy_sources_name_the_plan_tokens_prompt_words_and_letters_stand_for() -> None:
    s = tok.t2i_seq('two green hearts on a blue background and a sign reading "FOX"', None)
    ids, feats = np.array(s.ids), np.array(s.feats)
    copy = tok.copy_sources(ids, feats)
    named = [tok.ID2TOK[int(c)] for c in copy if c >= 0]
    # one entry per byte of each word, in prompt order
    assert sorted(set(named)) == sorted({"COL_green", "SHAPE_heart", "COL_blue", "L_F@3", "L_O@4", "L_X@5"})
    assert named.count("COL_green") == len("green")
    assert all(tok.copy_source(int(t), tuple(int(x) for x in f)) == int(c)  # type: ignore[arg-type]
               for t, f, c in zip(ids, feats, copy, strict=True))
    plan = tok.plan_tokens(Layout("white", (Shape("star", "red", "small"),) + (None,) * 8))
    assert (tok.copy_sources(np.array(plan), np.zeros((len(plan), 3), dtype=np.int64)) == plan).all()


def test_prompt_span_covers_the_text_to_image_prompt_only() -> None:
    s = tok.t2i_seq("a red circle", None)
    span = tok.prompt_span(np.array(s.ids))
    assert span.sum() == len("a red circle") and not span[:2].any() and not span[-1]
    e = tok.edit_seq([tok.layout_tokens(Layout("white"))], "make it red", [Layout("white")], Layout("red"))
    assert not tok.prompt_span(np.array(e.ids)).any()


def test_text_to_image_plans_follow_the_prompts_mention_order() -> None:
    from limner.world.grammar import parse_prompt, sample_layout_ordered

    spec = parse_prompt("a red heart above a blue star")
    assert spec is not None
    lay, order = sample_layout_ordered(spec, random.Random(4)) or (None, ())
    assert lay is not None
    names = [tok.ID2TOK[t] for t in tok.plan_tokens(lay, order)]
    assert [n for n in names if n.startswith("SHAPE_")] == ["SHAPE_heart", "SHAPE_star"]
    assert tok.parse_plan(tok.plan_tokens(lay, order)) == lay  # order changes the tokens, not the scene


def test_reference_layout_gives_the_input_object_inside_each_output_group_only() -> None:
    src = Layout("white", tuple(Shape("star", "red", "large") if k == 2 else
                                Shape("circle", "blue", "small") if k == 6 else None for k in range(9)))
    tgt = Layout("white", tuple(Shape("star", "green", "large") if k == 2 else
                                Shape("circle", "blue", "small") if k == 6 else None for k in range(9)))
    v = tok.VOCAB
    sp, plan = tok.plan_tokens(src), tok.plan_tokens(tgt)
    star = (v["SHAPE_star"], v["COL_red"], v["SIZE_large"], 0, 0)
    circle = (v["SHAPE_circle"], v["COL_blue"], v["SIZE_small"], 0, 0)
    want = [tok.NO_LAY, tok.NO_LAY,  # BGK, COL_white: between groups, nothing
            star, star, star,  # SLOT_2, SHAPE_star, COL_green: the input's object at slot 2
            tok.NO_LAY,  # SIZE_large closes the group
            circle, circle, circle, tok.NO_LAY]
    assert [tok.reference_layout(sp, plan[:i + 1]) for i in range(len(plan))] == want
    seq = tok.edit_seq([tok.layout_tokens(src)], "make the star green", [src], tgt, reference=True)
    start = seq.ids.index(v["PLAN"], seq.ids.index(v["INSTR"])) + 1
    assert seq.lay[start:start + len(plan)] == want
    assert seq.lay[start + len(plan)] == tok.NO_LAY  # PLAN_END
    plain = tok.edit_seq([tok.layout_tokens(src)], "make the star green", [src], tgt)
    assert all(lay == tok.NO_LAY for lay in plain.lay[:start + len(plan)])
