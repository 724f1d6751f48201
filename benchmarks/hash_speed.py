"""Hash path speed on 12 MP JPEGs: imgcheck's reduced-scale decode vs the naive imagehash loop.

    python -m benchmarks.hash_speed              # 16 photos (8 bank photos + 8 others), 3 rounds
    python -m benchmarks.hash_speed --n 4 --rounds 1   # the short variant
    python -m benchmarks.hash_speed --workers 4        # threads for the pipelined path (default: CPUs)

12 MP inputs are made from the real photos in tests/fixtures/reupload (upscaled to 4000x3000 with
bicubic interpolation plus mild sensor-like noise, saved as JPEG quality 92, about what a phone
writes). Naive: ``imagehash.phash(Image.open(p))`` (full 12 MP decode). imgcheck: ``load_image(p)``
(header checks and a JPEG DCT-domain decode at 1/8 scale through Pillow ``draft``) then pHash of
the 512 px working copy, i.e. what ``bank add`` and ``check`` do, on one thread; and the same work
through ``hash_files`` (what ``imgcheck hash`` and, with more per image, ``bank add`` run), a
thread per CPU. All three are timed in this process, one after the other, in wall-clock and in
process CPU time (the steadier figure on a shared machine); the script prints the ratios and
whether all make the same match decisions (pHash distance <= 10) for every (query, bank photo) pair.

A last row times what ``imgcheck hash`` runs by default (``hash_files`` with pdq and phash): its PDQ
is Meta's reference PDQ, which needs the full-resolution pixels (``views.exchange_pdq``), so that
row pays a full decode per image on top of the pHash path.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import cv2
import imagehash
import numpy as np
from PIL import Image

from imgcheck import threads
from imgcheck.hashing import HASH_TYPES
from imgcheck.hashing.files import hash_files
from imgcheck.hashing.views import HASH_SIDE
from imgcheck.load import load_image
from tests import robustness as R

SIZE = (4000, 3000)


def make_12mp(name: str, out: Path, rng: np.random.Generator) -> Path:
    rgb = R.load(name)
    h, w = rgb.shape[:2]
    size = SIZE if w >= h else SIZE[::-1]
    big = cv2.resize(rgb, size, interpolation=cv2.INTER_CUBIC).astype(np.float32)
    big += rng.normal(0, 3, big.shape).astype(np.float32)
    path = out / f"{name}.jpg"
    Image.fromarray(np.clip(big, 0, 255).astype(np.uint8)).save(path, "JPEG", quality=92)
    return path


def naive(paths: list[Path]) -> list[imagehash.ImageHash]:
    return [imagehash.phash(Image.open(p)) for p in paths]


def imgcheck_path(paths: list[Path]) -> list:
    ph = HASH_TYPES["phash"]
    return [ph.compute(load_image(p).rgb(HASH_SIDE)) for p in paths]


def imgcheck_threads(paths: list[Path], workers: int) -> list:
    return [r.hashes["phash"] for r in hash_files(paths, ("phash",), workers=workers)]


def imgcheck_hash_default(paths: list[Path], workers: int) -> list:
    return [r.hashes["pdq"] for r in hash_files(paths, ("pdq", "phash"), workers=workers)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=16, help="number of 12 MP photos (half are bank photos)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--workers", type=int, default=threads.default_workers(),
                    help="threads for the pipelined path (default: CPUs available)")
    args = ap.parse_args()
    names = list(R.DEV_ORIGINALS + R.HELDOUT_ORIGINALS)[: args.n]
    bank_names = names[: args.n // 2]
    rng = np.random.default_rng(0)
    with tempfile.TemporaryDirectory() as tmp:
        paths = [make_12mp(n, Path(tmp), rng) for n in names]
        mb = sum(p.stat().st_size for p in paths) / len(paths) / 1e6
        print(f"{len(paths)} JPEGs of {SIZE[0]}x{SIZE[1]} ({mb:.1f} MB each), {args.rounds} rounds")
        t_naive = t_ours = t_thr = c_naive = c_ours = c_thr = t_both = c_both = 0.0
        for _ in range(args.rounds):
            t, c = time.perf_counter(), time.process_time()
            h_naive = naive(paths)
            t_naive += time.perf_counter() - t
            c_naive += time.process_time() - c
            t, c = time.perf_counter(), time.process_time()
            h_ours = imgcheck_path(paths)
            t_ours += time.perf_counter() - t
            c_ours += time.process_time() - c
            t, c = time.perf_counter(), time.process_time()
            h_thr = imgcheck_threads(paths, args.workers)
            t_thr += time.perf_counter() - t
            c_thr += time.process_time() - c
            t, c = time.perf_counter(), time.process_time()
            imgcheck_hash_default(paths, args.workers)
            t_both += time.perf_counter() - t
            c_both += time.process_time() - c
    # bank = the first half, hashed the same way each method hashes; queries = all photos
    bank_idx = [names.index(n) for n in bank_names]
    dec_naive = [[h_naive[q] - h_naive[b] <= 10 for b in bank_idx] for q in range(len(paths))]
    dec_ours = [[h_ours[q] - h_ours[b] <= 10 for b in bank_idx] for q in range(len(paths))]
    same = dec_naive == dec_ours
    hits = sum(map(sum, dec_ours))
    diffs = [h_naive[i] - imagehash.hex_to_hash(str(h_ours[i])) for i in range(len(paths))]
    n = len(paths) * args.rounds
    print(f"naive imagehash.phash(Image.open(p))   : {1000 * t_naive / n:7.1f} ms/image wall, "
          f"{1000 * c_naive / n:7.1f} ms CPU   [baseline]")
    print(f"imgcheck load_image + phash, 1 thread   : {1000 * t_ours / n:7.1f} ms/image wall, "
          f"{1000 * c_ours / n:7.1f} ms CPU   x{t_naive / t_ours:.1f} faster (wall), x{c_naive / c_ours:.1f} (CPU)")
    print(f"imgcheck hash_files, {args.workers} threads{' ' * max(0, 13 - len(str(args.workers)))}: "
          f"{1000 * t_thr / n:7.1f} ms/image wall, {1000 * c_thr / n:7.1f} ms CPU   "
          f"x{t_naive / t_thr:.1f} faster (wall)")
    print(f"imgcheck hash (reference PDQ + pHash), {args.workers} threads: {1000 * t_both / n:7.1f} ms/image wall, "
          f"{1000 * c_both / n:7.1f} ms CPU   x{t_naive / t_both:.1f} faster (wall)")
    print(f"same match decisions on all {len(paths)}x{len(bank_idx)} pairs: {same} ({hits} matches); "
          f"threaded hashes identical to 1-thread: {h_thr == h_ours}; "
          f"pHash bits differing between naive and imgcheck per image: max {max(diffs)}, mean {np.mean(diffs):.1f}")


if __name__ == "__main__":
    main()
