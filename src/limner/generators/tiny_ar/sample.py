"""Generator stage (tiny_ar): sampling. Runs a batch of "programs" (forced token segments, free plan segments and
free image segments) through the model with a KV cache, temperature/top-k sampling, grammar masks and optional
classifier-free guidance. Deterministic for a given seed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch

from limner.generators.tiny_ar import tokenizer as tok
from limner.generators.tiny_ar.model import GPT, KVCache
from limner.world.spec import (
    BACKGROUNDS,
    COLOUR_NAMES,
    HAIR_COLOURS,
    HAIR_STYLES,
    SHAPES,
    SHIRT_COLOURS,
    SIGN_COLOURS,
    SIZES,
)

Feat = tuple[int, int, int]
MAX_PLAN = 48


@dataclass
class Program:
    """Segments: ("force", [(id, feats), ...]), ("plan", None) or ("image", None)."""

    segments: list[tuple[str, list[tuple[int, Feat]] | None]]
    plans: list[list[int]] = field(default_factory=list)  # filled by sampling
    image: list[int] = field(default_factory=list)
    paint_lay: list[tuple[int, ...]] = field(default_factory=list)  # the latest plan's painting layout, per slot
    single_edit: bool = False  # an edit of one input: its output plan may read the input plan (reference_layout)

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


_PAD, _PLAN_END, _PSLOT, _PAINT = tok.VOCAB["PAD"], tok.VOCAB["PLAN_END"], tok.VOCAB["PSLOT"], tok.VOCAB["PAINT"]
_NO_FEATS: Feat = (0, 0, 0)
# Python tuples once, not a numpy row -> tuple conversion per sampled token.
_FEATS_MAIN: list[Feat] = [(int(a), int(b), int(c)) for a, b, c in tok._FEATS_MAIN]
_PATCH_FEATS: list[Feat] = [(int(a), int(b), int(c)) for a, b, c in tok.PATCH_FEATS]
# What a row asks the model for at a step.
_ASK_PLAN, _ASK_SLOT, _ASK_PATCH = 1, 2, 3


def _ids(names: list[str]) -> frozenset[int]:
    return frozenset(tok.VOCAB[n] for n in names)


# The plan grammar (tokenizer.plan_tokens): what may follow, per state. Sampling inside it means a plan always
# parses, and the copy head cannot loop on one token.
_SLOTS = [tok.VOCAB[f"SLOT_{k}"] for k in range(9)]
_LETTER_IDS = frozenset(i for n, i in tok.VOCAB.items() if n.startswith("L_"))
_SIGN_IDS = _ids(["SIGN", "NOSIGN"])
_NEXT: dict[str, frozenset[int]] = {
    "start": _ids(["BGK"]),
    "bg": _ids([f"COL_{c}" for c in BACKGROUNDS]),
    "sign_col": _ids([f"COL_{c}" for c in SIGN_COLOURS]),
    "letters": _LETTER_IDS,
    "entity": _ids([*(f"SHAPE_{x}" for x in SHAPES), "PERSON"]),
    "shape_col": _ids([f"COL_{c}" for c in COLOUR_NAMES]),
    "size": _ids([f"SIZE_{z}" for z in SIZES]),
    "skin": _ids([f"COL_mst{i}" for i in range(1, 11)]),
    "shirt": _ids([f"COL_{c}" for c in SHIRT_COLOURS]),
    "hair": _ids([f"HAIR_{h}" for h in HAIR_COLOURS]),
    "style": _ids([f"STYLE_{h}" for h in HAIR_STYLES]),
}
_AFTER = {"start": "bg", "bg": "after_bg", "sign_col": "letters", "letters": "letters_more", "shape_col": "size",
          "size": "group_end", "skin": "shirt", "shirt": "hair", "hair": "style", "style": "group_end"}
MAX_LETTERS = 6


def plan_state(plan: list[int]) -> tuple[str, frozenset[int], bool, int]:
    """(state, slots used, has text, letters written) after a partial plan."""
    state, used, text, letters = "start", set(), False, 0
    for t in plan:
        name = tok.ID2TOK[t]
        if state in ("after_bg", "letters_more", "group_end") and name in ("SIGN", "NOSIGN"):
            state, text = ("sign_col" if name == "SIGN" else "letters"), True
        elif state in ("after_bg", "letters_more", "group_end") and name.startswith("SLOT_"):
            state = "entity"
            used.add(int(name[5:]))
        elif state in ("letters", "letters_more"):
            state = "letters_more"
            letters += 1
        elif state == "entity":
            state = "skin" if name == "PERSON" else "shape_col"
        else:
            state = _AFTER.get(state, state)
    return state, frozenset(used), text, letters


def plan_allowed(plan: list[int]) -> frozenset[int]:
    """Main token ids the grammar allows after a partial plan (PLAN_END included where a plan may end)."""
    state, used, text, letters = plan_state(plan)
    if state in _NEXT:
        return _NEXT[state]
    free = {s for k, s in enumerate(_SLOTS) if k not in used and not (text and k in (3, 4, 5))}
    out = free | {_PLAN_END}
    if state == "after_bg":
        out |= _SIGN_IDS
    if state == "letters_more" and letters < MAX_LETTERS:
        out |= _LETTER_IDS
    return frozenset(out)


def _grammar_bias(allowed: np.ndarray, v: int, dtype: torch.dtype) -> torch.Tensor:
    """Additive mask: 0 where the grammar allows a token, -inf elsewhere (built once per run, added per step)."""
    bias = torch.full((v,), float("-inf"), dtype=dtype)
    bias[torch.as_tensor(allowed)] = 0.0
    return bias


class _Gumbel:
    """Gumbel noise from the seeded generator, drawn in growing blocks and handed out row by row.

    Sampling is Gumbel-max: argmax(logits / T + g) is an exact draw from softmax(logits / T). Drawing the noise a
    block at a time makes a pick three small tensor ops, where `torch.multinomial` per row costs more than the
    whole decoding step (it seeds a fresh random stream each call). One pool per vocabulary width, so a pick takes
    a plain row slice. The order of draws depends only on the order of picks, so a seed gives the same tokens
    with or without the KV cache."""

    def __init__(self, gen: torch.Generator) -> None:
        self.gen = gen
        self.pools: dict[int, tuple[torch.Tensor, int, int]] = {}  # width -> (noise block, next row, next size)

    def take(self, k: int, v: int) -> torch.Tensor:
        buf, i, block = self.pools.get(v) or (torch.empty(0, v), 0, 16)
        if i + k > buf.shape[0]:
            u = torch.rand(max(block, k), v, generator=self.gen)
            buf, i, block = u.log_().neg_().log_().neg_(), 0, min(2 * block, 1024)  # -log(-log U); U = 0: -inf
        self.pools[v] = (buf, i + k, block)
        return buf[i:i + k]


def _sample(logits: torch.Tensor, temperature: float, top_k: int, noise: _Gumbel) -> torch.Tensor:
    """One token per row of `logits` (k, V), grammar already applied: greedy at temperature <= 0, else a draw from
    softmax(logits / temperature) restricted to the top k (k = 0: all)."""
    if temperature <= 0:
        return logits.argmax(-1)
    if 0 < top_k < logits.shape[-1]:
        kth = torch.topk(logits, top_k, dim=-1).values[:, -1:]
        logits = logits.masked_fill(logits < kth, float("-inf"))
    # argmax(x / T + g) == argmax(x + T * g) for T > 0: one fused op instead of a divide and an add (in place:
    # every caller hands over a fresh tensor)
    return logits.add_(noise.take(*logits.shape), alpha=temperature).argmax(-1)


def _fixed_next(prog: Program, s: _State) -> bool:
    """True when the row's next token needs no model output: a forced token, or padding after the end."""
    if s.done:
        return True
    seg, k = s.seg, s.k
    while seg < len(prog.segments):
        kind, items = prog.segments[seg]
        if kind != "force":
            return False
        if k < len(items or []):
            return True
        seg, k = seg + 1, 0
    return True


def _exhausted(prog: Program, s: _State) -> bool:
    """True when the program has no token left to emit (so the sampler need not feed its last token back)."""
    if s.done:
        return True
    seg, k = s.seg, s.k
    while seg < len(prog.segments):
        kind, items = prog.segments[seg]
        if kind != "force" or k < len(items or []):
            return False
        seg, k = seg + 1, 0
    return True


def _ask(prog: Program, s: _State) -> tuple[int, int, Feat]:
    """Row state machine, first half: (ask, token, feats). ask 0 = the token is decided without the model (forced,
    padding after the end, or PLAN_END at the plan length limit); else which head the row needs sampled."""
    if s.done:
        return 0, _PAD, _NO_FEATS
    while s.seg < len(prog.segments):
        kind, items = prog.segments[s.seg]
        if kind == "force":
            assert items is not None
            if s.k < len(items):
                s.k += 1
                t, f = items[s.k - 1]
                return 0, t, f
            s.seg, s.k = s.seg + 1, 0
            continue
        break
    else:
        s.done = True
        return 0, _PAD, _NO_FEATS
    if kind == "plan":
        if s.n_plan == 0:
            prog.plans.append([])
        if s.n_plan >= MAX_PLAN:
            _take_plan(prog, s, _PLAN_END)
            return 0, _PLAN_END, _FEATS_MAIN[_PLAN_END]
        return _ASK_PLAN, 0, _NO_FEATS
    return (_ASK_SLOT if s.sub == -1 else _ASK_PATCH), 0, _NO_FEATS


def _take_plan(prog: Program, s: _State, t: int) -> None:
    s.n_plan += 1
    if t == _PLAN_END:
        s.seg, s.n_plan = s.seg + 1, 0
        prog.paint_lay = tok.paint_layout(prog.plans[-1])
    else:
        prog.plans[-1].append(t)


def _lay_after(prog: Program, s: _State, t: int, reference: bool = False) -> tuple[int, ...]:
    """Layout fed with token t (already taken). Painting: that of the slot of the token it predicts (PAINT
    predicts slot 0; an image token, the slot the state now points at, while the image lasts). With `reference`
    (a model trained with it), a token of a one-input edit's output plan: the input's objects
    (`tokenizer.reference_layout`) as the model read them into its first plan."""
    if reference and prog.single_edit and s.n_plan > 0 and len(prog.plans) == 2:
        return tok.reference_layout(prog.plans[0], prog.plans[1])
    if not prog.paint_lay:
        return tok.NO_LAY
    if t == _PAINT:
        return prog.paint_lay[0]
    if not s.done and s.seg < len(prog.segments) and prog.segments[s.seg][0] == "image":
        return prog.paint_lay[s.slot]
    return tok.NO_LAY


def _take_slot(prog: Program, s: _State, t: int) -> Feat:
    prog.image.append(t)
    f: Feat = (tok.F_SLOT + s.slot, 0, 0)
    if t == _PSLOT:
        s.sub = 0
    else:
        _advance_slot(s)
    return f


def _take_patch(prog: Program, s: _State, t: int) -> Feat:
    prog.image.append(t)
    f = _PATCH_FEATS[9 * s.slot + s.sub]
    s.sub += 1
    if s.sub == 9:
        s.sub = -1
        _advance_slot(s)
    return f


def _rows(h: torch.Tensor, idx: list[int]) -> torch.Tensor:
    """h[idx] for ascending idx: h itself when that is every row, a view when idx is a contiguous run."""
    if len(idx) == h.shape[0]:
        return h
    if idx[-1] - idx[0] == len(idx) - 1:
        return h[idx[0]:idx[-1] + 1]
    return h[torch.tensor(idx)]


@torch.inference_mode()
def run(model: GPT, programs: list[Program], seed: int = 0, temperature: float = 1.0, top_k: int = 0,
        image_temperature: float = 0.3, cfg_scale: float = 1.0, uncond: list[Program] | None = None,
        use_cache: bool = True) -> list[Program]:
    """Sample every program in one batch. `uncond` (same length) enables classifier-free guidance: its rows must
    differ from `programs` only in the first forced segment (the prompt).

    With `use_cache=False` every step recomputes the whole sequence (the honest baseline for the cache); both
    paths run the same forward (`GPT.infer_embedded`), the same masks and the same draws from the seeded
    generator, so they give the same tokens."""
    gen = torch.Generator().manual_seed(seed)
    rows = programs + (uncond or [])
    B, n = len(rows), len(programs)
    guide = bool(uncond) and cfg_scale != 1.0
    cfgm = model.cfg
    dtype = next(model.parameters()).dtype
    prefixes = [r.segments[0][1] or [] for r in rows]
    lens = np.array([len(p) for p in prefixes], dtype=np.int64)
    L = int(lens.max())
    lens_l = lens.tolist()
    t_max = L + 2 * MAX_PLAN + 9 * 10 + 300
    # Each position's input is the sum of six (or, with a painting layout, more) rows of the model's stacked
    # embedding table (InferPack): the loop writes those row numbers element-wise into a numpy array (cheap),
    # which torch reads through shared memory, so feeding a token back costs one gather and one sum.
    pk = model.infer_pack()
    emb_rows = pk.emb_rows
    lay_on = pk.n_lay > 0
    reference = lay_on and cfgm.edit_reference
    idx_np = np.zeros((B, t_max, pk.n_rows), dtype=np.int64)
    idx_np[:] = emb_rows(_PAD, _NO_FEATS, 0)  # left padding: what GPT.embed() gives PAD at position 0
    valid_np = np.ones((B, t_max), dtype=bool)  # only left padding of the prompt is invalid
    # copy head: each position's copy token (-1: none) and pointer key; the prompt span attends both ways
    pointer = cfgm.pointer > 0
    copy_np = np.full((B, t_max), tok.NO_COPY, dtype=np.int64)
    span_np = np.zeros((B, L), dtype=bool)
    for b, p in enumerate(prefixes):
        off = L - len(p)  # left padding so every row's latest token sits at the same column
        valid_np[b, :off] = False
        if p:
            idx_np[b, off:L] = [emb_rows(t, f, j) for j, (t, f) in enumerate(p)]
            ids_p, feats_p = np.array([t for t, _ in p]), np.array([f for _, f in p]).reshape(len(p), 3)
            copy_np[b, off:L] = tok.copy_sources(ids_p, feats_p)
            if cfgm.prompt_bidi:
                span_np[b, off:L] = tok.prompt_span(ids_p)
    idx = torch.from_numpy(idx_np)
    copy_t = torch.from_numpy(copy_np)
    keys = torch.zeros(B, t_max, cfgm.pointer) if pointer else None
    span = torch.from_numpy(span_np) if span_np.any() else None

    def embed(t0: int, t1: int) -> torch.Tensor:
        return pk.embed(idx[:, t0:t1])

    cache = KVCache(cfgm, B, t_max, pk.table.device, dtype) if use_cache else None

    # Attention masks as additive float biases (SDPA would convert a bool mask in every layer). None when no row
    # is padded: then the plain causal kernel, and decoding one token needs no mask at all.
    pad_bias: torch.Tensor | None = None
    causal_bias: torch.Tensor | None = None
    if not valid_np[:, :L].all() or span is not None:
        pad_bias = torch.zeros(B, 1, 1, t_max, dtype=dtype)
        pad_bias[torch.from_numpy(~valid_np)[:, None, None, :]] = float("-inf")
        causal_bias = torch.full((t_max, t_max), float("-inf"), dtype=dtype).triu_(1)

    def full_mask(t0: int, t1: int) -> torch.Tensor | None:
        """(B, 1, t1 - t0, t1) for queries t0..t1-1 over keys 0..t1-1: causal, padding keys hidden, padding
        queries attend to themselves (no NaN rows), prompt bytes see the whole prompt."""
        if pad_bias is None or causal_bias is None:
            return None
        if t1 - t0 == 1 and t0 >= L:  # one query past the prompt: every key up to it, but the padding (a view)
            return pad_bias[..., :t1]
        m = causal_bias[t0:t1, :t1] + pad_bias[..., :t1]
        if t0 < L:
            m.diagonal(offset=t0, dim1=-2, dim2=-1).zero_()
            if span is not None:
                both = span[:, None, t0:L, None] & span[:, None, None, :L]
                m[:, :, :L - t0, :L] = m[:, :, :L - t0, :L].masked_fill(both, 0.0)
        return m

    bias_slot = _grammar_bias(tok.SLOT_IDS, cfgm.v_main, torch.float32)

    plan_bias_memo: dict[frozenset[int], torch.Tensor] = {}

    def plan_bias(sel: list[int]) -> torch.Tensor:
        """(len(sel), V) additive grammar masks for the rows' partial plans."""
        out = []
        for b in sel:
            allowed = plan_allowed(programs[b].plans[-1])
            row = plan_bias_memo.get(allowed)
            if row is None:
                row = plan_bias_memo[allowed] = _grammar_bias(np.array(sorted(allowed)), cfgm.v_main, torch.float32)
            out.append(row)
        return torch.stack(out)

    def plan_logits(sel: list[int]) -> torch.Tensor:
        """Grammar-masked plan logits for rows sel: the copy head's mixture when the model has one."""
        bias_plan = plan_bias(sel)
        if not pointer:
            return lm_logits(sel, bias_plan)
        assert keys is not None
        rows = sel + [b + n for b in sel] if guide else sel
        ri = torch.tensor(rows)
        lp = model.plan_log_probs(_rows(h, rows), keys[ri, :t], copy_t[ri, :t], pk)
        if guide:
            lc, lu = lp[:len(sel)], lp[len(sel):]
            lp = lu + cfg_scale * (lc - lu)
        return lp + bias_plan

    def forward(t0: int, t1: int) -> torch.Tensor:
        """Feed columns t0..t1 (recomputing from 0 without the cache); the last column's hidden states."""
        s0 = t0 if cache is not None else 0
        if not pointer:
            return model.infer_embedded(embed(s0, t1), full_mask(s0, t1), cache, pk, last_only=True)
        assert keys is not None
        hs = model.infer_embedded(embed(s0, t1), full_mask(s0, t1), cache, pk)
        keys[:, s0:t1] = model.pointer_keys(hs, pk)
        return hs[:, -1]

    def lm_logits(sel: list[int], bias: torch.Tensor) -> torch.Tensor:
        """Grammar-masked next-token logits for rows sel; without guidance the mask rides in the matmul's bias."""
        if not guide:
            return torch.addmm(bias, _rows(h, sel), pk.lm_w)
        return head(sel, pk.lm_logits) + bias

    def head(sel: list[int], fn: Callable[..., torch.Tensor], *args: torch.Tensor) -> torch.Tensor:
        """Logits for rows sel, guided by their unconditional twins (one batched call for both) when CFG is on."""
        if not guide:
            return fn(_rows(h, sel), *args).float()
        both = fn(_rows(h, sel + [b + n for b in sel]), *args).float()
        lc, lu = both[:len(sel)], both[len(sel):]
        return lu + cfg_scale * (lc - lu)

    noise = _Gumbel(gen)
    h = forward(0, L)
    states = [_State(seg=1) for _ in range(n)]
    t = L
    while t < t_max:
        toks: list[int] = [_PAD] * n
        fts: list[Feat] = [_NO_FEATS] * n
        plan_rows: list[int] = []
        slot_rows: list[int] = []
        patch_rows: list[int] = []
        for b in range(n):
            ask, toks[b], fts[b] = _ask(programs[b], states[b])
            if ask == _ASK_PLAN:
                plan_rows.append(b)
            elif ask == _ASK_SLOT:
                slot_rows.append(b)
            elif ask == _ASK_PATCH:
                patch_rows.append(b)
        if plan_rows:
            for b, v in zip(plan_rows, _sample(plan_logits(plan_rows), temperature, top_k, noise).tolist(),
                            strict=True):
                toks[b], fts[b] = v, _FEATS_MAIN[v]
                _take_plan(programs[b], states[b], v)
        if slot_rows:
            for b, v in zip(slot_rows, _sample(lm_logits(slot_rows, bias_slot), image_temperature, top_k,
                                               noise).tolist(), strict=True):
                toks[b], fts[b] = v, _take_slot(programs[b], states[b], v)
        if patch_rows:  # colour pair, then the mask code conditioned on that pair
            col = _sample(head(patch_rows, pk.col_logits), image_temperature, top_k, noise)
            pair = torch.cat([col, col]) if guide else col
            mk = _sample(head(patch_rows, pk.mask_logits, pair), image_temperature, top_k, noise)
            for b, c, m in zip(patch_rows, col.tolist(), mk.tolist(), strict=True):
                toks[b] = cfgm.v_main + c * cfgm.n_mask + m
                fts[b] = _take_patch(programs[b], states[b], toks[b])
        # Feed this column back, and with it every following column that no row needs the model for (PAINT
        # after the plan; an edit's second input image and its instruction): one forward for the whole run, as
        # for the prompt. Tokens after which no row has anything left to emit are not fed at all.
        t1 = t
        while True:
            if all(_exhausted(programs[b], states[b]) for b in range(n)):
                return programs
            p_t = t1 - L  # every row's position advances by one per column (finished rows too: nothing reads them)
            for b in range(n):
                lay = _lay_after(programs[b], states[b], toks[b], reference) if lay_on else ()
                idx_np[b, t1] = emb_rows(toks[b], fts[b], lens_l[b] + p_t, lay)
                if pointer:
                    copy_np[b, t1] = tok.copy_source(toks[b], fts[b])
                if uncond:
                    idx_np[b + n, t1] = emb_rows(toks[b], fts[b], lens_l[b + n] + p_t, lay)
                    if pointer:
                        copy_np[b + n, t1] = copy_np[b, t1]
            t1 += 1
            if t1 >= t_max or not all(_fixed_next(programs[b], states[b]) for b in range(n)):
                break
            for b in range(n):
                _, toks[b], fts[b] = _ask(programs[b], states[b])
        h = forward(t, t1)
        t = t1
    return programs


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
    return Program(segs, single_edit=len(inputs) == 1)


def caption_program(patches: np.ndarray) -> Program:
    return Program([seq_segment(tok.caption_seq(patches, None)), ("plan", None)])
