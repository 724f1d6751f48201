"""Exact Hamming range search over synthetic PDQ banks: FAISS (flat and multi-index hashing) vs numpy.

    python -m benchmarks.index                  # 1M hashes (a few minutes on 2 cores)
    python -m benchmarks.index --sizes 10000000 --queries 10   # 10M hashes (about 4 GB of RAM)
    python -m benchmarks.index --sizes 100000 --queries 20   # the short variant

Bank hashes are uniform random 256-bit strings (what PDQ hashes of unrelated photos look like); each
query is either a bank row with 0..31 bits flipped (a re-upload: it must be found) or a fresh random
hash (nothing to find). Every method must return exactly the numpy brute-force result set (recall
1.0 and no extra rows), and the script says so. Memory per hash is the resident-memory growth of
building the index divided by the number of hashes.
"""

from __future__ import annotations

import argparse
import gc
import time

import numpy as np

from imgcheck.bank.index import FaissHammingIndex, LinearHammingIndex


def rss_bytes() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096


def make_queries(bank: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    out = rng.integers(0, 256, (n, bank.shape[1]), dtype=np.uint8)
    for i in range(0, n, 2):
        row = bank[rng.integers(len(bank))].copy()
        bits = np.unpackbits(row)
        flip = rng.choice(bits.size, int(rng.integers(0, 32)), replace=False)
        bits[flip] ^= 1
        out[i] = np.packbits(bits)
    return out


def timed(fn, *args):
    t = time.perf_counter()
    res = fn(*args)
    return res, time.perf_counter() - t


def run(size: int, n_queries: int, radius: int, methods: list[str], seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    bank = rng.integers(0, 256, (size, 32), dtype=np.uint8)
    queries = make_queries(bank, n_queries, rng)
    print(f"\n== {size:,} hashes, {n_queries} queries, radius {radius} ==")
    linear = LinearHammingIndex(bank)
    ref, t_ref = timed(linear.range_search, queries, radius)
    ref_sets = [{h.row for h in hits} for hits in ref]
    found = sum(len(s) for s in ref_sets)
    print(f"numpy brute force : {t_ref / n_queries * 1e3:9.2f} ms/query  ({found} hits)   [baseline]")
    for name, multihash in (("faiss flat", False), ("faiss multi-hash", True)):
        if ("multihash" if multihash else "flat") not in methods:
            continue
        gc.collect()
        before = rss_bytes()
        index, t_build = timed(FaissHammingIndex, bank, multihash)
        mem = rss_bytes() - before
        res, t = timed(index.range_search, queries, radius)
        sets = [{h.row for h in hits} for hits in res]
        same = all(a == b for a, b in zip(sets, ref_sets))
        recall = sum(len(a & b) for a, b in zip(sets, ref_sets)) / max(1, found)
        print(f"{name:18s}: {t / n_queries * 1e3:9.2f} ms/query  x{t_ref / t:7.1f} vs numpy  recall {recall:.3f}  "
              f"identical={same}  build {t_build:.1f} s  memory {mem / size:.1f} B/hash")
        del index


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1_000_000])
    ap.add_argument("--queries", type=int, default=50)
    ap.add_argument("--radius", type=int, default=31)
    ap.add_argument("--methods", default="flat,multihash", help="comma-separated: flat, multihash")
    args = ap.parse_args()
    for size in args.sizes:
        run(size, args.queries, args.radius, args.methods.split(","))


if __name__ == "__main__":
    main()
