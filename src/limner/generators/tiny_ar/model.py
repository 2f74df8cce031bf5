"""Generator stage (tiny_ar): the whole transformer in one file, nanoGPT style.

A decoder-only transformer over one mixed sequence: text bytes, layout ("plan") tokens and image patch tokens.
A patch token is factorised: its input embedding is colour-pair + mask-code embeddings, and it is predicted by a
colour head and then a mask head that also sees the chosen colour pair. Every token also gets up to three "feature"
embeddings shared between plan tokens and image positions (slot, text column, letter), so that painting a patch is a
lookup the model can learn quickly. Documents are packed; attention is block-diagonal causal.

The copy head (a pointer-generator, See et al. 2017) makes plans compositional: at a plan step the next token is a
mixture of the language-model head and a pointer over earlier positions that name a plan token (prompt words,
letters, an input image's plan), weighted by a gate. The pointer and the gate are supervised directly (is the
target copyable, and from where), so a held-out pair such as "green heart" is written by pointing at "green",
not by recalling which colours hearts had in training. The text-to-image prompt is read bidirectionally.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
from torch.nn import functional as F


@dataclass
class GPTConfig:
    v_main: int = 451  # bytes + specials + plan tokens
    n_pair: int = 441  # colour pairs (fg, bg)
    n_mask: int = 151  # mask codebook size
    n_feat: int = 170
    block_size: int = 512
    n_layer: int = 6
    n_head: int = 8
    n_embd: int = 256
    dropout: float = 0.0
    pointer: int = 0  # width of the copy head's query/key (0 = no copy head, the session-2 model)
    plan_lo: int = 0  # main ids [plan_lo, plan_hi) are plan tokens; with plan_end, the steps the copy head serves
    plan_hi: int = 0
    plan_end: int = 0
    prompt_bidi: bool = False  # the text-to-image prompt attends both ways (tokenizer.prompt_span)
    n_lay: int = 0  # plan tokens per position of the painting layout (tokenizer.paint_layout; 0 = none)
    edit_reference: bool = False  # an edit's output plan also reads layouts (tokenizer.reference_layout)

    def to_dict(self) -> dict[str, int | float]:
        return asdict(self)


class KVCache:
    """Per-layer key/value buffers for incremental decoding, (B, nh, T_max, hs) each, preallocated once.

    Keys and values of a layer share one (2, B, nh, T_max, hs) buffer (`kv`), so `GPT.infer` stores both with one
    copy per layer and step; `k` and `v` are views into it."""

    def __init__(self, cfg: GPTConfig, batch: int, t_max: int, device: torch.device, dtype: torch.dtype) -> None:
        hs = cfg.n_embd // cfg.n_head
        # empty, not zeros: attention only ever reads positions already written (zero-filling was a visible
        # share of a batch-1 image's time)
        self.kv = [torch.empty(2, batch, cfg.n_head, t_max, hs, device=device, dtype=dtype)
                   for _ in range(cfg.n_layer)]
        self.k = [kv[0] for kv in self.kv]
        self.v = [kv[1] for kv in self.kv]
        self.len = 0


class CausalSelfAttention(nn.Module):
    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.c_attn = nn.Linear(cfg.n_embd, 3 * cfg.n_embd)
        self.c_proj = nn.Linear(cfg.n_embd, cfg.n_embd)
        self.n_head = cfg.n_head

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None, cache: KVCache | None = None, layer: int = 0
                ) -> torch.Tensor:
        B, T, C = x.shape
        q, k, v = self.c_attn(x).split(C, dim=2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)  # (B, nh, T, hs)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        t0 = 0
        if cache is not None:
            t0 = cache.len
            cache.k[layer][:, :, t0:t0 + T] = k
            cache.v[layer][:, :, t0:t0 + T] = v
            k = cache.k[layer][:, :, :t0 + T]
            v = cache.v[layer][:, :, :t0 + T]
        if mask is None and t0 == 0:  # no left padding, nothing cached: the plain causal kernel
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        elif mask is None:  # queries continue a cached prefix: causal with an offset of t0
            offset = torch.ones(T, t0 + T, dtype=torch.bool, device=x.device).tril(diagonal=t0)
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=offset)
        else:  # mask: (B, 1, T, Tk) bool, True = attend
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class MLP(nn.Module):
    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.c_fc = nn.Linear(cfg.n_embd, 4 * cfg.n_embd)
        self.c_proj = nn.Linear(4 * cfg.n_embd, cfg.n_embd)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.c_proj(F.gelu(self.c_fc(x)))


class Block(nn.Module):
    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.n_embd)
        self.attn = CausalSelfAttention(cfg)
        self.ln_2 = nn.LayerNorm(cfg.n_embd)
        self.mlp = MLP(cfg)

    def forward(self, x: torch.Tensor, mask: torch.Tensor | None, cache: KVCache | None, layer: int) -> torch.Tensor:
        x = x + self.attn(self.ln_1(x), mask, cache, layer)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    def __init__(self, cfg: GPTConfig) -> None:
        super().__init__()
        self.cfg = cfg
        d = cfg.n_embd
        self.wte = nn.Embedding(cfg.v_main, d)
        self.wcol = nn.Embedding(cfg.n_pair, d)
        self.wmask = nn.Embedding(cfg.n_mask, d)
        self.wfeat = nn.Embedding(cfg.n_feat, d, padding_idx=0)
        self.wpe = nn.Embedding(cfg.block_size, d)
        if cfg.n_lay:
            self.wlay = nn.Embedding(cfg.v_main, d, padding_idx=0)
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.n_layer)])
        self.ln_f = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, cfg.v_main, bias=False)
        self.col_head = nn.Linear(d, cfg.n_pair, bias=False)
        self.col_cond = nn.Embedding(cfg.n_pair, d)  # the mask head is conditioned on the chosen colour pair
        self.mask_head = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.Linear(d, cfg.n_mask))
        if cfg.pointer:
            self.ptr_q = nn.Linear(d, cfg.pointer)
            self.ptr_k = nn.Linear(d, cfg.pointer)
            self.ptr_gate = nn.Linear(d, 1)
        self.apply(self._init)
        for n, p in self.named_parameters():
            if n.endswith("c_proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * cfg.n_layer))
        if cfg.n_lay:
            with torch.no_grad():
                self.wlay.weight[0].zero_()  # "no object": adds nothing

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, 0.0, 0.02)

    def embed(self, ids: torch.Tensor, feats: torch.Tensor, pos: torch.Tensor, lay: torch.Tensor | None = None
              ) -> torch.Tensor:
        """ids (B, T): < v_main are main tokens, the rest encode a patch as v_main + pair * n_mask + mask.
        lay (B, T, n_lay): each position's painting layout (plan token ids, 0 = none)."""
        v = self.cfg.v_main
        is_patch = ids >= v
        pid = (ids - v).clamp(min=0)
        x_main = self.wte(ids.clamp(max=v - 1))
        x_patch = self.wcol(pid // self.cfg.n_mask) + self.wmask(pid % self.cfg.n_mask)
        x = torch.where(is_patch.unsqueeze(-1), x_patch, x_main)
        x = x + self.wfeat(feats).sum(2) + self.wpe(pos)
        if self.cfg.n_lay and lay is not None:
            x = x + self.wlay(lay).sum(2)
        return x

    def hidden(self, ids: torch.Tensor, feats: torch.Tensor, pos: torch.Tensor, mask: torch.Tensor | None,
               cache: KVCache | None = None, lay: torch.Tensor | None = None) -> torch.Tensor:
        x = self.embed(ids, feats, pos, lay)
        for i, block in enumerate(self.blocks):
            x = block(x, mask, cache, i)
        if cache is not None:
            cache.len += ids.shape[1]
        return self.ln_f(x)

    def infer_pack(self) -> InferPack:
        """Inference copies of the weights (linear weights transposed to (in, out) and contiguous, the embedding
        tables stacked), rebuilt only when a parameter changed (training updates them in place, which bumps
        their version counters) or moved."""
        key = tuple((p.data_ptr(), p._version) for p in self.parameters())
        pack: InferPack | None = getattr(self, "_infer_pack", None)
        if pack is None or pack.key != key:
            with torch.no_grad():
                pack = InferPack(self, key)
            self._infer_pack = pack
        return pack

    def infer(self, ids: torch.Tensor, feats: torch.Tensor, pos: torch.Tensor, mask: torch.Tensor | None,
              cache: KVCache | None = None) -> torch.Tensor:
        """Inference-only `hidden()`: see `infer_embedded`."""
        return self.infer_embedded(self.embed(ids, feats, pos), mask, cache)

    def infer_embedded(self, x: torch.Tensor, mask: torch.Tensor | None, cache: KVCache | None = None,
                       pack: InferPack | None = None, last_only: bool = False) -> torch.Tensor:
        """Inference-only twin of `hidden()` from input embeddings x (B, T, C): the same math on the same
        parameters with fewer, cheaper tensor ops (functions instead of nn.Module calls, 2-D matmuls on
        pre-transposed weights, torch.layer_norm without its Python wrapper), because at one token per step the
        per-op overhead costs as much as the arithmetic. The sampler runs it with and without the KV cache alike,
        so a cache/no-cache timing compares the cache and nothing else. Equal to `hidden()` up to float rounding
        (different matmul kernels).

        `mask`: None = causal (after `cache.len` cached positions), or an attention mask (B, 1, T, t0 + T), bool
        (True = attend) or float (added to the scores). `pack`: `infer_pack()`, which a caller making many calls
        fetches once (checking that it is current walks every parameter). `last_only`: return only the last
        position's hidden state, (B, C), all the sampler reads."""
        pk = pack if pack is not None else self.infer_pack()
        B, T, C = x.shape
        nh = self.cfg.n_head
        t0 = cache.len if cache is not None else 0
        is_causal = False
        if mask is None and T > 1:
            if t0 == 0:
                is_causal = True
            else:  # queries continue a cached prefix: causal with an offset of t0
                mask = torch.ones(T, t0 + T, dtype=torch.bool, device=x.device).tril(diagonal=t0)
        x = x.reshape(B * T, C)
        for i, L in enumerate(pk.layers):
            y = torch.layer_norm(x, (C,), L.ln1_w, L.ln1_b, L.eps1)
            qkv = torch.addmm(L.attn_b, y, L.attn_w).view(B, T, 3, nh, C // nh).permute(2, 0, 3, 1, 4)
            if cache is not None:
                kv = cache.kv[i]
                kv.narrow(3, t0, T).copy_(qkv[1:])  # narrow: one view op where [:, :, :, a:b] makes four
                k, v = kv.narrow(3, 0, t0 + T).unbind(0)
            else:
                k, v = qkv[1], qkv[2]
            y = F.scaled_dot_product_attention(qkv[0], k, v, attn_mask=mask, is_causal=is_causal)
            x = torch.addmm(L.proj_b, y.transpose(1, 2).reshape(B * T, C), L.proj_w).add_(x)
            y = torch.layer_norm(x, (C,), L.ln2_w, L.ln2_b, L.eps2)
            x = torch.addmm(L.fc2_b, F.gelu(torch.addmm(L.fc_b, y, L.fc_w)), L.fc2_w).add_(x)
        if cache is not None:
            cache.len += T
        if last_only:
            return torch.layer_norm(x if T == 1 else x.view(B, T, C)[:, -1], (C,), pk.lnf_w, pk.lnf_b, pk.lnf_eps)
        return torch.layer_norm(x, (C,), pk.lnf_w, pk.lnf_b, pk.lnf_eps).view(B, T, C)

    def mask_logits(self, h: torch.Tensor, pair: torch.Tensor) -> torch.Tensor:
        return self.mask_head(h + self.col_cond(pair))

    def loss(self, ids: torch.Tensor, feats: torch.Tensor, pos: torch.Tensor, loss_mask: torch.Tensor,
             copy: torch.Tensor | None = None, span: torch.Tensor | None = None, lay: torch.Tensor | None = None
             ) -> tuple[torch.Tensor, dict[str, float]]:
        """Next-token loss over right-padded documents (padding only ever follows real tokens). `copy` (B, T):
        each position's copy token or -1 (`tokenizer.copy_sources`); `span` (B, T) bool: the prompt bytes that
        attend both ways (`tokenizer.prompt_span`); `lay` (B, T, n_lay): painting layouts."""
        mask = None
        if self.cfg.prompt_bidi and span is not None and bool(span.any()):
            T = ids.shape[1]
            causal = torch.ones(T, T, dtype=torch.bool, device=ids.device).tril()
            mask = (causal | (span[:, :, None] & span[:, None, :]))[:, None]
        h_all = self.hidden(ids, feats, pos, mask, lay=lay)
        h, tgt, lm = h_all[:, :-1], ids[:, 1:], loss_mask[:, 1:]
        v = self.cfg.v_main
        sel_main = lm & (tgt < v)
        sel_patch = lm & (tgt >= v)
        hm, tm = h[sel_main], tgt[sel_main]
        hp, tp = h[sel_patch], tgt[sel_patch] - v
        pair, msk = tp // self.cfg.n_mask, tp % self.cfg.n_mask
        l_main = F.cross_entropy(self.lm_head(hm).float(), tm, reduction="sum")
        l_col = F.cross_entropy(self.col_head(hp).float(), pair, reduction="sum")
        l_mask = F.cross_entropy(self.mask_logits(hp, pair).float(), msk, reduction="sum")
        n = max(1, int(sel_main.sum() + sel_patch.sum()))
        total = (l_main + l_col + l_mask) / n
        stats = {"main": float(l_main.detach()) / max(1, len(tm)), "col": float(l_col.detach()) / max(1, len(tp)),
                 "mask": float(l_mask.detach()) / max(1, len(tp))}
        if self.cfg.pointer and copy is not None:
            l_gate, l_ptr, n_plan, n_copy = self._copy_loss(h_all, tgt, lm, copy)
            total = total + (l_gate + l_ptr) / n
            stats.update(gate=float(l_gate.detach()) / max(1, n_plan), ptr=float(l_ptr.detach()) / max(1, n_copy))
        return total, stats

    def _copy_loss(self, h_all: torch.Tensor, tgt: torch.Tensor, lm: torch.Tensor, copy: torch.Tensor
                   ) -> tuple[torch.Tensor, torch.Tensor, int, int]:
        """Gate: is the target among the copy sources so far (binary cross-entropy); pointer: where (negative log
        of the attention mass on sources holding the target). Both only at plan steps."""
        c = self.cfg
        plan_step = lm & (((tgt >= c.plan_lo) & (tgt < c.plan_hi)) | (tgt == c.plan_end))
        if not bool(plan_step.any()):
            zero = h_all.sum() * 0
            return zero, zero, 0, 0
        T = h_all.shape[1] - 1
        q = self.ptr_q(h_all[:, :-1]).float()
        k = self.ptr_k(h_all).float()
        src = copy >= 0  # (B, T + 1)
        seen = torch.ones(T, T + 1, dtype=torch.bool, device=h_all.device).tril()  # step t reads positions <= t
        valid = seen[None] & src[:, None, :]  # (B, T, T + 1)
        scores = (q @ k.transpose(1, 2)) / math.sqrt(c.pointer)
        attn = torch.softmax(scores.masked_fill(~valid, float("-inf")), -1).nan_to_num(0.0)
        hit = valid & (copy[:, None, :] == tgt[:, :, None])
        copyable = hit.any(-1) & plan_step
        gate = self.ptr_gate(h_all[:, :-1]).squeeze(-1).float()
        l_gate = F.binary_cross_entropy_with_logits(gate[plan_step], copyable[plan_step].float(), reduction="sum")
        mass = (attn * hit).sum(-1)[copyable]
        l_ptr = -torch.log(mass + 1e-6).sum()
        return l_gate, l_ptr, int(plan_step.sum()), int(copyable.sum())

    def plan_log_probs(self, h: torch.Tensor, keys: torch.Tensor, copy: torch.Tensor, pack: InferPack | None = None
                       ) -> torch.Tensor:
        """Log-probabilities of the next main token at plan steps: the gate's mixture of the language-model head
        and the pointer. h (B, C) the current hidden states, keys (B, S, P) the pointer keys of the S positions so
        far, copy (B, S) their copy tokens (-1: not a source)."""
        pk = pack if pack is not None else self.infer_pack()
        p_lm = torch.softmax((h @ pk.lm_w).float(), -1)
        if not self.cfg.pointer:
            return p_lm.clamp_min(1e-30).log()
        src = copy >= 0
        q = torch.addmm(pk.ptr_q_b, h, pk.ptr_q_w).float()
        scores = (keys.float() @ q.unsqueeze(-1)).squeeze(-1) / math.sqrt(self.cfg.pointer)
        attn = torch.softmax(scores.masked_fill(~src, float("-inf")), -1).nan_to_num(0.0)
        p_copy = torch.zeros_like(p_lm).scatter_add_(1, copy.clamp(min=0), attn)
        g = torch.sigmoid(torch.addmm(pk.ptr_g_b, h, pk.ptr_g_w).float()) * src.any(-1, keepdim=True)
        # floor: guidance subtracts log-probabilities, and -inf - -inf would be NaN
        return (g * p_copy + (1 - g) * p_lm).clamp_min(1e-30).log()

    def pointer_keys(self, h: torch.Tensor, pack: InferPack | None = None) -> torch.Tensor:
        """Pointer keys (..., P) of hidden states (..., C)."""
        pk = pack if pack is not None else self.infer_pack()
        return h @ pk.ptr_k_w + pk.ptr_k_b


class _LayerPack:
    def __init__(self, blk: Block) -> None:
        a, m = blk.attn, blk.mlp
        self.ln1_w, self.ln1_b, self.eps1 = blk.ln_1.weight, blk.ln_1.bias, blk.ln_1.eps
        self.ln2_w, self.ln2_b, self.eps2 = blk.ln_2.weight, blk.ln_2.bias, blk.ln_2.eps
        self.attn_w, self.attn_b = a.c_attn.weight.t().contiguous(), a.c_attn.bias
        self.proj_w, self.proj_b = a.c_proj.weight.t().contiguous(), a.c_proj.bias
        self.fc_w, self.fc_b = m.c_fc.weight.t().contiguous(), m.c_fc.bias
        self.fc2_w, self.fc2_b = m.c_proj.weight.t().contiguous(), m.c_proj.bias


class InferPack:
    """What `GPT.infer_embedded` and the sampler read: per-layer (in, out) weights, the heads, and every input
    embedding table stacked into one (plus a zero row), so that a token's input vector is the sum of six rows:
    token or colour pair, mask code or the zero row, three features, position (see `emb_rows`), and with a
    painting layout n_lay more. Feeding a token back is then one gather and one sum instead of the dozen small ops
    of `GPT.embed()`."""

    def __init__(self, m: GPT, key: tuple[tuple[int, int], ...]) -> None:
        c = m.cfg
        self.key = key
        self.layers = [_LayerPack(blk) for blk in m.blocks]  # type: ignore[arg-type]
        self.lnf_w, self.lnf_b, self.lnf_eps = m.ln_f.weight, m.ln_f.bias, m.ln_f.eps
        self.lm_w = m.lm_head.weight.t().contiguous()
        self.col_w = m.col_head.weight.t().contiguous()
        mh0, mh2 = m.mask_head[0], m.mask_head[2]
        self.col_cond = m.col_cond.weight
        self.mh0_w, self.mh0_b = mh0.weight.t().contiguous(), mh0.bias  # type: ignore[union-attr]
        self.mh2_w, self.mh2_b = mh2.weight.t().contiguous(), mh2.bias  # type: ignore[union-attr]
        w = [m.wte.weight, m.wcol.weight, m.wmask.weight, m.wfeat.weight, m.wpe.weight]
        w.append(w[0].new_zeros(1, c.n_embd))
        if c.n_lay:
            w.append(m.wlay.weight)
        self.table = torch.cat(w)
        if c.pointer:
            self.ptr_q_w, self.ptr_q_b = m.ptr_q.weight.t().contiguous(), m.ptr_q.bias
            self.ptr_k_w, self.ptr_k_b = m.ptr_k.weight.t().contiguous(), m.ptr_k.bias
            self.ptr_g_w, self.ptr_g_b = m.ptr_gate.weight.t().contiguous(), m.ptr_gate.bias
        self.v_main, self.n_mask = c.v_main, c.n_mask
        self.o_col = c.v_main
        self.o_mask = self.o_col + c.n_pair
        self.o_feat = self.o_mask + c.n_mask
        self.o_pos = self.o_feat + c.n_feat
        self.o_zero = self.o_pos + c.block_size
        self.o_lay = self.o_zero + 1
        self.n_lay = c.n_lay
        self.n_rows = 6 + c.n_lay

    def emb_rows(self, t: int, f: tuple[int, int, int], p: int, lay: tuple[int, ...] = ()) -> tuple[int, ...]:
        """Rows of `table` whose sum is GPT.embed() of token t with features f at position p (and painting layout
        lay, plan token ids, when the model reads one)."""
        o = self.o_feat
        if t >= self.v_main:  # a patch: colour pair + mask code
            pair, mk = divmod(t - self.v_main, self.n_mask)
            rows = (self.o_col + pair, self.o_mask + mk, o + f[0], o + f[1], o + f[2], self.o_pos + p)
        else:
            rows = (t, self.o_zero, o + f[0], o + f[1], o + f[2], self.o_pos + p)
        if not self.n_lay:
            return rows
        ol = self.o_lay
        return rows + (tuple(ol + x for x in lay) if lay else (ol,) * self.n_lay)

    def embed(self, rows: torch.Tensor) -> torch.Tensor:
        """rows (B, T, n_rows) -> input embeddings (B, T, C)."""
        return torch.embedding(self.table, rows).sum(2)

    def lm_logits(self, h: torch.Tensor) -> torch.Tensor:
        return h @ self.lm_w

    def col_logits(self, h: torch.Tensor) -> torch.Tensor:
        return h @ self.col_w

    def mask_logits(self, h: torch.Tensor, pair: torch.Tensor) -> torch.Tensor:
        """= GPT.mask_logits."""
        return torch.addmm(self.mh2_b, F.gelu(torch.addmm(self.mh0_b, h + self.col_cond[pair], self.mh0_w)),
                           self.mh2_w)
