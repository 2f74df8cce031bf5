"""The per-image result cache: one computation per (model, parameters, bytes), bounded in size."""

from __future__ import annotations

import threading
import time

import pytest

from limner.classifiers.image import cache


def test_same_bytes_and_params_compute_once_others_do_not_share() -> None:
    cache.clear()
    calls: list[str] = []

    def compute(tag: str) -> str:
        calls.append(tag)
        return tag

    assert cache.cached("m", (1,), b"img", lambda: compute("a")) == "a"
    assert cache.cached("m", (1,), b"img", lambda: compute("b")) == "a"  # stored result, no second call
    assert cache.cached("m", (2,), b"img", lambda: compute("c")) == "c"  # other parameters: computed
    assert cache.cached("other", (1,), b"img", lambda: compute("d")) == "d"  # other model: computed
    assert cache.cached("m", (1,), b"img2", lambda: compute("e")) == "e"  # other bytes: computed
    assert calls == ["a", "c", "d", "e"]
    assert cache.stats()["hits"] == 1 and cache.stats()["misses"] == 4


def test_cache_is_bounded() -> None:
    cache.clear()
    for i in range(500):
        cache.cached("m", (), str(i).encode(), lambda i=i: i)
    assert cache.stats()["entries"] <= 64
    cache.clear()
    assert cache.stats() == {"hits": 0, "misses": 0, "waits": 0, "entries": 0}


def test_concurrent_readers_of_a_new_image_wait_for_one_computation() -> None:
    """Single flight: a parallel gate's monitor asks for the OCR result another thread is computing right now."""
    cache.clear()
    calls: list[int] = []
    started = threading.Event()

    def slow() -> str:
        calls.append(1)
        started.set()
        time.sleep(0.2)
        return "text"

    results: list[str] = []
    first = threading.Thread(target=lambda: results.append(cache.cached("ocr", (), b"img", slow)))
    first.start()
    assert started.wait(5)
    results.append(cache.cached("ocr", (), b"img", slow))  # arrives mid-computation
    first.join()
    assert results == ["text", "text"] and calls == [1]
    assert cache.stats()["waits"] == 1


def test_a_failed_computation_reaches_its_waiters_and_is_not_stored() -> None:
    cache.clear()

    def broken() -> str:
        raise RuntimeError("model missing")

    with pytest.raises(RuntimeError, match="model missing"):
        cache.cached("ocr", (), b"img", broken)
    assert cache.cached("ocr", (), b"img", lambda: "ok") == "ok"  # the next reader computes again
