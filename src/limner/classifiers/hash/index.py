"""Hash stage, index: exact radius search over large banks of 256-bit PDQ hashes (multi-index hashing).

Decides nothing; answers "which bank entries lie within `max_distance` bits of this hash". The answer is exact:
tests compare it with a brute-force scan that uses `PdqHasher.distance` as the oracle.

How it works (Norouzi, Punjani & Fleet, "Fast search in Hamming space with multi-index hashing", CVPR 2012):
the 256 bits are cut into `m = 16` disjoint 16-bit substrings, and one table per substring maps each 16-bit value to
the entries holding it. By the pigeonhole principle, if two hashes differ in at most `r` bits, at least one of their
16 substrings differs in at most `r // 16` bits. So a query probes, in each table, every key within `r // 16` bits of
its own substring (17 keys per table at r = 31), takes the union of those buckets as candidates and keeps the
candidates whose full distance is <= r. With 1M random hashes each bucket holds about 15 entries, so a query checks
a few thousand candidates instead of a million. Tables are CSR arrays (sorted ids + offsets), all numpy, and the
whole index saves to one `.npz` file (no pickle).

Entries added after the build go into a small delta that is scanned by brute force until `compact()` rebuilds.
Scaling past one machine (100M+) is described in docs/image_safety.md: shard by hash range, fan out, merge.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np

from limner.classifiers.hash.pdq import HASH_BITS, hex_to_words

SUBSTRINGS = 16
SUB_BITS = HASH_BITS // SUBSTRINGS  # 16
TABLE_SIZE = 1 << SUB_BITS  # 65,536 buckets per table


@dataclass(frozen=True)
class HashHit:
    position: int  # row in the index (the order hashes were added in)
    distance: int  # Hamming distance to the query


def _masks(max_flips: int) -> np.ndarray:
    """All 16-bit masks with at most `max_flips` bits set (the probe offsets for one substring)."""
    out = [0]
    for k in range(1, max_flips + 1):
        for bits in combinations(range(SUB_BITS), k):
            out.append(sum(1 << b for b in bits))
    return np.asarray(out, dtype=np.int64)


def _chunks(words: np.ndarray) -> np.ndarray:
    """(N, 4) uint64 -> (N, 16) int64 16-bit substrings, most significant first."""
    shifts = np.arange(3, -1, -1, dtype=np.uint64) * np.uint64(SUB_BITS)
    parts = (words[:, :, None] >> shifts[None, None, :]) & np.uint64(0xFFFF)
    out: np.ndarray = parts.reshape(words.shape[0], SUBSTRINGS).astype(np.int64)
    return out


def _popcount_rows(x: np.ndarray) -> np.ndarray:
    out: np.ndarray = np.bitwise_count(x).sum(axis=1, dtype=np.int64)
    return out


class HashIndex:
    """Exact Hamming-radius index over PDQ hashes; `query` agrees with a brute-force scan."""

    def __init__(self, hashes: list[str] | tuple[str, ...] = (), *, max_distance: int = 31) -> None:
        self.max_distance = max_distance
        self._words = hex_to_words(list(hashes))
        self._delta: list[np.ndarray] = []
        self._build()

    # ---- build / persist -------------------------------------------------------------------------------------
    def _build(self) -> None:
        n = self._words.shape[0]
        chunks = _chunks(self._words) if n else np.zeros((0, SUBSTRINGS), dtype=np.int64)
        self._sorted = np.empty((SUBSTRINGS, n), dtype=np.int32)
        self._offsets = np.empty((SUBSTRINGS, TABLE_SIZE + 1), dtype=np.int64)
        for j in range(SUBSTRINGS):
            col = chunks[:, j]
            self._sorted[j] = np.argsort(col, kind="stable").astype(np.int32)
            self._offsets[j, 0] = 0
            np.cumsum(np.bincount(col, minlength=TABLE_SIZE), out=self._offsets[j, 1:])
        self._mask_cache: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return int(self._words.shape[0]) + sum(int(d.shape[0]) for d in self._delta)

    def add(self, hashes: list[str] | tuple[str, ...]) -> None:
        """Append hashes; they are searchable at once (brute force) until `compact()` folds them into the tables."""
        if hashes:
            self._delta.append(hex_to_words(list(hashes)))

    def compact(self) -> None:
        if self._delta:
            self._words = np.concatenate([self._words, *self._delta])
            self._delta = []
            self._build()

    def save(self, path: Path) -> None:
        self.compact()
        np.savez(path, words=self._words, max_distance=np.int64(self.max_distance))

    @classmethod
    def load(cls, path: Path) -> HashIndex:
        with np.load(path, allow_pickle=False) as z:
            idx = cls.__new__(cls)
            idx.max_distance = int(z["max_distance"])
            idx._words = z["words"].astype(np.uint64)
            idx._delta = []
            idx._build()
            return idx

    # ---- search ------------------------------------------------------------------------------------------------
    def query(self, hash_hex: str, max_distance: int | None = None) -> list[HashHit]:
        """Every entry within `max_distance` bits (default: the configured one), nearest first, ties by position."""
        r = self.max_distance if max_distance is None else max_distance
        q = hex_to_words([hash_hex])[0]
        n_main = self._words.shape[0]
        positions, dists = self._query_main(q, r) if n_main else (np.zeros(0, np.int64), np.zeros(0, np.int64))
        if self._delta:
            delta = np.concatenate(self._delta)
            d = _popcount_rows(delta ^ q[None, :])
            keep = np.nonzero(d <= r)[0]
            positions = np.concatenate([positions, keep + n_main])
            dists = np.concatenate([dists, d[keep]])
        order = np.lexsort((positions, dists))
        return [HashHit(int(positions[i]), int(dists[i])) for i in order]

    def _query_main(self, q: np.ndarray, r: int) -> tuple[np.ndarray, np.ndarray]:
        n = self._words.shape[0]
        per_sub = r // SUBSTRINGS
        if per_sub >= 3:
            # Why: beyond 3 flips per substring the probe count (>= 697 per table) makes candidate sets approach
            # the whole bank; a straight scan is then both simpler and faster.
            return self._brute(q, r)
        masks = self._mask_cache.get(per_sub)
        if masks is None:
            masks = self._mask_cache.setdefault(per_sub, _masks(per_sub))
        qc = _chunks(q[None, :])[0]  # (16,)
        keys = qc[:, None] ^ masks[None, :]  # (16, K)
        rows = np.arange(SUBSTRINGS, dtype=np.int64)[:, None]
        starts = self._offsets[rows, keys].ravel()
        ends = self._offsets[rows, keys + 1].ravel()
        lengths = ends - starts
        total = int(lengths.sum())
        if total == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        if total > n // 2:
            return self._brute(q, r)
        # Flatten all (table, bucket) ranges into one gather: base offset of each range repeated over its length.
        flat_starts = (np.broadcast_to(rows, keys.shape).ravel() * n + starts)[lengths > 0]
        lens = lengths[lengths > 0]
        run_begin = np.cumsum(lens) - lens
        idx = np.arange(total, dtype=np.int64) - np.repeat(run_begin, lens) + np.repeat(flat_starts, lens)
        cand = np.unique(self._sorted.ravel()[idx])
        d = _popcount_rows(self._words[cand] ^ q[None, :])
        keep = d <= r
        return cand[keep].astype(np.int64), d[keep]

    def _brute(self, q: np.ndarray, r: int) -> tuple[np.ndarray, np.ndarray]:
        d = _popcount_rows(self._words ^ q[None, :])
        keep = np.nonzero(d <= r)[0]
        return keep.astype(np.int64), d[keep]

    def brute_force(self, hash_hex: str, max_distance: int | None = None) -> list[HashHit]:
        """Reference scan (for tests and benchmarks): same contract as `query`."""
        r = self.max_distance if max_distance is None else max_distance
        words = np.concatenate([self._words, *self._delta]) if self._delta else self._words
        d = _popcount_rows(words ^ hex_to_words([hash_hex])[0][None, :])
        keep = np.nonzero(d <= r)[0]
        order = np.lexsort((keep, d[keep]))
        return [HashHit(int(keep[i]), int(d[keep][i])) for i in order]
