"""A cluster of index shards, simulated: per-query cost and memory per node at 10M and 100M photos.

    python -m benchmarks.bank_scale ... --sizes 1000000        # once: builds the 1M-photo shard
    nice python -m benchmarks.shard_sim --shard /work/data/bank2/bench/index_1000000 \\
        --bank /work/data/bank2/bench/real.sqlite --nodes 10 100 --queries 40

The index partitions by entry id (docs/bank_scale.md): each node memory-maps its own part (a shard
of 1M photos here) and answers, for every query, its PDQ/pHash hits and its top keyword candidates;
a coordinator merges them and verifies the best few (ORB + RANSAC against the entry's features).
This script plays every node in turn in one process, each node being the 1M-photo shard that
``benchmarks.bank_scale`` built (10,632 real photos + synthetic ones; in a real cluster each node
holds its own rows, in the same layout and size). Per query it measures, as CPU time of the thread:

- each node's candidate work (the same calls known_image makes on a one-node bank), p50 over queries;
- the coordinator's merge and the verification of the merged top candidates (done once per query,
  whatever the number of nodes: the merged list is as long as on one node);

and reports per query the cluster CPU (sum over nodes + coordinator), the latency on a cluster whose
nodes work in parallel (the slowest of n nodes, taken as the n/(n+1) quantile of the measured node
times, + coordinator; network hops not included), and per node the
index files (memory-mapped: the most a node holds resident for them) and its SQLite part (the
per-photo size of the real bank times the shard size). Queries: the hard copies and unrelated
photos of ``benchmarks.bank_scale``.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from imgcheck import local_features as local
from imgcheck.bank import Bank
from imgcheck.bank.image_index import ImageIndex
from imgcheck.engine import Engine
from imgcheck.hashing import views
from imgcheck.settings import Settings


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--shard", type=Path, required=True, help="a saved index folder (one node's part)")
    ap.add_argument("--bank", type=Path, required=True, help="the SQLite bank the shard was built from")
    ap.add_argument("--nodes", type=int, nargs="+", default=[10, 100])
    ap.add_argument("--queries", type=int, default=40)
    args = ap.parse_args()
    from benchmarks.bank_scale import queries

    settings = Settings()
    bank = Bank(args.bank, index_folder=args.shard)
    shard = ImageIndex(bank.store, args.shard, local.FEATURE_KIND)
    assert shard.saved is not None, f"no saved index in {args.shard}"
    photos = shard.saved.entries
    eng = Engine(bank=bank)
    qs = queries()
    step = max(1, len(qs) // args.queries)
    qs = qs[::step][: args.queries]
    prepared = []
    for _, _, data in qs:  # the shared decode and the upload's hashes and keypoints: not timed
        img = eng.load(data)
        qf = views.query_features(img)
        named = views.query_hashes(img)
        pdq = np.stack([np.frombuffer(h.bits, np.uint8) for _, h in named["pdq"]])
        # near misses as known_image looks them up in a part too large to scan: the full views only
        near = np.stack([np.frombuffer(h.bits, np.uint8) for v, h in named["pdq"]
                         if v in settings.near_miss_views and v.startswith("full")])
        ph = np.stack([np.frombuffer(h.bits, np.uint8) for _, h in named["phash"]])
        prepared.append((qf, pdq, near, ph))

    node_ms, coord_ms = [], []
    for qf, pdq, near_q, ph in prepared[:3]:  # warm the page cache as a serving node's would be
        shard.keyword_candidates([qf.features.descriptors, qf.mirrored.descriptors], 8, settings.keyword_vote)
        shard.hash_candidates("pdq", pdq, settings.pdq_radius)
    for qf, pdq, near_q, ph in prepared:  # one node's work per query (each node does the same)
        t = time.thread_time()
        shard.hash_candidates("pdq", pdq, settings.pdq_radius)
        shard.hash_candidates("phash", ph, settings.phash_radius)
        near = shard.hash_candidates("pdq", near_q, settings.pdq_candidate_radius)
        voted = shard.keyword_candidates([qf.features.descriptors, qf.mirrored.descriptors],
                                         settings.keyword_candidates, settings.keyword_vote)
        node_ms.append((time.thread_time() - t) * 1000)
        # coordinator: merge the nodes' lists (here: one node's, as long as the merged one) and
        # verify the best few
        t = time.thread_time()
        best = sorted(near.items(), key=lambda kv: kv[1])[: settings.verify_candidates]
        for eid in dict.fromkeys([e for e, _ in best] + [e for e, _, _ in voted]):
            blob, thumb = bank.store.feature(eid, local.FEATURE_KIND), bank.store.thumb(eid)
            if blob is None or thumb is None:
                continue
            grey = cv2.imdecode(np.frombuffer(thumb, np.uint8), cv2.IMREAD_GRAYSCALE)
            local.verify(qf.features, qf.mirrored, local.Features.from_bytes(blob), qf.grey, grey,
                         settings.verify)
        coord_ms.append((time.thread_time() - t) * 1000)

    index_bytes = sum(p.stat().st_size for p in args.shard.glob("*.npy"))
    real = bank.store.count()
    sqlite_per_photo = args.bank.stat().st_size / max(1, real)
    node = statistics.median(node_ms)
    coord = statistics.median(coord_ms)
    print(f"one node = a shard of {photos:,} photos ({args.shard}); {len(prepared)} queries; "
          f"CPU time per query, p50")
    print(f"node candidates {node:.1f} ms (p90 {np.percentile(node_ms, 90):.1f}); coordinator merge + "
          f"verification {coord:.1f} ms; index files {index_bytes / 2**30:.2f} GiB per node "
          f"({index_bytes / photos:.0f} B/photo); SQLite {sqlite_per_photo / 1024:.1f} KB/photo")
    print("\n| photos | nodes | CPU per query (all nodes + coordinator) | latency, nodes in parallel | "
          "index per node | SQLite per node |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: |")
    for n in args.nodes:
        slowest = float(np.percentile(node_ms, 100 * n / (n + 1)))  # expected slowest of n nodes
        print(f"| {n * photos / 1e6:,.0f}M | {n} | {n * node + coord:,.0f} ms | "
              f"{slowest + coord:.0f} ms | "
              f"{index_bytes / 2**30:.2f} GiB | {sqlite_per_photo * photos / 2**30:.0f} GiB |")
    bank.close()


if __name__ == "__main__":
    main()
