"""The known-image index of one bank: a saved, memory-mapped part plus an in-memory delta.

The saved part (``<bank>.index/``) covers the bank as it was when it was built (``manifest.json``:
the store generation, the largest entry id and the build time). Entries added since (a larger id,
or an ``added_at`` at or after the build time, for an id SQLite reused) form the delta, read from
SQLite and indexed in memory whenever the generation moves; that is cheap because the delta is
small. When the delta outgrows ``REBUILD_SHARE`` of the saved part, or the saved part is missing or
of another format, the saved part is rebuilt from SQLite and replaced atomically.

Nothing here decides a match: every hash hit is confirmed against the hashes SQLite holds for
the entry, and keyword candidates go to ORB verification, so a stale or damaged index can lose a
candidate but never invent a match. Removed entries drop out when SQLite no longer has them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imgcheck.bank import scale
from imgcheck.bank.store import BankStore
from imgcheck.hashing import HASH_TYPES
from imgcheck.hashing.base import MIN_HASH_SIDE
from imgcheck.settings import KeywordVote

log = logging.getLogger(__name__)

#: pictures with a side under this are not indexed (they never match on a hash: ``hashing.picture_gate``)
MIN_SIDE = MIN_HASH_SIDE


def hash_kinds() -> tuple[str, ...]:
    """The hash types indexed: every type of ``HASH_TYPES``, in its order."""
    return tuple(HASH_TYPES)


def quality_gates() -> dict[str, int]:
    """Type -> lowest quality indexed: a picture one of them gates is not indexed at all."""
    return {k: t.min_quality for k, t in HASH_TYPES.items() if t.min_quality is not None}
#: index class of each ``HashType.index`` name (a hash type names its index; it cannot import the bank)
INDEX_CLASSES: dict[str, type[scale.MultiIndexHash]] = {"multi_index_hamming": scale.MultiIndexHash}
#: rebuild the saved part when the delta holds more than this share of it (and at least MIN_DELTA)
REBUILD_SHARE = 0.1
MIN_DELTA = 256


@dataclass
class Part:
    """One searchable part: per hash kind a multi-index table and its row -> entry id map, and the
    keyword index of ORB words with its row -> entry id map."""

    hashes: dict[str, tuple[scale.MultiIndexHash, np.ndarray]]
    keywords: scale.KeywordIndex
    keyword_ids: np.ndarray

    def arrays(self) -> dict[str, np.ndarray]:
        out: dict[str, np.ndarray] = {}
        for kind, (table, ids) in self.hashes.items():
            out.update({f"{kind}_{k}": v for k, v in table.arrays().items()})
            out[f"{kind}_ids"] = ids
        out.update({f"kw_{k}": v for k, v in self.keywords.arrays().items()})
        out["kw_ids"] = self.keyword_ids
        return out

    @classmethod
    def from_arrays(cls, a: dict[str, np.ndarray]) -> Part:
        hashes = {k: (_index_class(k)(a[f"{k}_bits"], a[f"{k}_order"], a[f"{k}_offsets"]), a[f"{k}_ids"])
                  for k in hash_kinds()}
        keywords = scale.KeywordIndex(a["kw_words"], a["kw_starts"], a["kw_postings"], a["kw_embeddings"],
                                      len(a["kw_ids"]))
        return cls(hashes, keywords, a["kw_ids"])

    @staticmethod
    def names() -> tuple[str, ...]:
        return tuple(f"{k}_{n}" for k in hash_kinds() for n in ("bits", "order", "offsets", "ids")) + (
            "kw_words", "kw_starts", "kw_postings", "kw_embeddings", "kw_ids")

    @property
    def entries(self) -> int:
        return max([len(self.keyword_ids)] + [len(ids) for _, ids in self.hashes.values()])


def in_shard(entry_ids: np.ndarray, shard: tuple[int, int] | None) -> np.ndarray:
    """Which entries shard ``(i, n)`` holds: those with ``entry_id % n == i`` (all when None)."""
    ids = np.asarray(entry_ids, np.int64)
    return np.ones(len(ids), bool) if shard is None else ids % shard[1] == shard[0]


def build_part(store: BankStore, feature_kind: str, after_id: int = 0, added_since: str | None = None,
               shard: tuple[int, int] | None = None) -> Part:
    """Index the entries past ``after_id`` (or added at or after ``added_since``) from SQLite; with
    ``shard=(i, n)`` only those of shard i of n (a cluster node's part, see docs/bank_scale.md)."""
    from imgcheck.local_features import Features

    hashes = {}
    gates = quality_gates()
    for kind in hash_kinds():
        ids, bits = store.index_hash_rows(kind, gates, MIN_SIDE, after_id, added_since)
        keep = in_shard(ids, shard)
        hashes[kind] = (ids[keep], bits[keep] if len(bits) else bits)
    features: list[tuple[int, np.ndarray]] = []
    for entry_id, blob in store.index_feature_rows(feature_kind, after_id, added_since):
        if shard is not None and entry_id % shard[1] != shard[0]:
            continue
        try:
            features.append((entry_id, Features.from_bytes(blob).descriptors))
        except (ValueError, Exception):  # noqa: BLE001 - a damaged blob loses its candidates only
            continue
    return make_part(hashes, features)


def _index_class(kind: str) -> type[scale.MultiIndexHash]:
    return INDEX_CLASSES[HASH_TYPES[kind].index]


def make_part(hashes: dict[str, tuple[np.ndarray, np.ndarray]], features: list[tuple[int, np.ndarray]]) -> Part:
    """A part from (entry ids, packed bits) per hash kind and (entry id, ORB descriptors) pairs."""
    tables = {}
    for kind in hash_kinds():
        nbytes = HASH_TYPES[kind].nbytes
        ids, bits = hashes.get(kind, (np.zeros(0, np.int64), np.zeros((0, nbytes), np.uint8)))
        if not len(ids) or bits.shape[1] != nbytes:  # imported hashes of another length: not indexed
            ids, bits = np.zeros(0, np.int64), np.zeros((0, nbytes), np.uint8)
        tables[kind] = (_index_class(kind).build(bits), np.asarray(ids, np.int64))
    words = [scale.bank_words(d) for _, d in features]
    return Part(tables, scale.KeywordIndex.build(words), np.asarray([e for e, _ in features], np.int64))


class ImageIndex:
    """Candidates for the known_image check, from the saved part and the delta."""

    def __init__(self, store: BankStore, folder: Path | None, feature_kind: str) -> None:
        self.store = store
        self.folder = folder
        self.feature_kind = feature_kind
        self.saved: Part | None = None
        self.manifest: scale.Manifest | None = None
        self.delta: Part | None = None
        self.generation = -1
        if folder is not None:
            opened = scale.open_arrays(folder, Part.names())
            if opened is not None:
                self.manifest, arrays = opened
                self.saved = Part.from_arrays(arrays)

    def parts(self) -> list[Part]:
        return [p for p in (self.saved, self.delta) if p is not None]

    def refresh(self) -> None:
        """Bring the index up to the store's generation (called under the bank's lock)."""
        gen = self.store.generation
        if gen == self.generation:
            return
        if self.manifest is None or self.manifest.generation > gen or self.saved is None:
            self.rebuild()
        elif self.manifest.generation != gen:
            self.delta = build_part(self.store, self.feature_kind, self.manifest.max_entry_id,
                                    self.manifest.built_at or None)
            if self.delta.entries > max(MIN_DELTA, REBUILD_SHARE * self.manifest.entries):
                self.rebuild()
        else:
            self.delta = None
        self.generation = gen

    def rebuild(self) -> None:
        gen = self.store.generation
        built_at = self.store.now()
        max_id = self.store.max_entry_id()
        part = build_part(self.store, self.feature_kind)
        manifest = scale.Manifest(gen, max_id, part.entries, scale.WORD_POSITIONS, built_at)
        if self.folder is not None:
            try:
                scale.save_arrays(self.folder, part.arrays(), manifest)
                opened = scale.open_arrays(self.folder, Part.names())
                if opened is not None:
                    manifest, arrays = opened
                    part = Part.from_arrays(arrays)
            except OSError as exc:  # a read-only folder: keep the index in memory
                log.warning("cannot save the bank index in %s: %s", self.folder, exc)
        self.saved, self.manifest, self.delta = part, manifest, None
        self.generation = gen

    # -- queries ---------------------------------------------------------------------------------
    def hash_candidates(self, kind: str, queries: np.ndarray, radius: int, scan_radius: int | None = None,
                        scan_rows: int = 0,
                        scan_only: np.ndarray | None = None) -> dict[int, tuple[int, int]]:
        """Entry id -> (distance, query index) of its nearest indexed hash within ``radius`` (within
        ``scan_radius`` in parts of at most ``scan_rows`` hashes, see MultiIndexHash.search).
        ``scan_only``: a mask of the queries looked up only in such scanned parts."""
        best: dict[int, tuple[int, int]] = {}
        for part in self.parts():
            table, ids = part.hashes.get(kind, (None, None))
            if table is None or not len(table) or queries.shape[1] != table.bits.shape[1]:
                continue
            scanned = scan_radius is not None and len(table) <= scan_rows
            if scan_only is not None and not scanned:
                which = np.flatnonzero(~np.asarray(scan_only, bool))
                qi, rows, dist = table.search(queries[which], radius)
                qi = which[qi]
            else:
                qi, rows, dist = table.search(queries, radius, scan_radius, scan_rows)
            for q, r, d in zip(qi.tolist(), rows.tolist(), dist.tolist()):
                eid = int(ids[r])
                if eid not in best or (d, q) < best[eid]:
                    best[eid] = (d, q)
        return best

    def keyword_candidates(self, descriptors: list[np.ndarray], k: int,
                           vote: KeywordVote | None = None) -> list[tuple[int, float, float]]:
        """The ``k`` entries the query descriptors vote for most (``descriptors[0]`` the upload's,
        ``[1]`` its mirror's): (entry id, score, share of the score from the mirror)."""
        vote = vote or KeywordVote()
        scored: dict[int, tuple[float, float]] = {}
        parts = self.parts()
        n_total = sum(len(p.keywords) for p in parts)
        for part in parts:
            for row, s, mirror in part.keywords.votes(descriptors, vote, n_total).top(k):
                eid = int(part.keyword_ids[row])
                if s > scored.get(eid, (0.0, 0.0))[0]:
                    scored[eid] = (s, mirror)
        ranked = sorted(scored.items(), key=lambda kv: (-kv[1][0], kv[0]))[:k]
        return [(eid, s, m) for eid, (s, m) in ranked]
