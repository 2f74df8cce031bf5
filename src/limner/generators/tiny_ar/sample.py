"""Generator stage (tiny_ar): sampling. Runs a batch of "programs" (forced token segments, free plan segments and
free image segments) through the model with a KV cache, temperature/top-k sampling, grammar masks and optional
classifier-free guidance. Deterministic for a given seed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch

from limner.generators.tiny_ar import tokenizer as tok
from limner.generators.tiny_ar.model import GPT, KVCache

Feat = tuple[int, int, int]
MAX_PLAN = 48


@dataclass
class Program:
    """Segments: ("force", [(id, feats), ...]), ("plan", None) or ("image", None)."""

    segments: list[tuple[str, list[tuple[int, Feat]] | None]]
    plans: list[list[int]] = field(default_factory=list)  # filled by sampling
    image: list[int] = field(default_factory=list)

    def patches(self) -> np.ndarray:
        return tok.stream_to_patches(self.image)


def forced(ids: list[int], feats: list[Feat] | None = None) -> tuple[str, list[tuple[int, Feat]]]:
    return ("force", [(t, feats[i] if feats else tuple(int(x) for x in tok._FEATS_MAIN[t]))  # type: ignore[misc]
                      for i, t in enumerate(ids)])


def seq_segment(s: tok.Seq) -> tuple[str, list[tuple[int, Feat]]]:
    return ("force", list(zip(s.ids, s.feats, strict=True)))


@dataclass
class _State:
    seg: int = 0
    k: int = 0  # index inside a forced segment
    slot: int = 0  # image phase: current slot
    sub: int = -1  # image phase: -1 = at the slot token, 0..8 = patch inside the slot
    done: bool = False
    n_plan: int = 0


def _mask_logits(logits: torch.Tensor, allowed: np.ndarray) -> torch.Tensor:
    out = torch.full_like(logits, float("-inf"))
    idx = torch.as_tensor(allowed)
    out[idx] = logits[idx]
    return out


def _pick(logits: torch.Tensor, temperature: float, top_k: int, gen: torch.Generator) -> int:
    if temperature <= 0:
        return int(logits.argmax())
    logits = logits / temperature
    if top_k > 0 and top_k < logits.numel():
        v = torch.topk(logits, top_k).values[-1]
        logits = logits.masked_fill(logits < v, float("-inf"))
    probs = torch.softmax(logits.float(), -1)
    return int(torch.multinomial(probs, 1, generator=gen))


PLAN_ALLOWED = np.concatenate([tok.PLAN_IDS, [tok.VOCAB["PLAN_END"]]])


@torch.no_grad()
def run(model: GPT, programs: list[Program], seed: int = 0, temperature: float = 1.0, top_k: int = 0,
        image_temperature: float = 0.3, cfg_scale: float = 1.0, uncond: list[Program] | None = None,
        use_cache: bool = True) -> list[Program]:
    """Sample every program in one batch. `uncond` (same length) enables classifier-free guidance: its rows must
    differ from `programs` only in the first forced segment (the prompt)."""
    gen = torch.Generator().manual_seed(seed)
    rows = programs + (uncond or [])
    B, n = len(rows), len(programs)
    cfgm = model.cfg
    prefixes = [r.segments[0][1] or [] for r in rows]
    lens = [len(p) for p in prefixes]
    t_max = max(lens) + 2 * MAX_PLAN + 9 * 10 + 300
    ids = torch.zeros(B, t_max, dtype=torch.long)
    feats = torch.zeros(B, t_max, 3, dtype=torch.long)
    pos = torch.zeros(B, t_max, dtype=torch.long)
    valid = torch.zeros(B, t_max, dtype=torch.bool)
    L = max(lens)
    for b, p in enumerate(prefixes):
        off = L - len(p)  # left padding so every row's latest token sits at the same column
        for j, (t, f) in enumerate(p):
            ids[b, off + j] = t
            feats[b, off + j] = torch.tensor(f)
            pos[b, off + j] = j
            valid[b, off + j] = True
    next_pos = torch.tensor(lens)
    states = [_State(seg=1) for _ in rows]
    cache = KVCache(cfgm, B, t_max, ids.device, next(model.parameters()).dtype) if use_cache else None

    def attn_mask(t0: int, t1: int) -> torch.Tensor:
        if t1 - t0 == 1:  # one new query: it sees every valid key and itself (cheap path for decoding)
            m1 = valid[:, :t1].clone()
            m1[:, t0] = True
            return m1[:, None, None, :]
        causal = torch.ones(t1 - t0, t1, dtype=torch.bool).tril(diagonal=t0)
        m = causal.unsqueeze(0) & valid[:, None, :t1]
        m |= torch.eye(t1, dtype=torch.bool)[t0:t1].unsqueeze(0)  # padding rows attend to themselves
        return m.unsqueeze(1)

    h = model.hidden(ids[:, :L], feats[:, :L], pos[:, :L], attn_mask(0, L), cache)[:, -1]
    t = L
    while not all(s.done for s in states[:n]) and t < t_max:
        new = torch.zeros(B, dtype=torch.long)
        new_f = torch.zeros(B, 3, dtype=torch.long)
        for b in range(n):
            s = states[b]
            tok_id, f = _next(model, rows[b], s, h, b, (b + n) if uncond else None, gen, temperature, top_k,
                              image_temperature, cfg_scale)
            new[b], new_f[b] = tok_id, torch.tensor(f)
            if uncond:
                new[b + n], new_f[b + n] = tok_id, torch.tensor(f)
        ids[:, t], feats[:, t] = new, new_f
        pos[:, t] = next_pos
        live = torch.tensor([not s.done for s in states[:n]] * (2 if uncond else 1))
        valid[:, t] = live
        next_pos += 1
        if cache is not None:
            h = model.hidden(ids[:, t:t + 1], feats[:, t:t + 1], pos[:, t:t + 1], attn_mask(t, t + 1), cache)[:, -1]
        else:
            h = model.hidden(ids[:, :t + 1], feats[:, :t + 1], pos[:, :t + 1], attn_mask(0, t + 1))[:, -1]
        t += 1
    return programs


def _next(model: GPT, prog: Program, s: _State, h: torch.Tensor, b: int, bu: int | None, gen: torch.Generator,
          temperature: float, top_k: int, image_temperature: float, cfg_scale: float) -> tuple[int, Feat]:
    """Choose row b's next token from its program state and the hidden state after its last token."""
    if s.done:
        return tok.VOCAB["PAD"], (0, 0, 0)
    while s.seg < len(prog.segments):
        kind, items = prog.segments[s.seg]
        if kind == "force":
            assert items is not None
            if s.k < len(items):
                s.k += 1
                return items[s.k - 1]
            s.seg, s.k = s.seg + 1, 0
            continue
        break
    else:
        s.done = True
        return tok.VOCAB["PAD"], (0, 0, 0)

    def guided(head: torch.nn.Module | None, logits_fn: object = None) -> torch.Tensor:
        fn = logits_fn if logits_fn is not None else head
        lc = fn(h[b])  # type: ignore[operator]
        if bu is None or cfg_scale == 1.0:
            return lc
        lu = fn(h[bu])  # type: ignore[operator]
        return lu + cfg_scale * (lc - lu)

    kind = prog.segments[s.seg][0]
    if kind == "plan":
        if s.n_plan == 0:
            prog.plans.append([])
        logits = _mask_logits(guided(model.lm_head).float(), PLAN_ALLOWED)
        t = _pick(logits, temperature, top_k, gen) if s.n_plan < MAX_PLAN else tok.VOCAB["PLAN_END"]
        s.n_plan += 1
        if t == tok.VOCAB["PLAN_END"]:
            s.seg, s.n_plan = s.seg + 1, 0
        else:
            prog.plans[-1].append(t)
        return t, tuple(int(x) for x in tok._FEATS_MAIN[t])  # type: ignore[return-value]
    # image phase
    if s.sub == -1:
        logits = _mask_logits(guided(model.lm_head).float(), tok.SLOT_IDS)
        t = _pick(logits, image_temperature, top_k, gen)
        prog.image.append(t)
        f: Feat = (tok.F_SLOT + s.slot, 0, 0)
        if t == tok.VOCAB["PSLOT"]:
            s.sub = 0
        else:
            _advance_slot(s)
        return t, f
    col = _pick(guided(model.col_head).float(), image_temperature, top_k, gen)
    pair = torch.tensor(col)
    mk = _pick(guided(None, lambda x: model.mask_logits(x, pair)).float(), image_temperature, top_k, gen)
    i = 9 * s.slot + s.sub
    t = tok.V_MAIN + col * model.cfg.n_mask + mk
    prog.image.append(t)
    pf = tok.PATCH_FEATS[i]
    s.sub += 1
    if s.sub == 9:
        s.sub = -1
        _advance_slot(s)
    return t, (int(pf[0]), int(pf[1]), int(pf[2]))


def _advance_slot(s: _State) -> None:
    s.slot += 1
    if s.slot == 9:
        s.seg += 1
        s.slot, s.sub = 0, -1


def t2i_program(prompt: str) -> Program:
    v = tok.VOCAB
    s = tok.t2i_seq(prompt, None)
    return Program([seq_segment(s), ("plan", None), forced([v["PAINT"]]), ("image", None), forced([v["EOS"]])])


def edit_program(inputs: list[np.ndarray], instruction: str) -> Program:
    """Edit (one input) or composition (two): the model reads each input into a plan, then plans and paints."""
    v = tok.VOCAB
    first = tok.edit_seq(inputs[:1], instruction, None, None)
    segs: list[tuple[str, list[tuple[int, Feat]] | None]] = [seq_segment(first), ("plan", None)]
    for patches in inputs[1:]:
        s = tok.Seq([], [], [])
        s.add([v["IMG"]], False)
        s.add_image(patches, False)
        s.add([v["PLAN"]], False)
        segs += [seq_segment(s), ("plan", None)]
    s = tok.Seq([], [], [])
    s.add([v["INSTR"]], False)
    s.add_text(instruction)
    s.add([v["PLAN"]], False)
    segs += [seq_segment(s), ("plan", None), forced([v["PAINT"]]), ("image", None), forced([v["EOS"]])]
    return Program(segs)


def caption_program(patches: np.ndarray) -> Program:
    return Program([seq_segment(tok.caption_seq(patches, None)), ("plan", None)])
