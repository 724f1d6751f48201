"""Bank indexes whose query cost does not grow with the bank: exact hash range search by multi-index
hashing, and keypoint candidates from an inverted index over hashed ORB descriptors.

Both are caches of the SQLite truth, saved as ``.npy`` files in a folder beside the bank
(``<bank>.index/``) and opened memory-mapped, so opening a bank of a million photos reads a few
kilobytes and a query touches only the pages it needs.

``MultiIndexHash`` (Norouzi, Punjani and Fleet, "Fast search in Hamming space with multi-index
hashing", CVPR 2012): each hash is cut into 16-bit chunks and every chunk is a sorted table. Two
hashes within ``r`` bits agree to within ``r // chunks`` bits on at least one chunk (pigeonhole), so
probing every bucket that close to each query chunk finds every hash within ``r``: exact, like the
flat scan it replaces, at a cost set by bucket sizes (bank size / 65,536), not by the bank.

``KeywordIndex``: a bag of visual words in the sense of Sivic and Zisserman ("Video Google", ICCV
2003) with words made by hashing, not by a trained vocabulary: the word of a 256-bit ORB descriptor
is ``WORD_BITS`` of its bits at fixed positions (bit-sampling LSH, Indyk and Motwani 1998; ORB's
tests were chosen to be uncorrelated, so any subset serves). A bank photo is posted under the words
of its strongest keypoints, each posting with ``HE_BITS`` more bits of the descriptor (Hamming
embedding, Jegou, Douze and Schmid, ECCV 2008): a query descriptor votes for a posting of its word
only when those bits are within a few of its own, which keeps a descriptor of the same picture
(about 1 bit in 8 changed by an edit) and drops nearly all chance collisions of unrelated
descriptors (8 of 16 bits differ on average). Each query reads a bounded number of postings, the
rarest words first (``KeywordVote.posting_budget``), so its cost does not grow with the bank.
The scores only choose which few photos get the ORB + RANSAC verification
(``local_features.py``); they decide nothing.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import numpy as np

from imgcheck.hashing.base import POPCOUNT as _POPCOUNT
from imgcheck.threads import faiss_threads


CHUNK_BITS = 16
#: radii needing more bit flips per chunk than this are answered by a blockwise scan instead
#: (3 flips of 16 bits are 697 probes per chunk; PDQ's 31 and 47 need 1 and 2, pHash's 10 needs 2)
MAX_FLIPS = 2
SCAN_BLOCK = 1 << 18
#: FAISS (OpenMP) threads of ``search``'s scan of a part of at most ``scan_rows`` hashes, set for
#: that scan in the calling thread only (threads.faiss_threads). Such a scan is small by construction
#: (Settings.near_miss_scan_rows, 20,000 x 8 query views: 0.14 ms on one idle thread, 0.07 ms on two),
#: and more threads wait on each other once the cores are busy (measured on 2 busy cores, the 40
#: photos of benchmarks/check_speed.py in one process, 10-photo bank: the 39 scans took 0.82 s in all
#: on FAISS's 2 threads, 0.05 s on 1). ``range_search``'s wide-radius scan, of a part of any size,
#: keeps FAISS's own count
SCAN_THREADS = 1
#: bits of an ORB descriptor that make its word, the Hamming-embedding bits stored with each
#: posting, and how many bank keypoints each photo posts (index format: changing any needs a
#: reindex, which the manifest triggers; calibration: docs/bank_scale.md)
WORD_BITS = 22
HE_BITS = 16
BANK_WORDS = 300
#: fixed bit positions of the word and of the embedding (seeded once: bank and query must agree)
_WORD_SEED = 20261201
_PERM = np.random.default_rng(_WORD_SEED).permutation(256)
WORD_POSITIONS = tuple(int(i) for i in _PERM[:WORD_BITS])
HE_POSITIONS = tuple(int(i) for i in _PERM[WORD_BITS:WORD_BITS + HE_BITS])
INDEX_VERSION = 2
_POPCOUNT16 = np.unpackbits(np.arange(1 << 16, dtype="<u2").view(np.uint8).reshape(-1, 2), axis=1).sum(
    axis=1, dtype=np.uint8)


def _popcount16(x: np.ndarray) -> np.ndarray:
    """Set bits of each uint16."""
    if hasattr(np, "bitwise_count"):  # numpy >= 2: popcnt
        return np.bitwise_count(x)
    return _POPCOUNT16[x]


def popcount_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x = np.ascontiguousarray(np.bitwise_xor(a, b))
    if hasattr(np, "bitwise_count") and x.ndim == 2 and x.shape[1] >= 8 and x.shape[1] % 8 == 0:
        # numpy >= 2: popcnt of 64-bit words, the few words of a row added column by column
        # (a sum along so short an axis costs more than the popcounts)
        c = np.bitwise_count(x.view(np.uint64))
        out = c[:, 0].astype(np.int32)
        for j in range(1, c.shape[1]):
            out += c[:, j]
        return out
    return _POPCOUNT[x].sum(axis=1, dtype=np.int32)


def _flip_masks(nbits: int, max_flips: int) -> np.ndarray:
    masks = [0]
    for k in range(1, max_flips + 1):
        for pos in combinations(range(nbits), k):
            m = 0
            for p in pos:
                m |= 1 << p
            masks.append(m)
    return np.array(masks, np.uint32)


def _ranges(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenated ``arange(s, e)`` for every pair, and which pair each position came from."""
    lengths = (ends - starts).astype(np.int64)
    total = int(lengths.sum())
    if total == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    owner = np.repeat(np.arange(len(starts)), lengths)
    first = np.cumsum(lengths) - lengths
    pos = np.arange(total, dtype=np.int64) - first[owner] + starts.astype(np.int64)[owner]
    return pos, owner


def _sorted_table(keys: np.ndarray, nkeys: int) -> tuple[np.ndarray, np.ndarray]:
    """(order uint32, offsets int64 [nkeys + 1]) of a counting sort of ``keys``."""
    order = np.argsort(keys, kind="stable").astype(np.uint32)
    offsets = np.zeros(nkeys + 1, np.int64)
    np.cumsum(np.bincount(keys, minlength=nkeys), out=offsets[1:])
    return order, offsets


class MultiIndexHash:
    """Exact Hamming range search over packed hashes (``nbits`` a multiple of 16)."""

    def __init__(self, bits: np.ndarray, order: np.ndarray, offsets: np.ndarray) -> None:
        self.bits = bits            # uint8 [n, nbytes]
        self.order = order          # uint32 [chunks, n]: rows sorted by chunk value
        self.offsets = offsets      # int64 [chunks, 65537]
        self.chunks = order.shape[0] if order.ndim == 2 else 0
        self._masks: dict[int, np.ndarray] = {}

    @classmethod
    def build(cls, bits: np.ndarray) -> MultiIndexHash:
        bits = np.ascontiguousarray(bits, np.uint8)
        n, nbytes = bits.shape
        chunks = nbytes * 8 // CHUNK_BITS
        keys = bits.reshape(n, chunks, 2).astype(np.uint32)
        keys = (keys[:, :, 0] << 8) | keys[:, :, 1]
        order = np.zeros((chunks, n), np.uint32)
        offsets = np.zeros((chunks, (1 << CHUNK_BITS) + 1), np.int64)
        for c in range(chunks):
            order[c], offsets[c] = _sorted_table(keys[:, c], 1 << CHUNK_BITS)
        return cls(bits, order, offsets)

    def __len__(self) -> int:
        return len(self.bits)

    def arrays(self) -> dict[str, np.ndarray]:
        return {"bits": self.bits, "order": self.order, "offsets": self.offsets}

    def range_search(self, queries: np.ndarray, radius: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(query index, row, distance) of every bank row within ``radius`` of a query."""
        queries = np.ascontiguousarray(np.atleast_2d(queries), np.uint8)
        empty = (np.zeros(0, np.int64),) * 3
        if not len(self) or not len(queries):
            return empty
        flips = int(radius) // self.chunks
        if flips > MAX_FLIPS:
            return self._scan(queries, radius)
        masks = self._masks.get(flips)
        if masks is None:
            masks = self._masks[flips] = _flip_masks(CHUNK_BITS, flips)
        nq = len(queries)
        keys = queries.reshape(nq, self.chunks, 2).astype(np.uint32)
        keys = (keys[:, :, 0] << 8) | keys[:, :, 1]                      # [nq, chunks]
        probes = keys[:, :, None] ^ masks[None, None, :]                 # [nq, chunks, probes]
        # bucket bounds in the flattened order table (chunk c's rows start at c * n), query-major
        base = np.arange(self.chunks, dtype=np.int64)[None, :, None] * len(self)
        offsets = np.asarray(self.offsets)
        chunk = np.broadcast_to(np.arange(self.chunks)[None, :, None], probes.shape)
        starts = (offsets[chunk, probes] + base).ravel()
        lengths = (offsets[chunk, probes + 1] + base).ravel() - starts
        per_query = lengths.reshape(nq, -1).sum(axis=1)
        total = int(per_query.sum())
        if not total:
            return empty
        pos = np.arange(total, dtype=np.int64) + np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
        # plain ndarray views of the memory maps (a memmap's fancy indexing costs more)
        rows = np.asarray(self.order).reshape(-1)[pos].astype(np.int64)
        # distances first, on every probed row (cheap: popcount), each query against its own rows;
        # then the few within the radius are deduplicated (a row found through several chunks or probes)
        bits = np.asarray(self.bits)
        bounds = np.concatenate([[0], np.cumsum(per_query)]).tolist()
        dist = np.empty(total, np.int32)
        for q in range(nq):
            a, b = bounds[q], bounds[q + 1]
            if a < b:
                dist[a:b] = popcount_rows(bits[rows[a:b]], queries[q][None, :])
        qi = np.repeat(np.arange(nq, dtype=np.int64), per_query)
        keep = dist <= radius
        qi, rows, dist = qi[keep], rows[keep], dist[keep]
        pair, first = np.unique(qi * len(self) + rows, return_index=True)
        qi, rows, dist = qi[first], rows[first], dist[first]
        order = np.argsort(rows, kind="stable")
        return qi[order], rows[order], dist[order].astype(np.int64)


    def _scan(self, queries: np.ndarray, radius: int,
              threads: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every row (FAISS binary flat range search, SIMD popcount, on ``threads`` threads, 0:
        FAISS's own count): for radii too wide for the probes to pay, on tables small enough to
        scan (a near-miss search of a small part)."""
        import faiss

        if getattr(self, "_flat", None) is None:
            self._flat = faiss.IndexBinaryFlat(self.bits.shape[1] * 8)
            self._flat.add(np.ascontiguousarray(self.bits, np.uint8))
        with faiss_threads(threads):
            lims, dist, rows = self._flat.range_search(np.ascontiguousarray(queries, np.uint8),
                                                       int(radius) + 1)
        qi = np.repeat(np.arange(len(queries)), np.diff(lims).astype(np.int64))
        return qi.astype(np.int64), rows.astype(np.int64), dist.astype(np.int64)

    def search(self, queries: np.ndarray, radius: int, scan_radius: int | None = None,
               scan_rows: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``range_search`` at ``radius``, or at ``scan_radius`` by a scan when the table has at
        most ``scan_rows`` rows (a cost that stays small however wide the radius)."""
        if scan_radius is not None and len(self) <= scan_rows:
            return self._scan(np.ascontiguousarray(np.atleast_2d(queries), np.uint8), scan_radius,
                              SCAN_THREADS)
        return self.range_search(queries, radius)


def _bits_at(descriptors: np.ndarray, positions: tuple[int, ...]) -> np.ndarray:
    d = np.asarray(descriptors, np.uint8)
    if not len(d):
        return np.zeros(0, np.uint32)
    bits = np.unpackbits(d, axis=1)[:, positions].astype(np.uint32)
    n = len(positions)
    return (bits << np.arange(n - 1, -1, -1, dtype=np.uint32)[None, :]).sum(axis=1).astype(np.uint32)


def words_of(descriptors: np.ndarray) -> np.ndarray:
    """The word (uint32 < 2**WORD_BITS) of each 256-bit descriptor."""
    return _bits_at(descriptors, WORD_POSITIONS)


def embedding_of(descriptors: np.ndarray) -> np.ndarray:
    """The Hamming-embedding bits (uint16) of each descriptor."""
    return _bits_at(descriptors, HE_POSITIONS).astype(np.uint16)


def bank_words(descriptors: np.ndarray, limit: int = BANK_WORDS) -> tuple[np.ndarray, np.ndarray]:
    """(words, embeddings) a bank photo is posted under: those of its first ``limit`` keypoints
    (``local_features.compute`` lists them strongest first), exact repeats dropped."""
    d = descriptors[:limit]
    key = (words_of(d).astype(np.uint64) << np.uint64(16)) | embedding_of(d).astype(np.uint64)
    key = np.unique(key)
    return (key >> np.uint64(16)).astype(np.uint32), (key & np.uint64(0xFFFF)).astype(np.uint16)


@dataclass(frozen=True)
class Votes:
    """Keyword votes of one query: bank rows with their total score and the part of it from the
    mirrored query's descriptors."""

    rows: np.ndarray     # int64 [m]
    score: np.ndarray    # float64 [m]
    mirror: np.ndarray   # float64 [m]
    postings_read: int

    def top(self, k: int) -> list[tuple[int, float, float]]:
        """(row, score, share of the score from the mirrored side) of the ``k`` best rows."""
        if not len(self.rows) or k <= 0:
            return []
        k = min(k, len(self.rows))
        best = np.argpartition(-self.score, k - 1)[:k]
        best = best[np.lexsort((self.rows[best], -self.score[best]))]
        return [(int(self.rows[i]), float(self.score[i]), float(self.mirror[i] / self.score[i]))
                for i in best]


class KeywordIndex:
    """Inverted index: word -> bank rows posted under it, with each posting's embedding bits.
    Sparse CSR: the distinct ``words`` in order, where each one's postings start, the ``postings``
    (bank rows) sorted by word and their ``embeddings``."""

    def __init__(self, words: np.ndarray, starts: np.ndarray, postings: np.ndarray, embeddings: np.ndarray,
                 n_rows: int) -> None:
        self.words = words              # uint32 [distinct]
        self.starts = starts            # uint32 [distinct + 1] (int64 past 2**32 postings)
        self.postings = postings        # uint32 [total]
        self.embeddings = embeddings    # uint16 [total]
        self.n_rows = int(n_rows)

    @classmethod
    def build(cls, per_row: list[tuple[np.ndarray, np.ndarray]]) -> KeywordIndex:
        """From each bank row's (words, embeddings) (``bank_words``)."""
        n = len(per_row)
        if n == 0 or not sum(len(w) for w, _ in per_row):
            z = np.zeros(0, np.uint32)
            return cls(z, np.zeros(1, np.uint32), z, np.zeros(0, np.uint16), n)
        lengths = np.fromiter((len(w) for w, _ in per_row), np.int64, n)
        words = np.concatenate([w for w, _ in per_row]).astype(np.uint32)
        emb = np.concatenate([e for _, e in per_row]).astype(np.uint16)
        rows = np.repeat(np.arange(n, dtype=np.uint32), lengths)
        order = np.argsort(words, kind="stable")
        words, rows, emb = words[order], rows[order], emb[order]
        distinct, first = np.unique(words, return_index=True)
        starts = np.append(first, len(words))
        starts = starts.astype(np.uint32 if len(words) < 2**32 else np.int64)
        return cls(distinct, starts, rows, emb, n)

    def __len__(self) -> int:
        return self.n_rows

    def arrays(self) -> dict[str, np.ndarray]:
        return {"words": self.words, "starts": self.starts, "postings": self.postings,
                "embeddings": self.embeddings}

    def votes(self, descriptors: list[np.ndarray], vote, n_total: int | None = None) -> Votes:
        """Score bank rows by the query descriptors (``descriptors[0]`` the upload's, ``[1]`` its
        mirror's, if given): each descriptor reads the postings of its word, the rarest words first
        until ``vote.posting_budget`` postings are read, words posted by more than
        ``vote.stop_share`` of the bank skipped; a posting within ``vote.he_radius`` embedding bits
        gives its row idf**2 (idf = log(1 + photos / df); Jegou et al. weight matches by idf
        squared). ``n_total``: the number of photos idf is counted over (this part and the others
        searched). ``vote``: a settings.KeywordVote."""
        empty = Votes(np.zeros(0, np.int64), np.zeros(0), np.zeros(0), 0)
        descriptors = [np.asarray(d, np.uint8) for d in descriptors]
        if not self.n_rows or not len(self.words) or not sum(len(d) for d in descriptors):
            return empty
        n_total = max(int(n_total or 0), self.n_rows)
        d = np.concatenate(descriptors)
        side = np.repeat(np.arange(len(descriptors)), [len(x) for x in descriptors])
        w, e = words_of(d), embedding_of(d)
        # a descriptor repeated exactly (word and embedding) would vote twice: once is enough
        key = ((w.astype(np.uint64) << np.uint64(17)) | (e.astype(np.uint64) << np.uint64(1))
               | side.astype(np.uint64))
        _, once = np.unique(key, return_index=True)
        w, e, side = w[once], e[once], side[once]
        at = np.minimum(np.searchsorted(self.words, w), len(self.words) - 1)
        found = np.asarray(self.words[at]) == w
        at, e, side = at[found], e[found], side[found]
        starts = np.asarray(self.starts[at], np.int64)
        ends = np.asarray(self.starts[at + 1], np.int64)
        df = ends - starts
        keep = df <= max(vote.stop_floor, vote.stop_share * n_total)
        starts, ends, df, e, side = starts[keep], ends[keep], df[keep], e[keep], side[keep]
        if df.sum() > vote.posting_budget:  # the rarest words first, up to the budget
            order = np.argsort(df, kind="stable")
            order = order[np.cumsum(df[order]) <= vote.posting_budget]
            starts, ends, df, e, side = starts[order], ends[order], df[order], e[order], side[order]
        total = int(df.sum())
        if not total:
            return empty
        first = np.cumsum(df) - df                          # where each list starts in the read
        # the lists are contiguous runs of the embeddings: copied slice by slice (a plain ndarray
        # view of the memory map, so a slice costs no memmap bookkeeping), not gathered position
        # by position; only the few postings within the radius are looked up by position
        emb = np.asarray(self.embeddings)
        read = np.concatenate([emb[a:b] for a, b in zip(starts.tolist(), ends.tolist())])
        close = _popcount16(read ^ np.repeat(e, df)) <= vote.he_radius
        hit = np.flatnonzero(close)
        if not len(hit):
            return Votes(empty.rows, empty.score, empty.mirror, total)
        owner = np.searchsorted(first, hit, side="right") - 1  # the query descriptor of each vote
        pos = hit - first[owner] + starts[owner]
        idf2 = np.log1p(n_total / df) ** 2   # per word; never 0, even for a word every photo holds
        # summed per bank row: one sort of (row, vote number) keys (a plain sort of integers,
        # several times faster than np.unique's argsort), each row's votes added in vote order
        key = np.sort((np.asarray(self.postings[pos], np.uint64) << np.uint64(32))
                      | np.arange(len(pos), dtype=np.uint64))
        owner = owner[(key & np.uint64(0xFFFFFFFF)).astype(np.int64)]
        rows = (key >> np.uint64(32)).astype(np.int64)
        new_row = np.empty(len(rows), bool)
        new_row[0] = True
        np.not_equal(rows[1:], rows[:-1], out=new_row[1:])
        group = np.cumsum(new_row) - 1
        weight = idf2[owner]
        score = np.bincount(group, weights=weight)
        # the mirrored side's part: a count over (row, side) pairs, its odd half
        mirror = np.bincount(2 * group + (side[owner] == 1), weights=weight, minlength=2 * len(score))[1::2]
        return Votes(rows[new_row], score, mirror, total)


# -- saving and opening ------------------------------------------------------------------------
@dataclass(frozen=True)
class Manifest:
    generation: int
    max_entry_id: int
    entries: int
    words: tuple[int, ...]
    #: when the build started (the ``added_at`` format): entries added since are in the delta
    built_at: str = ""
    version: int = INDEX_VERSION
    embedding: tuple[int, ...] = HE_POSITIONS
    bank_words: int = BANK_WORDS

    def to_json(self) -> str:
        return json.dumps({"generation": self.generation, "max_entry_id": self.max_entry_id,
                           "entries": self.entries, "words": list(self.words), "built_at": self.built_at,
                           "version": self.version, "embedding": list(self.embedding),
                           "bank_words": self.bank_words})

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        d = json.loads(text)
        return cls(int(d["generation"]), int(d["max_entry_id"]), int(d["entries"]), tuple(d["words"]),
                   str(d.get("built_at", "")), int(d.get("version", 0)), tuple(d.get("embedding", ())),
                   int(d.get("bank_words", 0)))


def save_arrays(folder: Path, arrays: dict[str, np.ndarray], manifest: Manifest) -> None:
    """Write every array and then the manifest, each through a temporary name and a rename, so a
    reader never opens half an index (the manifest, written last, is what makes it current)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, arr in arrays.items():
        tmp = folder / f".{name}.npy.tmp"
        with open(tmp, "wb") as fh:
            np.save(fh, np.ascontiguousarray(arr))
        os.replace(tmp, folder / f"{name}.npy")
    tmp = folder / ".manifest.json.tmp"
    tmp.write_text(manifest.to_json())
    os.replace(tmp, folder / "manifest.json")


def open_arrays(folder: Path, names: tuple[str, ...]) -> tuple[Manifest, dict[str, np.ndarray]] | None:
    try:
        manifest = Manifest.from_json((folder / "manifest.json").read_text())
        arrays = {n: np.load(folder / f"{n}.npy", mmap_mode="r") for n in names}
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if (manifest.version != INDEX_VERSION or manifest.words != WORD_POSITIONS
            or manifest.embedding != HE_POSITIONS or manifest.bank_words != BANK_WORDS):
        return None
    return manifest, arrays
