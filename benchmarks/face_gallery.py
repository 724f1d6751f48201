"""known_face at gallery scale: bank faces in SQLite, the FAISS index rebuilt from it, per-query lookup.

    OMP_NUM_THREADS=1 python -m benchmarks.face_gallery                       # 100,000 bank faces + 1M index
    python -m benchmarks.face_gallery --bank-faces 20000 --index-sizes 100000 # the short variant

Synthetic embeddings shaped like dlib's (128-d, Gaussian, scaled to the norm of real dlib embeddings,
~0.9-1.0 here); 1 in 10 queries is a perturbed bank face (distance ~0.3, the "known person" case),
the rest are fresh vectors. Parts, each timed in this run and printed next to its baseline:

All times are CPU seconds or milliseconds of this process (see ``per_query_ms``).

1. ``sqlite``: ``--bank-faces`` entries written through ``BankStore.add`` (one face each, 20 people's
   worth of labels per 1,000 entries), then the face index rebuilt from SQLite by the first
   ``Bank.search_faces`` (what happens after every bank change), then the ``known_face`` lookup per
   query face: ``search_faces(k=50)`` plus the per-person ranking with its entry reads
   (``best_per_label``), against the numpy brute-force scan of the same embeddings (the baseline).
2. ``index``: FAISS alone at ``--index-sizes`` rows (flat below 1M, HNSW from 1M as the bank uses
   them): build time, memory per face (resident-memory growth / rows), query time, recall@1 against
   exact search.
"""

from __future__ import annotations

import argparse
import gc
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from imgcheck.bank.face_index import FaissFaceIndex, LinearFaceIndex

NORM = 0.95


def rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096


def embeddings(n: int, rng: np.random.Generator) -> np.ndarray:
    x = rng.standard_normal((n, 128)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True) * NORM


def queries_for(bank: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    q = embeddings(n, rng)
    known = np.arange(0, n, 10)
    q[known] = bank[rng.integers(0, len(bank), len(known))] + rng.normal(0, 0.3 / np.sqrt(128), (len(known), 128))
    return q.astype(np.float32)


def per_query_ms(fn, queries: np.ndarray) -> float:
    """CPU milliseconds per query (``time.process_time``: on a shared machine wall time measures the
    other jobs; run with OMP_NUM_THREADS=1 so that it is one core's time)."""
    t = time.process_time()
    for q in queries:
        fn(q[None])
    return (time.process_time() - t) * 1000 / len(queries)


def sqlite_part(n: int, n_queries: int, rng: np.random.Generator) -> dict:
    from imgcheck.bank import Bank
    from imgcheck.bank.store import NewEntry
    from imgcheck.checks.known_face import SEARCH_K, best_per_label

    emb = embeddings(n, rng)
    with tempfile.TemporaryDirectory() as tmp:
        bank = Bank(Path(tmp) / "gallery.sqlite")
        t = time.process_time()
        for i in range(n):
            bank.store.add(NewEntry(label=f"person {i // 50}", kind="celebrity", source="synthetic",
                                    faces=[((0, 0, 100, 100), 0.9, "dlib_resnet_v1", emb[i])]))
        write_s = time.process_time() - t
        queries = queries_for(emb, n_queries, rng)
        rss0 = rss_bytes()
        t = time.process_time()
        bank.search_faces(queries[:1], "dlib_resnet_v1", k=SEARCH_K)  # rebuilds the index from SQLite
        rebuild_s = time.process_time() - t
        rss_index = rss_bytes() - rss0

        def lookup(q):
            hits = bank.search_faces(q, "dlib_resnet_v1", k=SEARCH_K)[0]
            return best_per_label(hits, bank.get)

        lookup_ms = per_query_ms(lookup, queries)
        linear = LinearFaceIndex(emb)
        linear_ms = per_query_ms(lambda q: linear.search(q, SEARCH_K), queries[:20])
        bank.close()
    return {"bank_faces": n, "write_s": round(write_s, 1), "rebuild_from_sqlite_s": round(rebuild_s, 2),
            "resident_bytes_per_face_after_rebuild": round(rss_index / n), "known_face_lookup_ms": round(lookup_ms, 2),
            "numpy_scan_ms (baseline)": round(linear_ms, 2), "speedup_vs_numpy": round(linear_ms / lookup_ms, 1)}


def index_part(n: int, n_queries: int, rng: np.random.Generator) -> dict:
    emb = embeddings(n, rng)
    queries = queries_for(emb, n_queries, rng)
    gc.collect()
    rss0 = rss_bytes()
    t = time.process_time()
    index = FaissFaceIndex(emb)
    build_s = time.process_time() - t
    mem = rss_bytes() - rss0
    ms = per_query_ms(lambda q: index.search(q, 50), queries)
    exact = FaissFaceIndex(emb, hnsw=False)
    flat_ms = per_query_ms(lambda q: exact.search(q, 50), queries)
    _, got = index.search(queries, 1)
    _, want = exact.search(queries, 1)
    return {"rows": n, "kind": "hnsw" if index.hnsw else "flat", "build_s": round(build_s, 1),
            "bytes_per_face": round(mem / n), "query_ms": round(ms, 2), "flat_query_ms (baseline)": round(flat_ms, 2),
            "recall_at_1_vs_exact": round(float((got[:, 0] == want[:, 0]).mean()), 4)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bank-faces", type=int, default=100_000)
    ap.add_argument("--index-sizes", type=int, nargs="*", default=[100_000, 1_000_000])
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    import faiss

    rng = np.random.default_rng(0)
    out = {"faiss_threads": faiss.omp_get_max_threads()}
    if args.bank_faces:
        out["sqlite"] = sqlite_part(args.bank_faces, args.queries, rng)
        print(json.dumps(out["sqlite"]), flush=True)
    out["index"] = []
    for n in args.index_sizes:
        out["index"].append(index_part(n, args.queries, rng))
        print(json.dumps(out["index"][-1]), flush=True)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
