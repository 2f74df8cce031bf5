"""Image classifiers, shared per-image result cache: compute each model once per image within a request.

The output gate runs `ocr_text` and then the reasoning monitor, and the monitor re-reads the same output with its own
open_nsfw, OCR and person models (and re-analyses the uploads the prompt gate already analysed). Every one of those
results is a deterministic function of the image bytes and the model's parameters, so a small content-keyed LRU lets
the second reader reuse the first one's result: the same answer, without paying for OCR or the age model twice.

Keys are (namespace, parameters, SHA-256 of the bytes): a different image or a differently configured model never
shares an entry. Entries are small (scores, text, face boxes), and the cache holds only the last few images, so it
cannot grow with traffic.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")

_MAX_ENTRIES = 64  # a few requests' worth of outputs and uploads, each read by up to three models
_entries: OrderedDict[tuple[Hashable, ...], object] = OrderedDict()
_lock = threading.Lock()
_stats = {"hits": 0, "misses": 0}


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cached(namespace: str, params: Hashable, data: bytes, compute: Callable[[], T]) -> T:
    """Return compute() for (namespace, params, data), reusing a stored result for identical bytes and params."""
    key = (namespace, params, digest(data))
    with _lock:
        if key in _entries:
            _entries.move_to_end(key)
            _stats["hits"] += 1
            return _entries[key]  # type: ignore[return-value]
        _stats["misses"] += 1
    # Computed outside the lock: two threads racing on the same new image both compute, and both get the same value.
    value = compute()
    with _lock:
        _entries[key] = value
        _entries.move_to_end(key)
        while len(_entries) > _MAX_ENTRIES:
            _entries.popitem(last=False)
    return value


def clear() -> None:
    """Forget every stored result (benchmarks call this so that each timed image pays for its own models)."""
    with _lock:
        _entries.clear()
        _stats["hits"] = _stats["misses"] = 0


def stats() -> dict[str, int]:
    with _lock:
        return {**_stats, "entries": len(_entries)}
