"""The per-image result cache: one computation per (model, parameters, bytes), bounded in size."""

from __future__ import annotations

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
    assert cache.stats() == {"hits": 0, "misses": 0, "entries": 0}
