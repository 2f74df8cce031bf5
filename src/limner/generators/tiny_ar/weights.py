"""Generator stage (tiny_ar): weights on disk. safetensors + manifest.json (sha256 of every file, model args,
tokenizer hash, training recipe and time). A file whose hash differs from the manifest is refused.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from limner.generators.base import GeneratorError
from limner.generators.tiny_ar import tokenizer as tok
from limner.generators.tiny_ar.model import GPT, GPTConfig

WEIGHTS_FILE = "model.safetensors"
DEFAULT_DIR = Path(__file__).parent / "weights"
_CLI_KEYS = ("steps", "tokens", "n_layer", "n_embd", "n_head", "lr", "seed", "max_minutes")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def save_weights(model: GPT, out_dir: Path, run_dir: Path | None = None) -> Path:
    """Write fp32 safetensors and the manifest; returns the manifest path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().float().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(out_dir / WEIGHTS_FILE))
    recipe: dict[str, object] = {}
    if run_dir is not None and (run_dir / "train_config.json").exists():
        recipe = json.loads((run_dir / "train_config.json").read_text())
        log = run_dir / "log.jsonl"
        if log.exists():
            last = json.loads(log.read_text().strip().splitlines()[-1])
            recipe["trained_steps"] = last["step"]
            recipe["train_time_s"] = round(last["elapsed_s"], 1)
            recipe["final_loss"] = round(last["loss"], 4)
    manifest = {
        "generator": "tiny_ar",
        "files": {WEIGHTS_FILE: _sha256(out_dir / WEIGHTS_FILE)},
        "model_args": model.cfg.to_dict(),
        "tokenizer_version": tok.TOKENIZER_VERSION,
        "tokenizer_hash": tok.tokenizer_hash(),
        "recipe": recipe,
        "command": " ".join(["limner train",
                             *(f"--{k.replace('_', '-')} {recipe[k]}" for k in _CLI_KEYS if k in recipe),
                             "--export src/limner/generators/tiny_ar/weights"]),
    }
    path = out_dir / "manifest.json"
    path.write_text(json.dumps(manifest, indent=2) + "\n")
    return path


def export_checkpoint(run_dir: Path, out_dir: Path) -> Path:
    """Package a training checkpoint (run_dir/ckpt.pt) as shipped weights."""
    state = torch.load(run_dir / "ckpt.pt", map_location="cpu", weights_only=False)
    model = GPT(GPTConfig(**state["model_args"]))
    model.load_state_dict(state["model"])
    return save_weights(model, out_dir, run_dir)


def load_weights(weights_dir: Path) -> tuple[GPT, str]:
    """Model and its version string (sha256 prefix). Raises GeneratorError on a missing file or a hash mismatch."""
    man_path = weights_dir / "manifest.json"
    if not man_path.exists():
        raise GeneratorError(f"no tiny_ar manifest in {weights_dir}")
    manifest = json.loads(man_path.read_text())
    for name, digest in manifest["files"].items():
        f = weights_dir / name
        if not f.exists() or _sha256(f) != digest:
            raise GeneratorError(f"tiny_ar weight file {name} is missing or its sha256 differs from the manifest")
    if manifest.get("tokenizer_hash") != tok.tokenizer_hash():
        raise GeneratorError("tiny_ar weights were trained with a different tokenizer")
    model = GPT(GPTConfig(**manifest["model_args"]))
    model.load_state_dict(load_file(str(weights_dir / WEIGHTS_FILE)))
    model.eval()
    return model, manifest["files"][WEIGHTS_FILE][:12]
