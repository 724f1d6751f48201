"""The bank of known images: SQLite truth (store) plus in-memory index caches (index)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imgcheck.bank.face_index import FaissFaceIndex
from imgcheck.bank.index import DescriptorVoteIndex, FaissHammingIndex, Hit
from imgcheck.bank.store import BankStore, Entry, FaceRow, NewEntry
from imgcheck.hashing.base import Hash


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


class _FaceTable:
    def __init__(self, rows: list[FaceRow]) -> None:
        self.entry_ids = [r.entry_id for r in rows]
        self.face_indexes = [r.face_index for r in rows]
        emb = np.stack([r.embedding for r in rows]) if rows else np.zeros((0, 128), np.float32)
        self.index = FaissFaceIndex(emb)


class _HashTable:
    def __init__(self, ids: np.ndarray, bits: np.ndarray, variants: list[str]) -> None:
        self.ids = ids
        self.variants = variants
        self.index = FaissHammingIndex(bits) if len(ids) else None


class Bank:
    """A bank opened from a SQLite file. Index caches are rebuilt when the store's generation moves."""

    def __init__(self, path: str | Path) -> None:
        self.store = BankStore(path)
        self.path = self.store.path
        self._lock = threading.Lock()
        self._tables: dict[str, tuple[int, _HashTable]] = {}
        self._face_tables: dict[str, tuple[int, _FaceTable]] = {}
        self._votes: dict[str, tuple[int, DescriptorVoteIndex]] = {}

    def close(self) -> None:
        self.store.close()

    def _table(self, hash_type: str) -> _HashTable:
        gen = self.store.generation
        with self._lock:
            cached = self._tables.get(hash_type)
            if cached is None or cached[0] != gen:
                ids, bits, variants = self.store.hash_rows(hash_type)
                cached = (gen, _HashTable(ids, bits, variants))
                self._tables[hash_type] = cached
            return cached[1]

    def search_hashes(self, queries: list[Hash], radius: int) -> list[HashHit]:
        """Every (bank entry, query hash) pair within ``radius``; one best hit per entry, closest first."""
        if not queries:
            return []
        table = self._table(queries[0].kind)
        if table.index is None:
            return []
        q = np.stack([np.frombuffer(h.bits, np.uint8) for h in queries])
        best: dict[int, HashHit] = {}
        for qi, hits in enumerate(table.index.range_search(q, radius)):
            for hit in hits:
                eid = int(table.ids[hit.row])
                cur = best.get(eid)
                if cur is None or hit.distance < cur.distance:
                    best[eid] = HashHit(eid, hit.distance, table.variants[hit.row], qi)
        return sorted(best.values(), key=lambda h: (h.distance, h.entry_id))

    def _face_table(self, model: str) -> _FaceTable:
        gen = self.store.generation
        with self._lock:
            cached = self._face_tables.get(model)
            if cached is None or cached[0] != gen:
                cached = (gen, _FaceTable(self.store.face_rows(model)))
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

    def descriptor_votes(self, kind: str, descriptors: np.ndarray, max_distance: int = 48) -> dict[int, int]:
        """Entry id -> local-feature votes of the query descriptors (see DescriptorVoteIndex)."""
        from imgcheck.hashing.local import Features

        gen = self.store.generation
        with self._lock:
            cached = self._votes.get(kind)
            if cached is None or cached[0] != gen:
                ids: list[np.ndarray] = []
                descs: list[np.ndarray] = []
                for entry_id, blob in self.store.feature_rows(kind):
                    f = Features.from_bytes(blob)
                    ids.append(np.full(len(f), entry_id, np.int64))
                    descs.append(f.descriptors)
                index = DescriptorVoteIndex(np.concatenate(ids) if ids else np.zeros(0, np.int64),
                                            np.concatenate(descs) if descs else np.zeros((0, 32), np.uint8))
                cached = (gen, index)
                self._votes[kind] = cached
        return cached[1].vote(descriptors, max_distance)

    def get(self, entry_id: int) -> Entry | None:
        return self.store.get(entry_id)


__all__ = ["Bank", "BankStore", "Entry", "FaceHit", "FaceRow", "HashHit", "Hit", "NewEntry"]
