"""How long an ORB keyword should be and how many keypoints a bank photo posts (docs/calibration.md).

    python -m benchmarks.keyword_params --distractors /work/data/bankscale/distractors --limit 1200
    python -m benchmarks.keyword_params ... --synthetic 100000 --bits 22 24 --keypoints 300 500

Bank: the 30 originals of the re-upload set and ``--limit`` real distractor photos
(tools/make_distractors.py), plus ``--synthetic`` entries whose keywords are drawn from the real
photos' keywords (so posting lists are as long as in a bigger bank). Queries: every edited copy of
both splits (tests/robustness.py). For each word length (bits sampled at fixed random positions,
as ``bank/scale.py`` does) and keypoint count, the script prints recall@1 and recall@3 of the
keyword stage alone: is the right original among the candidates that would be verified.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from imgcheck.bank.scale import _ranges
from imgcheck import local_features as local
from imgcheck.hashing import views
from imgcheck.load import load_image
from tests import robustness as R


def words(d: np.ndarray, pos: np.ndarray) -> np.ndarray:
    if not len(d):
        return np.zeros(0, np.uint64)
    b = np.unpackbits(d, axis=1)[:, pos].astype(np.uint64)
    return (b << np.arange(len(pos) - 1, -1, -1, dtype=np.uint64)[None]).sum(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--distractors", type=Path, required=True)
    ap.add_argument("--limit", type=int, default=1200)
    ap.add_argument("--synthetic", type=int, default=0)
    ap.add_argument("--bits", type=int, nargs="+", default=[16, 20, 22, 24, 28, 32])
    ap.add_argument("--keypoints", type=int, nargs="+", default=[300])
    args = ap.parse_args()
    originals = R.DEV_ORIGINALS + R.HELDOUT_ORIGINALS
    bank: list[np.ndarray] = [local.compute(local.grey(load_image(R.FIXTURES / f"{n}.jpg").rgb(512))).descriptors
                              for n in originals]
    for f in sorted(args.distractors.glob("*.jpg"))[: args.limit]:
        bank.append(local.compute(local.grey(load_image(f).rgb(512))).descriptors)
    qs = []
    for split, names in (("dev", R.DEV_ORIGINALS), ("heldout", R.HELDOUT_ORIGINALS)):
        for q in R.positive_queries(names, split):
            qf = views.query_features(load_image(q.data))
            qs.append((originals.index(q.original), qf.features.descriptors, qf.mirrored.descriptors))
    rng = np.random.default_rng(0)
    perm = rng.permutation(256)
    for nbits in args.bits:
        pos = perm[:nbits]
        for p in args.keypoints:
            rows = [np.unique(words(d[:p], pos)) for d in bank]
            if args.synthetic:
                pool = np.concatenate(rows)
                per = int(np.mean([len(r) for r in rows]))
                rows += list(rng.choice(pool, (args.synthetic, per)))
            n = len(rows)
            lengths = np.array([len(r) for r in rows])
            w_all = np.concatenate(rows)
            r_all = np.repeat(np.arange(n), lengths)
            order = np.argsort(w_all, kind="stable")
            w_all, r_all = w_all[order], r_all[order]
            uw, st = np.unique(w_all, return_index=True)
            en = np.append(st[1:], len(w_all))
            hit1 = hit3 = 0
            for truth, d1, d2 in qs:
                qw = np.unique(np.concatenate([words(d1, pos), words(d2, pos)]))
                k = np.searchsorted(uw, qw)
                k = k[k < len(uw)]
                k = k[np.isin(uw[k], qw)]
                s, e = st[k], en[k]
                df = e - s
                keep = df <= max(8, 0.02 * n)
                s, e, df = s[keep], e[keep], df[keep]
                at, own = _ranges(s, e)
                score = np.bincount(r_all[at], weights=np.log(n / df)[own], minlength=n)
                top = np.argsort(-score)[:3]
                hit1 += int(top[0] == truth)
                hit3 += int(truth in top)
            print(f"{nbits} bits, {p} keypoints, {n:,} photos: recall@1 {hit1 / len(qs):.3f}  "
                  f"recall@3 {hit3 / len(qs):.3f}  ({len(qs)} edited copies)", flush=True)


if __name__ == "__main__":
    main()
