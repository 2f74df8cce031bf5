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
from concurrent.futures import Future
from typing import TypeVar

T = TypeVar("T")

_MAX_ENTRIES = 64  # a few requests' worth of outputs and uploads, each read by up to three models
_entries: OrderedDict[tuple[Hashable, ...], object] = OrderedDict()
_lock = threading.Lock()
_in_flight: dict[tuple[Hashable, ...], Future[object]] = {}
_stats = {"hits": 0, "misses": 0, "waits": 0}


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cached(namespace: str, params: Hashable, data: bytes, compute: Callable[[], T]) -> T:
    """Return compute() for (namespace, params, data), reusing a stored result for identical bytes and params.

    Single-flight: when a gate runs its classifiers in parallel, the monitor asks for the OCR or nsfw result that
    another thread is computing at that moment; it waits for that computation instead of running the model twice.
    """
    key = (namespace, params, digest(data))
    with _lock:
        if key in _entries:
            _entries.move_to_end(key)
            _stats["hits"] += 1
            return _entries[key]  # type: ignore[return-value]
        pending = _in_flight.get(key)
        owner = pending is None
        if owner:
            pending = _in_flight[key] = Future()
            _stats["misses"] += 1
        else:
            _stats["waits"] += 1
    assert pending is not None
    if not owner:
        return pending.result()  # type: ignore[no-any-return]  # re-raises the owner's exception, if any
    try:
        value = compute()
    except BaseException as exc:
        with _lock:
            _in_flight.pop(key, None)
        pending.set_exception(exc)
        raise
    with _lock:
        _entries[key] = value
        _entries.move_to_end(key)
        while len(_entries) > _MAX_ENTRIES:
            _entries.popitem(last=False)
        _in_flight.pop(key, None)
    pending.set_result(value)
    return value


def clear() -> None:
    """Forget every stored result (benchmarks call this so that each timed image pays for its own models)."""
    with _lock:
        _entries.clear()
        _stats["hits"] = _stats["misses"] = _stats["waits"] = 0


def stats() -> dict[str, int]:
    with _lock:
        return {**_stats, "entries": len(_entries)}
