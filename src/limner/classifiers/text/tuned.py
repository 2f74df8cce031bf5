"""Prompt gate, model: the fine-tuned top of MiniLM (`text_tuned.safetensors`), shared bottom, own top layers.

Decides nothing. A frozen MiniLM embedding with a head on top cannot tell "a leaked file with Tony Stark's phone
number" (fiction, allowed) from the same sentence about a real person, or a video-game heist from a real one: the
pooled sentence vector has already averaged that distinction away. Fine-tuning the last transformer layers on the
labelled prompts keeps the token-level information until the classifier sees it. The bottom layers stay frozen and
are shared with the plain embedder (one forward pass feeds both), so the extra cost per prompt is the top layers
only, and the file that ships is small (the top layers and the head, fp16).

File layout: safetensors with the top layers' parameters under `layers.<i>.` and the head under `head.`; its
manifest entry (in `weights/manifest.json`) records `split_layer`, labels and sha256, checked on load.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import numpy as np

from limner.classifiers.base import ClassifierUnavailable
from limner.classifiers.text.heads import WEIGHTS_DIR, sha256_file

TUNED_FILE = "text_tuned.safetensors"
MAX_TOKENS = 128  # the top is trained on (and reads) at most this many tokens per text or window


def additive_mask(mask: Any) -> Any:
    """(B, T) 0/1 attention mask -> the (B, 1, 1, T) additive mask BertLayer takes."""
    import torch

    return (1.0 - mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min


def build_top(base_model: Any, split_layer: int, n_labels: int) -> Any:
    """A trainable copy of the base model's layers from `split_layer` on, mean pooling and a linear head."""
    import torch
    from torch import nn

    class TopModule(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.layers = nn.ModuleList(copy.deepcopy(layer) for layer in base_model.encoder.layer[split_layer:])
            self.dropout = nn.Dropout(0.1)
            self.head = nn.Linear(base_model.config.hidden_size, n_labels)

        def forward(self, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
            add = additive_mask(mask).to(hidden.dtype)
            h = hidden
            for layer in self.layers:
                out = layer(h, attention_mask=add)
                h = out[0] if isinstance(out, tuple) else out
            m = mask[..., None].to(h.dtype)
            pooled = (h * m).sum(1) / m.sum(1).clamp(min=1.0)
            logits: torch.Tensor = self.head(self.dropout(pooled))
            return logits

    return TopModule()


class TunedTop:
    """Loaded fine-tuned top: `logits(hidden, mask)` on hidden states taken at `split_layer` of the shared MiniLM."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or WEIGHTS_DIR / TUNED_FILE
        manifest = self.path.parent / "manifest.json"
        if not self.path.is_file() or not manifest.is_file():
            raise ClassifierUnavailable(f"fine-tuned text model {self.path} (or its manifest) is missing")
        entry = json.loads(manifest.read_text()).get(self.path.name)
        if entry is None:
            raise ClassifierUnavailable(f"{manifest} has no entry for {self.path.name}")
        if sha256_file(self.path) != entry["sha256"]:
            raise ClassifierUnavailable(f"{self.path}: sha256 differs from {manifest}; refusing a swapped model")
        self.labels: tuple[str, ...] = tuple(entry["labels"])
        self.split_layer: int = int(entry["split_layer"])
        self._module: Any = None

    def bind(self, base_model: Any) -> None:
        """Build the top on the shared base model's layer classes and load the shipped weights."""
        if self._module is not None:
            return
        import torch
        from safetensors.torch import load_file

        module = build_top(base_model, self.split_layer, len(self.labels))
        state = {k: v.to(torch.float32) for k, v in load_file(str(self.path)).items()}
        module.load_state_dict(state)
        module.eval()
        self._module = module

    def probabilities(self, hidden: Any, mask: Any) -> np.ndarray:
        import torch

        with torch.inference_mode():
            logits = self._module(hidden, mask)
        return torch.sigmoid(logits).numpy().astype(np.float32)


def save_top(module: Any, path: Path, labels: tuple[str, ...], split_layer: int, recipe: dict[str, object]) -> None:
    """Write the top as fp16 safetensors and record it in the manifest next to it."""
    import torch
    from safetensors.torch import save_file

    state = {k: v.detach().to(torch.float16).contiguous() for k, v in module.state_dict().items()}
    save_file(state, str(path))
    manifest = path.parent / "manifest.json"
    entries = json.loads(manifest.read_text()) if manifest.exists() else {}
    entries[path.name] = {"sha256": sha256_file(path), "labels": list(labels), "split_layer": split_layer, **recipe}
    manifest.write_text(json.dumps(entries, indent=2, sort_keys=True) + "\n")
