"""In-memory nearest-neighbour index over bank face embeddings: a cache rebuilt from SQLite.

Exact Euclidean search (FAISS ``IndexFlatL2``, i.e. a brute-force inner-product scan) up to
``HNSW_MIN_ROWS`` faces, which takes a few milliseconds per query at that size; beyond it an HNSW
graph (approximate; recall measured in docs/faces.md). ``LinearFaceIndex`` is the numpy reference.
"""

from __future__ import annotations

import numpy as np

HNSW_MIN_ROWS = 1_000_000


class LinearFaceIndex:
    """Reference: all distances with numpy."""

    def __init__(self, embeddings: np.ndarray) -> None:
        self.embeddings = np.ascontiguousarray(embeddings, np.float32)

    def __len__(self) -> int:
        return len(self.embeddings)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(distances, rows), each (Q, min(k, n)), closest first; distances are Euclidean."""
        from imgcheck.faces.embed import distances

        q = np.atleast_2d(np.asarray(queries, np.float32))
        k = min(k, len(self))
        if not k:
            return np.zeros((len(q), 0), np.float32), np.zeros((len(q), 0), np.int64)
        d = distances(q, self.embeddings)
        rows = np.argsort(d, axis=1, kind="stable")[:, :k]
        return np.take_along_axis(d, rows, 1), rows.astype(np.int64)


class FaissFaceIndex:
    """FAISS: exact flat L2 for up to ``HNSW_MIN_ROWS`` rows, HNSW beyond."""

    def __init__(self, embeddings: np.ndarray, hnsw: bool | None = None) -> None:
        import faiss

        emb = np.ascontiguousarray(embeddings, np.float32)
        self._n = len(emb)
        dim = emb.shape[1] if emb.ndim == 2 and emb.shape[1] else 128
        self.hnsw = self._n >= HNSW_MIN_ROWS if hnsw is None else bool(hnsw)
        if self.hnsw:
            self._index = faiss.IndexHNSWFlat(dim, 32)
            self._index.hnsw.efConstruction = 80
            self._index.hnsw.efSearch = 128
        else:
            self._index = faiss.IndexFlatL2(dim)
        if self._n:
            self._index.add(emb)

    def __len__(self) -> int:
        return self._n

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        q = np.ascontiguousarray(np.atleast_2d(queries), np.float32)
        k = min(k, self._n)
        if not k:
            return np.zeros((len(q), 0), np.float32), np.zeros((len(q), 0), np.int64)
        d2, rows = self._index.search(q, k)
        return np.sqrt(np.clip(d2, 0, None)), rows.astype(np.int64)
