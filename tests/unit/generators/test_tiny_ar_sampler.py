"""The fast inference path of tiny_ar: `GPT.infer*` against the training forward, the KV cache against full
recomputation in the sampler (padding, guidance, top-k, edits with forced runs), and the Gumbel-max sampler against
the softmax it should draw from."""

from __future__ import annotations

import random

import torch

from limner.generators.tiny_ar import sample as S
from limner.generators.tiny_ar import tokenizer as tok
from limner.generators.tiny_ar.model import KVCache
from limner.generators.tiny_ar.train import TrainConfig, build_model, make_batch
from limner.world.grammar import random_layout


def _micro() -> torch.nn.Module:
    torch.manual_seed(0)
    return build_model(TrainConfig(n_layer=2, n_embd=32, n_head=2)).eval()


def _batch(n: int = 40) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    b = make_batch(0, 0, 200)
    return b["ids"][:1, :n], b["feats"][:1, :n], b["pos"][:1, :n]


def test_infer_matches_hidden_with_cache_chunks_and_single_steps() -> None:
    m = _micro()
    ids, feats, pos = _batch()
    with torch.no_grad():
        full = m.hidden(ids, feats, pos, None)
        assert torch.allclose(m.infer(ids, feats, pos, None), full, atol=1e-5)
        cache = KVCache(m.cfg, 1, 64, ids.device, torch.float32)
        parts = [m.infer(ids[:, :25], feats[:, :25], pos[:, :25], None, cache),
                 m.infer(ids[:, 25:31], feats[:, 25:31], pos[:, 25:31], None, cache)]  # a chunk after a prefix
        parts += [m.infer(ids[:, t:t + 1], feats[:, t:t + 1], pos[:, t:t + 1], None, cache) for t in range(31, 40)]
    assert cache.len == 40
    assert torch.allclose(torch.cat(parts, 1), full, atol=1e-5)


def test_infer_follows_in_place_weight_updates() -> None:
    """Training updates parameters in place; the inference copies must not go stale."""
    m = _micro()
    ids, feats, pos = _batch(20)
    with torch.no_grad():
        before = m.infer(ids, feats, pos, None)
        m.blocks[0].mlp.c_fc.weight.add_(0.05)
        m.wte.weight.mul_(1.5)
        after = m.infer(ids, feats, pos, None)
        assert not torch.allclose(before, after, atol=1e-4)
        assert torch.allclose(after, m.hidden(ids, feats, pos, None), atol=1e-5)


def _programs() -> tuple[list[S.Program], list[S.Program]]:
    rng = random.Random(0)
    img = tok.layout_tokens(random_layout(rng))
    img2 = tok.layout_tokens(random_layout(rng))
    t2i = [S.t2i_program(p) for p in ("two red stars", "a blue circle on the left of a big green heart")]
    edits = [S.edit_program([img], "make the circle blue"), S.edit_program([img, img2], "put the star on the left")]
    return t2i, edits


def _tokens(progs: list[S.Program]) -> list[tuple[list[list[int]], list[int]]]:
    return [(p.plans, p.image) for p in progs]


def test_cache_and_full_recompute_give_the_same_tokens() -> None:
    """Rows of different lengths (left padding), guidance, top-k, and edits whose forced runs (a second input image,
    the instruction) are fed as one chunk."""
    m = _micro()
    settings = [dict(temperature=1.0, image_temperature=1.0), dict(temperature=1.0, top_k=5, cfg_scale=2.5),
                dict(temperature=0.0, image_temperature=0.0)]
    for kw in settings:
        runs = []
        for cache in (True, False, True):
            t2i, edits = _programs()
            uncond = [S.t2i_program("") for _ in t2i] if "cfg_scale" in kw else None
            S.run(m, t2i, seed=5, uncond=uncond, use_cache=cache, **kw)  # type: ignore[arg-type]
            S.run(m, edits, seed=6, use_cache=cache, **kw)  # type: ignore[arg-type]
            runs.append(_tokens(t2i) + _tokens(edits))
        assert runs[0] == runs[1] == runs[2], kw
        assert all(plans and len(image) >= 9 for plans, image in runs[0])
    a, _ = _programs()
    b, _ = _programs()
    S.run(m, a, seed=1, temperature=1.0, image_temperature=1.0)
    S.run(m, b, seed=2, temperature=1.0, image_temperature=1.0)
    assert _tokens(a) != _tokens(b)  # the seed matters


def test_gumbel_sampler_draws_from_the_softmax() -> None:
    logits = torch.tensor([1.0, 0.0, -1.0, float("-inf"), 0.5])
    n, temp = 40_000, 0.7
    noise = S._Gumbel(torch.Generator().manual_seed(0))
    draws = torch.cat([S._sample(logits.repeat(1000, 1), temp, 0, noise) for _ in range(n // 1000)])
    freq = torch.bincount(draws, minlength=5).float() / n
    want = torch.softmax(logits / temp, -1)
    assert freq[3] == 0  # grammar-masked token never drawn
    assert torch.allclose(freq, want, atol=0.01), (freq, want)
    top2 = torch.cat([S._sample(logits.repeat(1000, 1), temp, 2, noise) for _ in range(10)])
    assert set(top2.tolist()) == {0, 4}
    assert abs((top2 == 0).float().mean().item() - float(torch.softmax(logits[[0, 4]] / temp, -1)[0])) < 0.02
    assert S._sample(logits.repeat(3, 1), 0.0, 0, noise).tolist() == [0, 0, 0]  # greedy


def test_plan_grammar_accepts_every_training_plan_and_keeps_samples_parseable() -> None:
    rng = random.Random(5)
    for _ in range(40):
        lay = random_layout(rng)
        plan = tok.plan_tokens(lay)
        for i, t in enumerate(plan):
            assert t in S.plan_allowed(plan[:i]), (plan[:i], tok.ID2TOK[t])
        assert tok.VOCAB["PLAN_END"] in S.plan_allowed(plan)
    # an untrained model samples inside the grammar, so its plans always parse
    progs = [S.t2i_program("a red circle"), S.t2i_program("two blue stars")]
    S.run(_micro(), progs, seed=3, temperature=1.0)
    for p in progs:
        assert tok.parse_plan(p.plans[0]) is not None


def _assert_image_steps_are_argmax(m: torch.nn.Module, h: torch.Tensor, start: int, image: list[int]) -> None:
    """Every sampled image token (slot token, or colour pair then mask) is the argmax of the training forward's
    heads at the position before it (`start`: the sequence position of the first image token)."""
    for j, t in enumerate(image):
        hj = h[start + j - 1]
        if t < m.cfg.v_main:
            assert t == int(m.lm_head(hj)[tok.SLOT_IDS].argmax()) + int(tok.SLOT_IDS[0]), j
        else:
            pair, mk = divmod(t - m.cfg.v_main, m.cfg.n_mask)
            assert pair == int(m.col_head(hj).argmax()), j
            assert mk == int(m.mask_logits(hj[None], torch.tensor([pair]))[0].argmax()), j


def test_the_sampler_paints_with_the_layouts_training_sequences_carry() -> None:
    """Greedy sampling must pick, at every image step, the argmax of the training forward run on the same tokens
    with the painting layouts `Seq.add_painting` builds: the sampler and the training data agree on which slot's
    plan tokens each position carries."""
    m = _micro()
    assert m.cfg.n_lay == tok.N_LAY
    with torch.no_grad():  # make the layout matter more than an untrained model's noise would
        m.wlay.weight[1:].normal_(0.0, 1.0)
    prompt = "a big red star on the left and a small blue ring at the top right"
    prog = S.t2i_program(prompt)
    S.run(m, [prog], seed=0, temperature=0.0, image_temperature=0.0)
    plan = prog.plans[-1]
    patches = prog.patches()
    assert [t for t, _ in tok.image_stream(patches)] == prog.image  # the sampled stream is well formed
    assert any(lay != tok.NO_LAY for lay in tok.paint_layout(plan))
    seq = tok.t2i_seq(prompt, None)
    seq.add([*plan, tok.VOCAB["PLAN_END"], tok.VOCAB["PAINT"]], True)
    seq.add_painting(patches, plan)
    ids = torch.tensor([seq.ids])
    feats, lay = torch.tensor([seq.feats]), torch.tensor([seq.lay])
    pos = torch.arange(ids.shape[1])[None]
    span = torch.from_numpy(tok.prompt_span(ids.numpy()))
    T = ids.shape[1]
    mask = (torch.ones(T, T, dtype=torch.bool).tril() | (span[:, :, None] & span[:, None, :]))[:, None]
    with torch.no_grad():
        h = m.hidden(ids, feats, pos, mask, lay=lay)[0]
    start = len(seq.ids) - len(prog.image)
    _assert_image_steps_are_argmax(m, h, start, prog.image)


def test_an_edit_plan_reads_the_input_objects_as_training_sequences_carry_them() -> None:
    """The reference layouts (`tokenizer.reference_layout`): in training, each output-plan position of a one-input
    edit carries the input's object at its slot; the sampler must feed the same ones, built from the plan the model
    read the input into. Checked as for painting: every greedy output-plan and image step is the argmax of the
    training forward on a sequence built with those layouts."""
    torch.manual_seed(0)
    m = build_model(TrainConfig(n_layer=2, n_embd=32, n_head=2, edit_reference=True)).eval()
    assert m.cfg.edit_reference
    with torch.no_grad():
        m.wlay.weight[1:].normal_(0.0, 1.0)
    rng = random.Random(2)
    img = tok.layout_tokens(random_layout(rng))
    instr = "make the circle blue"
    prog = S.edit_program([img], instr)
    S.run(m, [prog], seed=0, temperature=0.0, image_temperature=0.0)
    source_plan, plan = prog.plans
    assert any(lay != tok.NO_LAY for lay in (tok.reference_layout(source_plan, plan[:i + 1])
                                            for i in range(len(plan))))
    v = tok.VOCAB
    seq = tok.edit_seq([img], instr, None, None)
    seq.add([*source_plan, v["PLAN_END"], v["INSTR"]], True)
    seq.add_text(instr)
    seq.add([v["PLAN"]], False)
    start = len(seq.ids)
    seq.add([*plan, v["PLAN_END"], v["PAINT"]], True)
    for i in range(len(plan)):
        seq.lay[start + i] = tok.reference_layout(source_plan, plan[:i + 1])
    seq.add_painting(prog.patches(), plan)
    ids, feats, lay = torch.tensor([seq.ids]), torch.tensor([seq.feats]), torch.tensor([seq.lay])
    with torch.no_grad():
        h = m.hidden(ids, feats, torch.arange(ids.shape[1])[None], None, lay=lay)[0]
        keys = m.pointer_keys(h)
    copy = torch.from_numpy(tok.copy_sources(ids.numpy(), feats.numpy()))[0]
    for i in range(1, min(len(plan) + 1, S.MAX_PLAN)):  # at MAX_PLAN the sampler forces PLAN_END
        p = start + i - 1  # the position that predicts plan[i] (or PLAN_END)
        with torch.no_grad():
            lp = m.plan_log_probs(h[p][None], keys[None, :p + 1], copy[None, :p + 1])[0]
        allowed = torch.tensor(sorted(S.plan_allowed(plan[:i])))
        want = plan[i] if i < len(plan) else v["PLAN_END"]
        assert want == int(allowed[lp[allowed].argmax()]), i
    _assert_image_steps_are_argmax(m, h, len(seq.ids) - len(prog.image), prog.image)
