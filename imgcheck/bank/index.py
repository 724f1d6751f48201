"""In-memory Hamming indexes over bank hashes: a cache rebuilt from SQLite, never the truth.

The index stores row numbers; ``ids`` maps them to bank entry ids. ``FaissHammingIndex`` does an
exact range search with FAISS binary indexes (flat scan with SIMD popcount; multi-index hashing when
the bank is large); ``LinearHammingIndex`` is the numpy reference both are tested against.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imgcheck.hashing.base import POPCOUNT as _POPCOUNT

#: banks larger than this use multi-index hashing (kept exact by the probe width, see range_search).
#: Measured (benchmarks/index.py): at 1M hashes the flat scan was faster (14 vs 21 ms/query) and used
#: 46 vs 319 bytes per hash; at 10M the flat scan took 262 ms/query. Multi-hash is kept for larger banks.
MULTIHASH_MIN_ROWS = 20_000_000
#: bits per multi-index-hashing chunk
CHUNK_BITS = 16


@dataclass(frozen=True)
class Hit:
    row: int
    distance: int


class LinearHammingIndex:
    """Reference implementation: numpy popcount over every row."""

    def __init__(self, bits: np.ndarray) -> None:
        self.bits = np.ascontiguousarray(bits, dtype=np.uint8)

    def __len__(self) -> int:
        return len(self.bits)

    def range_search(self, queries: np.ndarray, radius: int) -> list[list[Hit]]:
        out: list[list[Hit]] = []
        for q in np.atleast_2d(queries):
            if not len(self.bits):
                out.append([])
                continue
            d = _POPCOUNT[np.bitwise_xor(self.bits, q[None, :])].sum(axis=1, dtype=np.int32)
            rows = np.flatnonzero(d <= radius)
            out.append([Hit(int(r), int(d[r])) for r in rows[np.argsort(d[rows], kind="stable")]])
        return out


class FaissHammingIndex:
    """Exact Hamming range search with FAISS binary indexes."""

    def __init__(self, bits: np.ndarray, multihash: bool | None = None) -> None:
        import faiss

        bits = np.ascontiguousarray(bits, dtype=np.uint8)
        self.nbits = bits.shape[1] * 8 if bits.size else 0
        self._n = len(bits)
        if multihash is None:
            multihash = self._n >= MULTIHASH_MIN_ROWS
        self.multihash = bool(multihash) and self.nbits >= 64
        if self._n == 0:
            self._index = None
            return
        if self.multihash:
            # 256-bit PDQ split into 16 chunks of 16 bits; searched with a pigeonhole radius so it stays
            # exact. 16-bit chunks keep the probe small (radius 31 -> 1 flip per chunk, 17 buckets each),
            # which measured faster than 8 chunks of 32 bits (3 flips, 5,489 buckets each)
            self._index = faiss.IndexBinaryMultiHash(self.nbits, self.nbits // CHUNK_BITS, CHUNK_BITS)
        else:
            self._index = faiss.IndexBinaryFlat(self.nbits)
        self._index.add(bits)

    def __len__(self) -> int:
        return self._n

    def range_search(self, queries: np.ndarray, radius: int) -> list[list[Hit]]:
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.uint8)
        if self._index is None:
            return [[] for _ in queries]
        if self.multihash:
            # pigeonhole: a hash within `radius` differs in at most radius // nhash bits in some chunk,
            # so probing every bucket within that many flips of each chunk finds all of them
            self._index.nflip = int(radius) // self._index.nhash
        # FAISS returns distances strictly below the radius it is given
        lims, dist, rows = self._index.range_search(queries, int(radius) + 1)
        out: list[list[Hit]] = []
        for i in range(len(queries)):
            sl = slice(lims[i], lims[i + 1])
            pairs = sorted(zip(dist[sl].tolist(), rows[sl].tolist()))
            out.append([Hit(int(r), int(d)) for d, r in pairs])
        return out


class DescriptorVoteIndex:
    """Which bank images share the most local-feature descriptors with a query (candidate generation).

    All bank ORB descriptors sit in one FAISS binary flat index; each query descriptor votes for the
    entry of its nearest bank descriptor when that is within ``max_distance`` bits and clearly nearer
    than the second nearest (Lowe's ratio test over the whole bank, so texture that many images share
    casts no vote). Votes only pick which few entries get the (costly) geometric verification; they
    decide nothing on their own.
    """

    def __init__(self, entry_ids: np.ndarray, descriptors: np.ndarray) -> None:
        import faiss

        self.entry_ids = np.asarray(entry_ids, np.int64)
        self._index = faiss.IndexBinaryFlat(256)
        if len(descriptors):
            self._index.add(np.ascontiguousarray(descriptors, dtype=np.uint8))

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def vote(self, descriptors: np.ndarray, max_distance: int = 48, ratio: float = 0.8) -> dict[int, int]:
        """Entry id -> number of query descriptors whose nearest bank descriptor belongs to it."""
        if not len(self) or not len(descriptors):
            return {}
        dist, rows = self._index.search(np.ascontiguousarray(descriptors, dtype=np.uint8), 2)
        second = dist[:, 1] if len(self) > 1 else np.full(len(dist), 256)
        ok = (dist[:, 0] <= max_distance) & (rows[:, 0] >= 0) & (dist[:, 0] < ratio * second)
        ids, counts = np.unique(self.entry_ids[rows[ok, 0]], return_counts=True)
        return {int(i): int(c) for i, c in zip(ids, counts)}
