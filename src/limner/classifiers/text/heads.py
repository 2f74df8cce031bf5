"""Prompt gate / chat gate, model weights: small logistic heads over MiniLM embeddings, pinned by sha256.

Decides nothing. A head file is a safetensors file with `W` (labels x features), `b` (labels) and, where the
features are standardised, `mu`/`sigma`; its label order and feature recipe sit in `manifest.json` next to it,
together with the file's sha256. A file whose hash differs from the manifest is refused (no silent model swap),
and no pickle is ever read.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from limner.classifiers.base import ClassifierUnavailable

WEIGHTS_DIR = Path(__file__).parent / "weights"


def sha256_file(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@dataclass(frozen=True)
class LinearHeads:
    labels: tuple[str, ...]
    W: np.ndarray  # (L, D)
    b: np.ndarray  # (L,)
    sha256: str = ""

    def scores(self, x: np.ndarray) -> np.ndarray:
        """(N, D) features -> (N, L) probabilities."""
        z = x @ self.W.T + self.b
        out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        return out

    def save(self, path: Path, manifest: Path, extra: dict[str, object] | None = None) -> None:
        from safetensors.numpy import save_file

        save_file(
            {"W": np.ascontiguousarray(self.W, dtype=np.float32), "b": np.ascontiguousarray(self.b, dtype=np.float32)},
            str(path),
        )
        entries = json.loads(manifest.read_text()) if manifest.exists() else {}
        entries[path.name] = {"sha256": sha256_file(path), "labels": list(self.labels), **(extra or {})}
        manifest.write_text(json.dumps(entries, indent=2, sort_keys=True) + "\n")


@dataclass(frozen=True)
class MLPHeads:
    """One hidden ReLU layer, sigmoid outputs (sklearn MLPClassifier in multi-label mode, exported)."""

    labels: tuple[str, ...]
    W1: np.ndarray  # (H, D)
    b1: np.ndarray  # (H,)
    W2: np.ndarray  # (L, H)
    b2: np.ndarray  # (L,)
    sha256: str = ""

    def scores(self, x: np.ndarray) -> np.ndarray:
        h = np.maximum(x @ self.W1.T + self.b1, 0.0)
        z = h @ self.W2.T + self.b2
        out: np.ndarray = 1.0 / (1.0 + np.exp(-np.clip(z, -30, 30)))
        return out

    def save(self, path: Path, manifest: Path, extra: dict[str, object] | None = None) -> None:
        from safetensors.numpy import save_file

        # ascontiguousarray: safetensors writes the raw buffer, so a transposed (Fortran-order) view would be
        # saved in the wrong layout.
        save_file(
            {k: np.ascontiguousarray(getattr(self, k), dtype=np.float32) for k in ("W1", "b1", "W2", "b2")}, str(path)
        )
        entries = json.loads(manifest.read_text()) if manifest.exists() else {}
        entries[path.name] = {"sha256": sha256_file(path), "labels": list(self.labels), **(extra or {})}
        manifest.write_text(json.dumps(entries, indent=2, sort_keys=True) + "\n")


def load_heads(path: Path, manifest: Path | None = None) -> LinearHeads | MLPHeads:
    """Load a head file after checking its sha256 against the manifest beside it."""
    from safetensors.numpy import load_file

    manifest = manifest or path.parent / "manifest.json"
    if not path.exists() or not manifest.exists():
        raise ClassifierUnavailable(f"missing head weights or manifest: {path.name}")
    entry = json.loads(manifest.read_text()).get(path.name)
    if entry is None:
        raise ClassifierUnavailable(f"{path.name} is not listed in {manifest.name}")
    digest = sha256_file(path)
    if digest != entry["sha256"]:
        raise ClassifierUnavailable(f"{path.name}: sha256 {digest[:12]} does not match the manifest")
    t = load_file(str(path))
    if "W1" in t:
        return MLPHeads(tuple(entry["labels"]), t["W1"], t["b1"], t["W2"], t["b2"], digest)
    return LinearHeads(tuple(entry["labels"]), t["W"], t["b"], digest)
