"""HashIndex must agree exactly with a brute-force scan (PdqHasher.distance as the oracle)."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from limner.classifiers.hash.index import HashHit, HashIndex
from limner.classifiers.hash.pdq import PdqHasher


def _random_bank(n: int, seed: int) -> list[str]:
    rng = np.random.default_rng(seed)
    raw = rng.integers(0, 256, size=(n, 32), dtype=np.uint8)
    return [row.tobytes().hex() for row in raw]


def _flip(h: str, k: int, rng: np.random.Generator) -> str:
    b = bytearray(bytes.fromhex(h))
    for bit in rng.choice(256, size=k, replace=False):
        b[bit // 8] ^= 1 << (bit % 8)
    return b.hex()


def _oracle(bank: list[str], q: str, r: int) -> list[HashHit]:
    hits = [HashHit(i, PdqHasher.distance(q, h)) for i, h in enumerate(bank)]
    return sorted((h for h in hits if h.distance <= r), key=lambda h: (h.distance, h.position))


@pytest.mark.parametrize("radius", [0, 15, 31, 40, 63])
def test_query_equals_brute_force_with_planted_neighbours(radius: int) -> None:
    rng = np.random.default_rng(radius)
    bank = _random_bank(3000, seed=1)
    # Plant clusters: near copies of a few entries at distances around the radius (inside and just outside).
    for base in rng.choice(3000, size=20, replace=False):
        for k in (0, 1, max(0, radius - 1), radius, radius + 1, radius + 5):
            bank.append(_flip(bank[base], min(k, 255), rng))
    index = HashIndex(bank, max_distance=radius)
    queries = [_flip(bank[i], int(rng.integers(0, radius + 3)), rng) for i in rng.choice(len(bank), 40)]
    queries += _random_bank(10, seed=99)
    for q in queries:
        got = index.query(q)
        assert got == _oracle(bank, q, radius)
        assert got == index.brute_force(q)


def test_query_finds_planted_match_at_31_and_not_at_32() -> None:
    rng = np.random.default_rng(7)
    bank = _random_bank(5000, seed=2)
    index = HashIndex(bank, max_distance=31)
    q31 = _flip(bank[123], 31, rng)
    q32 = _flip(bank[456], 32, rng)
    assert HashHit(123, 31) in index.query(q31)
    assert all(h.position != 456 for h in index.query(q32))


def test_add_is_searchable_before_and_after_compact(tmp_path: Path) -> None:
    bank = _random_bank(1000, seed=3)
    index = HashIndex(bank[:600])
    index.add(bank[600:])
    assert len(index) == 1000
    q = bank[800]
    assert index.query(q)[0] == HashHit(800, 0)
    index.compact()
    assert index.query(q)[0] == HashHit(800, 0)
    index.save(tmp_path / "bank.npz")
    loaded = HashIndex.load(tmp_path / "bank.npz")
    assert loaded.query(q) == index.query(q)


def test_empty_index() -> None:
    index = HashIndex([])
    assert index.query("0" * 64) == []
    index.add(["0" * 64])
    assert index.query("0" * 64) == [HashHit(0, 0)]


def test_query_speed_on_100k_bank() -> None:
    # The 1M-entry p50/p95 figures are in docs/benchmarks/image_classifiers.md; 100k keeps this test fast.
    bank = _random_bank(100_000, seed=4)
    index = HashIndex(bank)
    rng = np.random.default_rng(5)
    queries = [_flip(bank[int(i)], 20, rng) for i in rng.integers(0, len(bank), 50)]
    t0 = time.perf_counter()
    for q in queries:
        assert index.query(q)
    per_query_ms = (time.perf_counter() - t0) * 1000 / len(queries)
    assert per_query_ms < 20  # generous for a loaded 2-core CI box; typically < 1 ms


def test_benchmark_helper_reports_exact_agreement() -> None:
    from limner.cli.eval_classifiers import eval_hash

    res = eval_hash(bank_sizes=(1000, 3000), n_queries=20, robust_seeds=4)
    assert [s["bank_size"] for s in res["scales"]] == [1000, 3000]
    for scale in res["scales"]:
        assert scale["exact_agreement_with_brute_force"] == "25/25"
        # 32 bytes of hash + 16 int32 ids per entry, plus 16 offset tables of 65,537 int64: a floor on residency.
        assert scale["index_resident_mb"] >= (scale["bank_size"] * (32 + 64) + 16 * 65537 * 8) / 2**20 - 0.1
        assert scale["query_cpu_ms"]["p50"] > 0
    assert res["pdq_robustness_procedural"]["jpeg_q75"]["match_rate"] == 1.0
