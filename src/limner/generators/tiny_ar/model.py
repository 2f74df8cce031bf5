"""Generator stage (tiny_ar): the whole transformer in one file, nanoGPT style.

A decoder-only transformer over one mixed sequence: text bytes, layout ("plan") tokens and image patch tokens.
A patch token is factorised: its input embedding is colour-pair + mask-code embeddings, and it is predicted by a
colour head and then a mask head that also sees the chosen colour pair. Every token also gets up to three "feature"
embeddings shared between plan tokens and image positions (slot, text column, letter), so that painting a patch is a
lookup the model can learn quickly. Documents are packed; attention is block-diagonal causal.
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

    def to_dict(self) -> dict[str, int | float]:
        return asdict(self)


class KVCache:
    """Per-layer key/value buffers for incremental decoding, (B, nh, T_max, hs) each."""

    def __init__(self, cfg: GPTConfig, batch: int, t_max: int, device: torch.device, dtype: torch.dtype) -> None:
        hs = cfg.n_embd // cfg.n_head
        self.k = [torch.zeros(batch, cfg.n_head, t_max, hs, device=device, dtype=dtype) for _ in range(cfg.n_layer)]
        self.v = [torch.zeros_like(k) for k in self.k]
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
        self.blocks = nn.ModuleList([Block(cfg) for _ in range(cfg.n_layer)])
        self.ln_f = nn.LayerNorm(d)
        self.lm_head = nn.Linear(d, cfg.v_main, bias=False)
        self.col_head = nn.Linear(d, cfg.n_pair, bias=False)
        self.col_cond = nn.Embedding(cfg.n_pair, d)  # the mask head is conditioned on the chosen colour pair
        self.mask_head = nn.Sequential(nn.Linear(d, d), nn.GELU(), nn.Linear(d, cfg.n_mask))
        self.apply(self._init)
        for n, p in self.named_parameters():
            if n.endswith("c_proj.weight"):
                nn.init.normal_(p, 0.0, 0.02 / math.sqrt(2 * cfg.n_layer))

    @staticmethod
    def _init(m: nn.Module) -> None:
        if isinstance(m, nn.Linear):
            nn.init.normal_(m.weight, 0.0, 0.02)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
        elif isinstance(m, nn.Embedding):
            nn.init.normal_(m.weight, 0.0, 0.02)

    def embed(self, ids: torch.Tensor, feats: torch.Tensor, pos: torch.Tensor) -> torch.Tensor:
        """ids (B, T): < v_main are main tokens, the rest encode a patch as v_main + pair * n_mask + mask."""
        v = self.cfg.v_main
        is_patch = ids >= v
        pid = (ids - v).clamp(min=0)
        x_main = self.wte(ids.clamp(max=v - 1))
        x_patch = self.wcol(pid // self.cfg.n_mask) + self.wmask(pid % self.cfg.n_mask)
        x = torch.where(is_patch.unsqueeze(-1), x_patch, x_main)
        return x + self.wfeat(feats).sum(2) + self.wpe(pos)

    def hidden(self, ids: torch.Tensor, feats: torch.Tensor, pos: torch.Tensor, mask: torch.Tensor | None,
               cache: KVCache | None = None) -> torch.Tensor:
        x = self.embed(ids, feats, pos)
        for i, block in enumerate(self.blocks):
            x = block(x, mask, cache, i)
        if cache is not None:
            cache.len += ids.shape[1]
        return self.ln_f(x)

    def mask_logits(self, h: torch.Tensor, pair: torch.Tensor) -> torch.Tensor:
        return self.mask_head(h + self.col_cond(pair))

    def loss(self, ids: torch.Tensor, feats: torch.Tensor, pos: torch.Tensor, loss_mask: torch.Tensor
             ) -> tuple[torch.Tensor, dict[str, float]]:
        """Next-token loss over right-padded documents (padding only ever follows real tokens)."""
        h = self.hidden(ids, feats, pos, None)
        h, tgt, lm = h[:, :-1], ids[:, 1:], loss_mask[:, 1:]
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
        return total, stats
