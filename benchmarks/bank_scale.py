"""known_image at bank scale: the same queries against banks of 1k, 10k, 100k and 1M photos.

    python tools/make_distractors.py ... --out /work/data/bankscale/distractors    # once (see there)
    nice python -m benchmarks.bank_scale --distractors /work/data/bankscale/distractors \\
        --work /work/data/bankscale/bench --sizes 1000 10000 100000 1000000

The bank holds the 30 originals of the re-upload set (tests/robustness.py, dev and held-out) and
real distractor photos (tools/make_distractors.py: BSDS500 photos and Debian wallpapers, crops of
them, none derived from the re-upload set), as ``bank add`` stores them (hashes, ORB keypoints,
thumbnail; no faces, which known_image does not use). Sizes past the real photos are filled with
synthetic entries, as the issue allows: uniform random PDQ/pHash bits (what hashes of unrelated
photos look like) and keyword postings copied from the real distractors' (word and embedding
bits of one real descriptor together, each real posting into Poisson(synthetic / real distractors)
synthetic photos), so posting lists are as long and as alike as in a real bank of that size. Each synthetic row points at a real distractor's
entry id, so a synthetic candidate costs what a real one does (SQLite confirmation of a hash hit,
ORB + RANSAC verification of a keyword candidate), and a false match would show up as one.

Queries: for every original, four edits that hashes alone miss or nearly miss (corner crop,
screenshot, mirror+crop+caption, a quarter turn of a crop), plus the re-upload set's 46 unrelated
photos. known_image time is the check alone, after
the shared decode (``img.rgb``), as the report's ``timings_ms`` (wall) and as CPU time of the
thread that ran it (the steadier figure on a shared machine); candidate time is the index lookup
alone. Start-up: a fresh process opening the bank and its index. Index size: bytes of the saved
files per photo (the most a process can hold of it; it is memory-mapped, so RSS holds only pages
touched, reported too).
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from imgcheck import Engine
from imgcheck.bank import Bank, NewEntry, scale
from imgcheck.bank.image_index import MIN_SIDE, ImageIndex, Part, hash_kinds, make_part, quality_gates
from imgcheck.engine import thumbnail_jpeg
from imgcheck import local_features as local
from imgcheck.hashing import views
from imgcheck.load import load_image
from tests import robustness as R


def rss_mb() -> float:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * 4096 / 2**20


def entry(source: str | Path | bytes, label: str) -> NewEntry:
    img = load_image(source)
    return NewEntry(label=label, kind="other", source=str(source), sha256=img.sha256, width=img.width,
                    height=img.height, hashes=views.bank_hashes(img), features=views.bank_features(img),
                    thumb_jpeg=thumbnail_jpeg(img))


def build_real_bank(path: Path, distractors: list[Path]) -> dict:
    """Originals first (ids 1..30), then distractors; timed (the `bank add` path without faces)."""
    originals = R.DEV_ORIGINALS + R.HELDOUT_ORIGINALS
    bank = Bank(path, index_folder=path.parent / "unused.index")
    n = bank.store.count()
    if n == len(originals) + len(distractors):
        return json.loads((path.parent / "add_speed.json").read_text())
    if n:
        raise SystemExit(f"{path} is half built ({n} entries): delete it")
    for name in originals:
        bank.store.add(entry(R.FIXTURES / f"{name}.jpg", name))
    t = time.process_time()
    w = time.perf_counter()
    for p in distractors:
        bank.store.add(entry(p, "distractor"))
    speed = {"photos": len(distractors), "cpu_s": time.process_time() - t, "wall_s": time.perf_counter() - w}
    (path.parent / "add_speed.json").write_text(json.dumps(speed))
    bank.close()
    return speed


def real_rows(bank: Bank, upto: int) -> tuple[dict, list[tuple[int, np.ndarray]]]:
    hashes = {}
    for kind in hash_kinds():
        ids, bits = bank.store.index_hash_rows(kind, quality_gates(), MIN_SIDE)
        keep = ids <= upto
        hashes[kind] = (ids[keep], bits[keep])
    feats = [(e, local.Features.from_bytes(b).descriptors) for e, b in bank.store.index_feature_rows(
        local.FEATURE_KIND) if e <= upto]
    return hashes, feats


def synthetic_part(real: Part, n_syn: int, distractor_ids: np.ndarray, folder: Path,
                   rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Arrays of ``real`` plus ``n_syn`` synthetic rows, the keyword postings written straight to disk."""
    arrays: dict[str, np.ndarray] = {}
    syn_ids = distractor_ids[np.arange(n_syn) % len(distractor_ids)]
    for kind in hash_kinds():
        table, ids = real.hashes[kind]
        nbytes = table.bits.shape[1]
        bits = np.concatenate([np.asarray(table.bits), rng.integers(0, 256, (n_syn, nbytes), dtype=np.uint8)])
        big = scale.MultiIndexHash.build(bits)
        arrays.update({f"{kind}_{k}": v for k, v in big.arrays().items()})
        arrays[f"{kind}_ids"] = np.concatenate([ids, syn_ids])
    kw = real.keywords
    n_real = len(kw)
    real_rows = np.asarray(kw.postings, np.int64)
    real_emb = np.asarray(kw.embeddings)
    df_real = np.diff(np.asarray(kw.starts, np.int64))
    word_of = np.repeat(np.arange(len(df_real)), df_real)
    # a synthetic photo holds descriptors of the real distractor photos (word and embedding
    # together), each real distractor posting copied into Poisson(n_syn / distractors) of them
    is_distractor = np.isin(np.asarray(real.keyword_ids)[real_rows], distractor_ids)
    lam = n_syn / max(1, int(np.isin(real.keyword_ids, distractor_ids).sum()))
    copies = np.where(is_distractor, rng.poisson(lam, len(real_rows)), 0)
    cnt = 1 + copies
    starts = np.zeros(len(df_real) + 1, np.int64)
    np.cumsum(np.bincount(word_of, weights=cnt, minlength=len(df_real)).astype(np.int64), out=starts[1:])
    total = int(starts[-1])
    folder.mkdir(parents=True, exist_ok=True)
    post = np.lib.format.open_memmap(folder / "kw_postings.npy", mode="w+", dtype=np.uint32, shape=(total,))
    emb = np.lib.format.open_memmap(folder / "kw_embeddings.npy", mode="w+", dtype=np.uint16, shape=(total,))
    at = 0
    step = 1 << 20
    for a in range(0, len(real_rows), step):  # real postings in word order, each followed by its copies
        c = cnt[a:a + step]
        m = int(c.sum())
        rows = rng.integers(n_real, n_real + n_syn, m, dtype=np.uint32)
        rows[np.cumsum(c) - c] = real_rows[a:a + step]
        post[at:at + m] = rows
        emb[at:at + m] = np.repeat(real_emb[a:a + step], c)
        at += m
    assert at == total
    post.flush()
    emb.flush()
    del post, emb
    arrays["kw_words"] = np.asarray(kw.words)
    arrays["kw_starts"] = starts.astype(np.uint32) if total < 2**32 else starts
    arrays["kw_ids"] = np.concatenate([real.keyword_ids, syn_ids])
    return arrays


def save_index(bank: Bank, folder: Path, arrays: dict[str, np.ndarray], entries: int) -> None:
    manifest = scale.Manifest(bank.store.generation, bank.store.max_entry_id(), entries, scale.WORD_POSITIONS,
                              bank.store.now())
    scale.save_arrays(folder, {k: v for k, v in arrays.items() if k not in ("kw_postings", "kw_embeddings")},
                      manifest)


def queries() -> list[tuple[str | None, str, bytes]]:
    out = []
    originals = R.DEV_ORIGINALS + R.HELDOUT_ORIGINALS
    edits = (R.EDITS[2], R.EDITS[4], R.EDITS[14])  # corner crop, screenshot, mirror+crop+caption
    for split, names in (("dev", R.DEV_ORIGINALS), ("heldout", R.HELDOUT_ORIGINALS)):
        for q in R.positive_queries(names, split, edits):
            out.append((q.original, q.edit, q.data))
    for name in originals:  # a quarter turn of a crop: keypoints must find it
        rgb = R.load(name)
        h, w = rgb.shape[:2]
        out.append((name, "rot90+crop", R.encode_jpeg(np.ascontiguousarray(np.rot90(rgb[: round(h * .8), round(w * .15):])))))
    for q in R.negative_queries(R.NEGATIVES, "heldout", (R.EDITS[0],)):
        out.append((None, f"negative {q.edit}", q.data))
    return out


def startup_seconds(bank_path: Path, folder: Path) -> float:
    code = ("import time; t=time.perf_counter(); from imgcheck.bank import Bank; "
            f"b=Bank({str(bank_path)!r}, index_folder={str(folder)!r}); i=b.image_index(); "
            "assert i.delta is None and i.saved is not None; print(time.perf_counter()-t)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(p.stdout.strip())


def run_size(size: int, bank_path: Path, work: Path, qs, rng) -> dict:
    bank = Bank(bank_path, index_folder=work / "unused.index")
    real_n = bank.store.count()
    upto = min(size, real_n)
    hashes, feats = real_rows(bank, upto)
    real = make_part(hashes, feats)
    folder = work / f"index_{size}"
    shutil.rmtree(folder, ignore_errors=True)
    t = time.perf_counter()
    if size > real_n:
        distractor_ids = real.keyword_ids[real.keyword_ids > len(R.DEV_ORIGINALS + R.HELDOUT_ORIGINALS)]
        arrays = synthetic_part(real, size - real_n, distractor_ids, folder, rng)
    else:
        arrays = real.arrays()
        folder.mkdir(parents=True)
        np.save(folder / "kw_postings.npy", arrays["kw_postings"])
        np.save(folder / "kw_embeddings.npy", arrays["kw_embeddings"])
    save_index(bank, folder, arrays, size)
    build_s = time.perf_counter() - t
    del arrays, real, hashes, feats
    bank.close()
    index_bytes = sum(p.stat().st_size for p in folder.glob("*.npy"))
    start = startup_seconds(bank_path, folder)

    rss0 = rss_mb()
    bank = Bank(bank_path, index_folder=folder)
    index: ImageIndex = bank.image_index()
    if size <= real_n:  # a smaller bank: only the first `size` entries count
        allowed = upto
    else:
        allowed = real_n
    eng = Engine(bank=bank)
    ki, ki_cpu, cand, found, total, false, kw_found, ki_cpu_unrelated = [], [], [], 0, 0, [], 0, []
    for original, edit, data in qs:
        if original is not None and R.ORIGINAL_IDS.get(original, 0) > allowed:
            continue
        img = eng.load(data)
        img.rgb(views.HASH_SIDE)
        img.rgb(local.FEATURE_SIDE)  # the shared decode
        c0 = time.thread_time()
        report = eng.check(img, checks=["known_image"])
        ki_cpu.append((time.thread_time() - c0) * 1000)
        if original is None:
            ki_cpu_unrelated.append(ki_cpu[-1])
        ki.append(report.timings_ms["known_image"])
        qf = views.query_features(img, eng.settings.coarse_view)  # the check's keyword descriptors
        t = time.perf_counter()
        pdq = np.stack([np.frombuffer(h.bits, np.uint8) for _, h in views.query_hashes(img)["pdq"]])
        index.hash_candidates("pdq", pdq, 47)
        kc = index.keyword_candidates(qf.keyword_descriptors(), 8, eng.settings.keyword_vote)
        cand.append((time.perf_counter() - t) * 1000)
        if original is not None:
            kw_found += int(R.ORIGINAL_IDS[original] in [e for e, _, _ in kc])
        labels = [m.label for m in report.matches]
        if original is not None:
            total += 1
            found += int(bool(labels) and labels[0] == original)
        if labels and labels[0] != original:
            false.append(f"{edit}:{original}->{labels[0]}")
    out = {"size": size, "real_photos": min(size, real_n), "synthetic": max(0, size - real_n),
           "known_image_p50_ms": statistics.median(ki), "known_image_p90_ms": float(np.percentile(ki, 90)),
           "known_image_cpu_p50_ms": statistics.median(ki_cpu),
           "known_image_cpu_p50_unrelated_ms": statistics.median(ki_cpu_unrelated or [0.0]), "candidates_p50_ms": statistics.median(cand), "recall": found / max(1, total), "positives": total,
           "keyword_recall_at_8": kw_found / max(1, total),
           "false_matches": false, "queries": len(ki), "index_bytes_per_photo": index_bytes / size,
           "rss_growth_mb": rss_mb() - rss0, "startup_s": start, "index_build_s": build_s}
    bank.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--distractors", type=Path, required=True)
    ap.add_argument("--work", type=Path, required=True)
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000, 1000000])
    ap.add_argument("--limit", type=int, default=0, help="use only this many distractor files")
    args = ap.parse_args()
    args.work.mkdir(parents=True, exist_ok=True)
    files = sorted(args.distractors.glob("*.jpg"))
    if args.limit:
        files = files[: args.limit]
    bank_path = args.work / "real.sqlite"
    speed = build_real_bank(bank_path, files)
    print(f"bank add without faces: {speed['photos'] / speed['cpu_s']:.1f} photos/s per core "
          f"({speed['photos']} distractors, {speed['cpu_s']:.0f} CPU s)", flush=True)
    originals = R.DEV_ORIGINALS + R.HELDOUT_ORIGINALS
    R.ORIGINAL_IDS = {n: i + 1 for i, n in enumerate(originals)}
    qs = queries()
    rng = np.random.default_rng(0)
    rows = []
    for size in args.sizes:
        r = run_size(size, bank_path, args.work, qs, rng)
        rows.append(r)
        print(json.dumps(r), flush=True)
    print("\n| bank photos | real | synthetic | known_image p50 CPU ms (unrelated alone) | p50 / p90 wall ms | "
          "candidates p50 ms | "
          "keyword recall@8 | recall | false matches | index bytes/photo | start-up s |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        print(f"| {r['size']:,} | {r['real_photos']:,} | {r['synthetic']:,} | {r['known_image_cpu_p50_ms']:.0f} ({r['known_image_cpu_p50_unrelated_ms']:.0f}) | "
              f"{r['known_image_p50_ms']:.0f} / "
              f"{r['known_image_p90_ms']:.0f} | {r['candidates_p50_ms']:.1f} | {100 * r['keyword_recall_at_8']:.1f}% | {100 * r['recall']:.1f}% "
              f"({r['positives']}) | {len(r['false_matches'])} | {r['index_bytes_per_photo']:.0f} | "
              f"{r['startup_s']:.2f} |")


if __name__ == "__main__":
    main()
