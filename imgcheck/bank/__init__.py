"""The bank of known images: SQLite truth (store) plus in-memory index caches (index)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imgcheck.bank.face_index import FaissFaceIndex
from imgcheck.bank.image_index import ImageIndex
from imgcheck.bank.index import Hit
from imgcheck.bank.store import BankStore, Entry, FaceRow, NewEntry
from imgcheck.faces.embed import EMBEDDING_TYPES
from imgcheck.hashing import HASH_TYPES
from imgcheck.hashing.base import Hash
from imgcheck.settings import KeywordVote


@dataclass(frozen=True)
class HashHit:
    entry_id: int
    distance: int
    bank_variant: str
    query_index: int


@dataclass(frozen=True)
class FaceHit:
    """A bank face near a query face (Euclidean distance between embeddings)."""

    entry_id: int
    face_index: int
    distance: float


#: index class of each ``EmbeddingType.index`` name (an embedding type names its index; it cannot
#: import the bank)
FACE_INDEX_CLASSES: dict[str, type[FaissFaceIndex]] = {"faiss_l2": FaissFaceIndex}


class _FaceTable:
    def __init__(self, rows: list[FaceRow], model: str) -> None:
        kind = EMBEDDING_TYPES.get(model)
        self.entry_ids = [r.entry_id for r in rows]
        self.face_indexes = [r.face_index for r in rows]
        dim = kind.dim if kind is not None else 128
        emb = np.stack([r.embedding for r in rows]) if rows else np.zeros((0, dim), np.float32)
        self.index = FACE_INDEX_CLASSES[kind.index if kind is not None else "faiss_l2"](emb)


class Bank:
    """A bank opened from a SQLite file. Index caches follow the store's generation; the known-image
    index is saved beside the file (``<bank>.index/``, see image_index.py) and memory-mapped."""

    def __init__(self, path: str | Path, index_folder: str | Path | None = None) -> None:
        self.store = BankStore(path)
        self.path = self.store.path
        self._index_folder = Path(index_folder) if index_folder is not None else None
        self._lock = threading.Lock()
        self._face_tables: dict[str, tuple[int, _FaceTable]] = {}
        self._images: ImageIndex | None = None

    def close(self) -> None:
        self.store.close()

    @property
    def index_folder(self) -> Path | None:
        """Where the known-image index is saved: ``index_folder`` if given, else ``<bank>.index``."""
        if self._index_folder is not None:
            return self._index_folder
        return None if self.path == ":memory:" else Path(self.path + ".index")

    def image_index(self) -> ImageIndex:
        """The known-image index, brought up to the store's generation."""
        from imgcheck.local_features import FEATURE_KIND

        with self._lock:
            if self._images is None:
                self._images = ImageIndex(self.store, self.index_folder, FEATURE_KIND)
            self._images.refresh()
            return self._images

    def reindex(self) -> ImageIndex:
        """Rebuild the saved known-image index from SQLite now."""
        index = self.image_index()
        with self._lock:
            index.rebuild()
        return index

    def search_hashes(self, queries: list[Hash], radius: int, scan_radius: int | None = None,
                      scan_rows: int = 0, scan_only: list[bool] | None = None) -> list[HashHit]:
        """Every bank entry with a hash within ``radius`` of a query; one best hit per entry, closest
        first. Candidates come from the index; each is confirmed against the hashes SQLite holds.
        ``scan_radius``: the radius used instead in index parts of at most ``scan_rows`` hashes;
        ``scan_only``: which queries are looked up in those scanned parts only."""
        if not queries:
            return []
        kind = queries[0].kind
        compare = HASH_TYPES[kind].compare if kind in HASH_TYPES else Hash.__sub__
        q = np.stack([np.frombuffer(h.bits, np.uint8) for h in queries])
        hits: list[HashHit] = []
        candidates = self.image_index().hash_candidates(
            kind, q, radius, scan_radius, scan_rows,
            None if scan_only is None else np.asarray(scan_only, bool))
        if scan_radius is not None:
            radius = max(radius, scan_radius)  # the confirmation accepts what either search found
        for eid in candidates:
            best: HashHit | None = None
            for variant, h in self.store.hashes_of(eid):
                if h.kind != kind or len(h.bits) != q.shape[1]:
                    continue
                for qi, qh in enumerate(queries):
                    d = compare(qh, h)
                    if d <= radius and (best is None or (d, qi) < (best.distance, best.query_index)):
                        best = HashHit(eid, d, variant, qi)
            if best is not None:
                hits.append(best)
        return sorted(hits, key=lambda h: (h.distance, h.entry_id))

    def keyword_candidates(self, descriptors: list[np.ndarray], k: int,
                           vote: KeywordVote | None = None) -> list[tuple[int, float, float]]:
        """The ``k`` entries the query's ORB descriptors vote for most (scale.KeywordIndex):
        (entry id, score, share of the score from the mirrored query)."""
        return self.image_index().keyword_candidates(descriptors, k, vote)

    def _face_table(self, model: str) -> _FaceTable:
        gen = self.store.generation
        with self._lock:
            cached = self._face_tables.get(model)
            if cached is None or cached[0] != gen:
                cached = (gen, _FaceTable(self.store.face_rows(model), model))
                self._face_tables[model] = cached
            return cached[1]

    def face_count(self, model: str) -> int:
        return len(self._face_table(model).index)

    def search_faces(self, embeddings: np.ndarray, model: str, k: int = 20) -> list[list[FaceHit]]:
        """For each query embedding, the ``k`` nearest bank faces of ``model``, closest first."""
        table = self._face_table(model)
        dist, rows = table.index.search(np.atleast_2d(embeddings), k)
        return [[FaceHit(table.entry_ids[r], table.face_indexes[r], float(d))
                 for d, r in zip(drow, rrow) if r >= 0] for drow, rrow in zip(dist, rows)]

    def get(self, entry_id: int) -> Entry | None:
        return self.store.get(entry_id)


__all__ = ["Bank", "BankStore", "Entry", "FaceHit", "FaceRow", "HashHit", "Hit", "NewEntry"]
