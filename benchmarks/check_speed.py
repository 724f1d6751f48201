"""``imgcheck check --checks known_image`` on 12 MP JPEGs against the naive imagehash loop, whole processes.

    python -m benchmarks.check_speed                 # 40 photos, 10 of them in the bank, 3 rounds
    python -m benchmarks.check_speed --n 12 --rounds 1   # the short variant

Inputs: photos of tests/fixtures/reupload upscaled to 4000x3000 with sensor-like noise, JPEG
quality 92 (``benchmarks.hash_speed.make_12mp``). The bank holds the first ``--in-bank`` of them
(added untimed). Both sides are timed as fresh processes, start-up and imports included, one after
the other in each round, wall clock:

- naive: ``python -c`` that computes ``imagehash.phash(Image.open(p))`` for every file and compares
  it with the bank photos' pHashes (distance <= 10), printing one line per file;
- imgcheck: ``python -m imgcheck.cli check --checks known_image --json --bank B files...`` (the
  two-stage lookup: 8-orientation PDQ and pHash, ORB keywords, verification of the candidates).

The script prints both medians, the ratio, and whether both found the bank photos among the files.

imgcheck's modules are byte-compiled first (``compileall``, into the checkout's ``__pycache__``, as
``pip install`` does for the naive loop's imagehash, Pillow and scipy): where PYTHONDONTWRITEBYTECODE is
set and the checkout has no up-to-date .pyc, every imgcheck process would otherwise compile its ~45
modules from source, about 0.2 s of CPU that says nothing about the code. ``--as-found`` skips that.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.hash_speed import make_12mp
from imgcheck import Engine
from tests import robustness as R

NAIVE = """
import sys
import imagehash
from PIL import Image
bank = [imagehash.hex_to_hash(h) for h in sys.argv[1].split(",")]
for p in sys.argv[2:]:
    h = imagehash.phash(Image.open(p))
    print(p, any(h - b <= 10 for b in bank))
"""


def timed(cmd: list[str], env: dict) -> tuple[float, float, str]:
    """(wall s, CPU s of the process and its threads, stdout)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, check=False)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if p.returncode not in (0,):
        raise SystemExit(f"{cmd[:4]} failed ({p.returncode}): {p.stderr[-2000:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), p.stdout


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=40)
    ap.add_argument("--in-bank", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--as-found", action="store_true",
                    help="do not byte-compile imgcheck first (time it with whatever .pyc files exist)")
    args = ap.parse_args()
    root = Path(__file__).resolve().parent.parent
    compiled = False
    if not args.as_found:
        import compileall

        compiled = bool(compileall.compile_dir(str(root / "imgcheck"), quiet=1))
    names = sorted(p.stem for p in R.FIXTURES.glob("*.jpg"))[: args.n]
    rng = np.random.default_rng(0)
    env = dict(os.environ, PYTHONPATH=str(root))
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        files = [make_12mp(n, work, rng) for n in names]
        bank_path = work / "bank.sqlite"
        eng = Engine(bank=bank_path)
        import imagehash
        from PIL import Image

        bank_hashes = []
        for p in files[: args.in_bank]:
            eng.add_to_bank(p, label=p.stem)
            bank_hashes.append(str(imagehash.phash(Image.open(p))))
        eng.bank.image_index()  # the saved index, as after `bank add`
        eng.bank.close()
        naive_cmd = [sys.executable, "-c", NAIVE, ",".join(bank_hashes), *map(str, files)]
        ours_cmd = [sys.executable, "-m", "imgcheck.cli", "check", "--checks", "known_image", "--json",
                    "--bank", str(bank_path), *map(str, files)]
        t_naive, t_ours, c_naive, c_ours = [], [], [], []
        for _ in range(args.rounds):
            w, c, out_naive = timed(naive_cmd, env)
            t_naive.append(w)
            c_naive.append(c)
            w, c, out_ours = timed(ours_cmd, env)
            t_ours.append(w)
            c_ours.append(c)
        naive_found = {Path(line.split()[0]).stem for line in out_naive.splitlines() if line.endswith("True")}
        ours_found = {Path(json.loads(line)["source"]).stem for line in out_ours.splitlines()
                      if json.loads(line)["flags"]}
    expected = set(names[: args.in_bank])
    a, b = statistics.median(t_naive), statistics.median(t_ours)
    ca, cb = statistics.median(c_naive), statistics.median(c_ours)
    print(f"{len(files)} JPEGs 4000x3000, {args.in_bank} in the bank, {args.rounds} rounds, whole processes, "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}, imgcheck "
          f"{'byte-compiled first' if compiled else 'timed with the .pyc files found'}")
    print(f"naive imagehash loop      : {a:6.2f} s wall, {ca:6.2f} s CPU   [baseline]")
    print(f"imgcheck check known_image: {b:6.2f} s wall, {cb:6.2f} s CPU   x{a / b:.2f} (wall), x{ca / cb:.2f} (CPU)")
    print(f"bank photos found: naive {len(naive_found & expected)}/{len(expected)} (+{len(naive_found - expected)} "
          f"others), imgcheck {len(ours_found & expected)}/{len(expected)} (+{len(ours_found - expected)} others)")


if __name__ == "__main__":
    main()
