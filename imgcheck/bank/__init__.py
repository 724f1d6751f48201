"""The bank of known images: SQLite truth (store) plus in-memory index caches (index)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imgcheck.bank.index import FaissHammingIndex, Hit
from imgcheck.bank.store import BankStore, Entry, FaceRow, NewEntry
from imgcheck.hashing.base import Hash


@dataclass(frozen=True)
class HashHit:
    entry_id: int
    distance: int
    bank_variant: str
    query_index: int


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

    def get(self, entry_id: int) -> Entry | None:
        return self.store.get(entry_id)


__all__ = ["Bank", "BankStore", "Entry", "FaceRow", "HashHit", "Hit", "NewEntry"]
