"""Generator stage (tiny_ar): training. Samples documents from the procedural world (text-to-image, captions, edits,
compositions), packs them into fixed blocks and trains the transformer; checkpoints are resumable.

The data stream is a pure function of (seed, step), so a resumed run sees the same documents as an uninterrupted one.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from limner.generators.tiny_ar import tokenizer as tok
from limner.generators.tiny_ar.model import GPT, GPTConfig
from limner.world.edits import sample_compose, sample_edit
from limner.world.grammar import (
    TAGS,
    layout_allowed,
    random_layout,
    render_prompt,
    sample_layout_ordered,
    sample_spec,
)

MIX = {"t2i": 0.65, "caption": 0.05, "edit": 0.22, "compose": 0.08}
CFG_DROP = 0.1  # probability of an empty prompt, so classifier-free guidance has an unconditional model


@dataclass
class TrainConfig:
    steps: int = 3000
    tokens: int = 2048  # tokens per step
    block: int = 512  # longest document
    lr: float = 3e-3
    min_lr: float = 2e-4
    warmup: int = 50
    weight_decay: float = 0.05
    seed: int = 0
    n_layer: int = 4
    n_head: int = 5
    n_embd: int = 160
    threads: int = 2
    bf16: bool = True
    ckpt_every: int = 100
    max_minutes: float = 0.0  # stop early (and checkpoint) after this many minutes; 0 = no limit
    pointer: int = 64  # copy head width (0 = none)
    paint_layout: bool = True  # painting positions read their slot's plan tokens (tokenizer.paint_layout)
    edit_reference: bool = False  # an edit's output plan reads the input's objects (tokenizer.reference_layout)
    init_from: str = ""  # start from these packaged weights (a directory); parameters they lack start fresh


def sample_doc(rng: random.Random, task: str, edit_reference: bool = False) -> tok.Seq:
    if task == "t2i":
        while True:
            spec = sample_spec(rng, rng.choice(TAGS), "train")
            found = sample_layout_ordered(spec, rng, "train")
            if found is not None and layout_allowed(found[0], "train"):
                break
        lay, order = found
        if rng.random() < CFG_DROP:
            return tok.t2i_seq("", lay)
        return tok.t2i_seq(render_prompt(spec, rng), lay, order)
    if task == "caption":
        lay = random_layout(rng, "train")
        return tok.caption_seq(tok.layout_tokens(lay), lay)
    task_ = None
    while task_ is None:
        task_ = sample_edit(rng, "train") if task == "edit" else sample_compose(rng, "train")
    srcs = list(task_.sources)
    return tok.edit_seq([tok.layout_tokens(s) for s in srcs], task_.instruction, srcs, task_.target,
                        reference=edit_reference)


def make_batch(seed: int, step: int, tokens: int, edit_reference: bool = False) -> dict[str, torch.Tensor]:
    """One step's batch: documents of a single task (so lengths are close), right-padded, about `tokens` tokens.

    Grouping by task keeps padding small without packing masks, and right padding lets attention use the plain
    causal kernel (padding sits after every real token, so it is never attended to by one).
    """
    rng = random.Random(seed * 1_000_003 + step)
    task = rng.choices(list(MIX), weights=list(MIX.values()))[0]
    docs: list[tok.Seq] = []
    while sum(len(d.ids) for d in docs) < tokens:
        docs.append(sample_doc(rng, task, edit_reference))
    T = max(len(d.ids) for d in docs)
    B = len(docs)
    ids = np.zeros((B, T), dtype=np.int64)
    feats = np.zeros((B, T, 3), dtype=np.int64)
    loss = np.zeros((B, T), dtype=bool)
    lay = np.zeros((B, T, tok.N_LAY), dtype=np.int64)
    for b, d in enumerate(docs):
        n = len(d.ids)
        ids[b, :n] = d.ids
        feats[b, :n] = d.feats
        loss[b, :n] = d.loss
        lay[b, :n] = d.lay
    pos = np.broadcast_to(np.arange(T), (B, T)).copy()
    copy = tok.copy_sources(ids, feats)
    span = tok.prompt_span(ids)
    return {k: torch.from_numpy(v) for k, v in {"ids": ids, "feats": feats, "pos": pos, "loss_mask": loss,
                                                "copy": copy, "span": span, "lay": lay}.items()}


def lr_at(cfg: TrainConfig, step: int, elapsed_s: float = 0.0) -> float:
    """Warmup then cosine decay. With a time budget the decay follows whichever runs out first, steps or time,
    so a run cut short by `max_minutes` still ends at the minimum learning rate."""
    if step < cfg.warmup:
        return cfg.lr * (step + 1) / cfg.warmup
    frac = min(1.0, (step - cfg.warmup) / max(1, cfg.steps - cfg.warmup))
    if cfg.max_minutes > 0:
        frac = max(frac, min(1.0, elapsed_s / (cfg.max_minutes * 60)))
    return cfg.min_lr + 0.5 * (cfg.lr - cfg.min_lr) * (1 + math.cos(math.pi * frac))


def build_model(cfg: TrainConfig) -> GPT:
    return GPT(GPTConfig(v_main=tok.V_MAIN, n_pair=tok.NPAIR, n_mask=tok.n_masks(), n_feat=tok.N_FEAT,
                         block_size=cfg.block, n_layer=cfg.n_layer, n_head=cfg.n_head, n_embd=cfg.n_embd,
                         pointer=cfg.pointer, plan_lo=int(tok.PLAN_IDS[0]), plan_hi=int(tok.PLAN_IDS[-1]) + 1,
                         plan_end=tok.VOCAB["PLAN_END"], prompt_bidi=cfg.pointer > 0,
                         n_lay=tok.N_LAY if cfg.paint_layout else 0,
                         edit_reference=cfg.paint_layout and cfg.edit_reference))


def init_from_weights(model: GPT, weights_dir: Path) -> list[str]:
    """Copy packaged weights into a model whose architecture extends them; returns the parameters left fresh."""
    from safetensors.torch import load_file

    from limner.generators.tiny_ar.weights import WEIGHTS_FILE

    missing, unexpected = model.load_state_dict(load_file(str(weights_dir / WEIGHTS_FILE)), strict=False)
    if unexpected:
        raise ValueError(f"weights in {weights_dir} have parameters this model lacks: {unexpected}")
    return list(missing)


def train_loop(cfg: TrainConfig, run_dir: Path, resume: bool = False,
               progress: Callable[[int, int, dict[str, float]], None] | None = None) -> GPT:
    """Train (or resume) and return the model; writes `ckpt.pt` and `log.jsonl` under run_dir."""
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    run_dir.mkdir(parents=True, exist_ok=True)
    model = build_model(cfg)
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and "wte" not in n and "wpe" not in n]
    other = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and "wte" not in n and "wpe" not in n)]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": cfg.weight_decay},
                             {"params": other, "weight_decay": 0.0}], lr=cfg.lr, betas=(0.9, 0.98))
    step, elapsed = 0, 0.0
    ckpt = run_dir / "ckpt.pt"
    if resume and ckpt.exists():
        state = torch.load(ckpt, map_location="cpu", weights_only=False)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["opt"])
        step, elapsed = state["step"], state["elapsed_s"]
    elif cfg.init_from:
        init_from_weights(model, Path(cfg.init_from))
    (run_dir / "train_config.json").write_text(json.dumps(asdict(cfg), indent=2))
    log = (run_dir / "log.jsonl").open("a")
    t_start = time.time() - elapsed
    model.train()
    while step < cfg.steps:
        for g in opt.param_groups:
            g["lr"] = lr_at(cfg, step, time.time() - t_start)
        batch = make_batch(cfg.seed, step, cfg.tokens, model.cfg.edit_reference)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=cfg.bf16):
            loss, stats = model.loss(**batch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        stats.update(loss=float(loss.detach()), step=step, lr=opt.param_groups[0]["lr"],
                     elapsed_s=time.time() - t_start,
                     tokens=int(batch["loss_mask"].numel()))
        log.write(json.dumps(stats) + "\n")
        log.flush()
        if progress is not None:
            progress(step, cfg.steps, stats)
        out_of_time = cfg.max_minutes > 0 and time.time() - t_start > cfg.max_minutes * 60
        if step % cfg.ckpt_every == 0 or step == cfg.steps or out_of_time:
            tmp = run_dir / "ckpt.tmp"
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": step,
                        "elapsed_s": time.time() - t_start, "train_config": asdict(cfg),
                        "model_args": model.cfg.to_dict()}, tmp)
            tmp.replace(ckpt)
        if out_of_time:
            break
    log.close()
    model.eval()
    return model
