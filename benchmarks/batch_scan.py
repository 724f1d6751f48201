"""Batch scan throughput and memory: images/s at 1 and 2 workers (hash-only and all checks), the Ray
engine against the local engine at equal cores, and peak memory of the whole process tree.

Every configuration runs in a fresh subprocess on the same generated images; the parent samples
the RSS of that process and all its descendants (worker processes, Ray's raylet and actors) every
0.1 s and keeps the peak. Ratios are against baselines measured in the same run.

    nice -n 10 python benchmarks/batch_scan.py                     # 2,000 images, all parts
    nice -n 10 python benchmarks/batch_scan.py --images 500 --skip-ray
    python benchmarks/batch_scan.py --only "hash 2w,ray hash 2w"   # Ray against local only
    nice -n 10 python benchmarks/batch_scan.py --million-listing    # memory of a 1M-line listing

Images: re-encoded variants (random size 320-1600 px, JPEG quality 70-95) of the real photos in
--photos (default: tests/fixtures), written to a temporary folder.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def make_images(src: Path, dest: Path, n: int, seed: int = 7) -> None:
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(seed)
    photos = []
    for p in sorted(src.iterdir()):
        if p.suffix.lower() in (".jpg", ".jpeg", ".png"):
            try:
                im = Image.open(p).convert("RGB")
            except OSError:
                continue
            if min(im.size) >= 200:
                photos.append(im)
    dest.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        im = photos[i % len(photos)]
        side = int(rng.integers(320, 1601))
        scale = side / max(im.size)
        v = im.resize((max(1, round(im.width * scale)), max(1, round(im.height * scale))), Image.LANCZOS)
        buf = io.BytesIO()
        v.save(buf, "JPEG", quality=int(rng.integers(70, 96)))
        (dest / f"v{i:05d}.jpg").write_bytes(buf.getvalue())


def tree_stats(pid: int) -> tuple[int, float]:
    """Resident memory (bytes) and CPU time used so far (user + system, seconds) of ``pid`` and all
    its descendants (Linux /proc)."""
    children: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(d))
        except (OSError, IndexError, ValueError):
            continue
    tick = os.sysconf("SC_CLK_TCK")
    rss, cpu, todo = 0, 0.0, [pid]
    while todo:
        p = todo.pop()
        todo += children.get(p, [])
        try:
            with open(f"/proc/{p}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            cpu += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
            with open(f"/proc/{p}/status") as fh:
                for line in fh:
                    if line.startswith("VmRSS:"):
                        rss += int(line.split()[1]) * 1024
                        break
        except (OSError, IndexError, ValueError):
            continue
    return rss, cpu


def measure(args: list[str]) -> dict:
    """Run one configuration in a subprocess; return its JSON result plus the peak tree RSS."""
    env = dict(os.environ, OMP_NUM_THREADS="1", RAY_USAGE_STATS_ENABLED="0")
    proc = subprocess.Popen([sys.executable, __file__, "--run", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env, cwd=REPO)
    peak = 0
    cpu = 0.0
    stop = threading.Event()

    def sample() -> None:
        # CPU time of the tree only grows while its processes live; the last sample before the
        # workers exit is at most 0.1 s old
        nonlocal peak, cpu
        while not stop.is_set():
            rss, used = tree_stats(proc.pid)
            peak, cpu = max(peak, rss), max(cpu, used)
            stop.wait(0.1)

    t = threading.Thread(target=sample, daemon=True)
    t.start()
    out, _ = proc.communicate()
    stop.set()
    t.join()
    if proc.returncode != 0:
        raise SystemExit(f"run {args} failed with code {proc.returncode}")
    result = json.loads(out.strip().splitlines()[-1])
    result["peak_rss_mb"] = round(peak / 1e6, 1)
    result["cpu_s"] = round(cpu, 1)
    result["cpu_ms_per_image"] = round(1000 * cpu / max(result["n"], 1), 1)
    return result


def run_one(ns: argparse.Namespace) -> None:
    """Child side: one scan, timed; prints one JSON line."""
    from imgcheck import Engine
    from imgcheck.batch import scan_iter

    engine = Engine(bank=ns.bank)
    checks = ns.checks.split(",") if ns.checks != "all" else None
    names = engine.resolve_checks(checks)
    kw = {"backend": ns.engine, "workers": ns.workers}
    t_init = 0.0
    if ns.engine == "ray":
        import ray

        t = time.perf_counter()
        ray.init(num_cpus=ns.workers, include_dashboard=False, log_to_driver=False)
        t_init = time.perf_counter() - t
    t0 = time.perf_counter()
    first = None
    n = errors = 0
    for rec in scan_iter([ns.inputs], engine, checks=names, **kw):
        if first is None:
            first = time.perf_counter()
        n += 1
        errors += rec["verdict"] == "error"
    dt = time.perf_counter() - t0
    print(json.dumps({"engine": ns.engine, "workers": ns.workers, "checks": ",".join(names), "n": n,
                      "errors": errors, "seconds": round(dt, 2), "ray_init_s": round(t_init, 2),
                      "first_record_s": round((first or t0) - t0, 2), "images_per_s": round(n / dt, 2),
                      # after the first record: workers/actors started, models loaded
                      "steady_images_per_s": round((n - 1) / max(dt - ((first or t0) - t0), 1e-9), 2)}))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--images", type=int, default=2000)
    ap.add_argument("--photos", type=Path, default=REPO / "tests" / "fixtures")
    ap.add_argument("--skip-ray", action="store_true")
    ap.add_argument("--only", help="comma-separated configs to run, e.g. 'hash 2w,ray hash 2w' "
                                   "(default: all: hash/full at 1 and 2 workers, ray hash/full at 2)")
    ap.add_argument("--image-dir", type=Path, help="keep the generated images here (reused when present)")
    ap.add_argument("--million-listing", action="store_true",
                    help="only measure memory while scanning a 1,000,000-line listing (missing files)")
    ap.add_argument("--run", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--inputs", help=argparse.SUPPRESS)
    ap.add_argument("--bank", help=argparse.SUPPRESS)
    ap.add_argument("--checks", default="known_image", help=argparse.SUPPRESS)
    ap.add_argument("--workers", type=int, default=1, help=argparse.SUPPRESS)
    ap.add_argument("--engine", default="local", help=argparse.SUPPRESS)
    ns = ap.parse_args()
    if ns.run:
        run_one(ns)
        return

    from imgcheck import Engine
    from imgcheck.examples import build_example_bank

    with tempfile.TemporaryDirectory(prefix="imgcheck-bench-") as tmp:
        tmpd = Path(tmp)
        bank = tmpd / "bank.sqlite"
        eng = Engine(bank=bank)
        build_example_bank(eng)
        all_checks = ",".join(eng.available_checks())
        eng.bank.close()
        print(f"# machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start; "
              f"checks available: {all_checks}")
        if ns.million_listing:
            listing = tmpd / "million.txt"
            with listing.open("w") as fh:
                for i in range(1_000_000):
                    fh.write(f"missing/dir{i % 1000}/img{i:07d}.jpg\n")
            r = measure(["--inputs", str(listing), "--bank", str(bank), "--workers", "1"])
            print(json.dumps(r))
            print(f"1,000,000-line listing: {r['n']} records in {r['seconds']} s, "
                  f"peak RSS {r['peak_rss_mb']} MB")
            return
        images = ns.image_dir or tmpd / "images"
        if not (images.is_dir() and len(list(images.glob("v*.jpg"))) == ns.images):
            t = time.perf_counter()
            make_images(ns.photos, images, ns.images)
            print(f"# made {ns.images} images in {time.perf_counter() - t:.0f} s")
        base = ["--inputs", str(images), "--bank", str(bank)]
        results: dict[str, dict] = {}
        configs = [("hash 1w", "known_image", 1, "local"), ("hash 2w", "known_image", 2, "local")]
        if all_checks != "known_image":
            configs += [("full 1w", "all", 1, "local"), ("full 2w", "all", 2, "local")]
        else:
            print("# only known_image is registered: the all-checks runs would repeat the hash-only ones; skipped")
        if not ns.skip_ray:
            configs += [(f"ray {c[0]}", c[1], 2, "ray") for c in configs if c[2] == 2]
        if ns.only:
            wanted = {x.strip() for x in ns.only.split(",")}
            configs = [c for c in configs if c[0] in wanted]
        for label, checks, workers, engine in configs:
            results[label] = measure([*base, "--checks", checks, "--workers", str(workers), "--engine", engine])
            print(json.dumps({"config": label, **results[label]}), flush=True)
        print()
        print(f"{'config':<14}{'images/s':>10}{'steady/s':>10}{'seconds':>10}{'1st rec s':>10}{'peak RSS MB':>13}"
              f"{'CPU ms/img':>12}")
        for label, r in results.items():
            print(f"{label:<14}{r['images_per_s']:>10}{r['steady_images_per_s']:>10}{r['seconds']:>10}"
                  f"{r['first_record_s']:>10}{r['peak_rss_mb']:>13}{r['cpu_ms_per_image']:>12}")
        for kind in ("hash", "full"):
            if f"{kind} 1w" not in results or f"{kind} 2w" not in results:
                continue
            a, b = results[f"{kind} 1w"], results[f"{kind} 2w"]
            print(f"speed-up {kind}, 2 workers vs 1: {b['images_per_s'] / a['images_per_s']:.2f}x end to end, "
                  f"{b['steady_images_per_s'] / a['steady_images_per_s']:.2f}x after start-up; CPU per image "
                  f"{b['cpu_ms_per_image'] / a['cpu_ms_per_image']:.2f}x (so on 2 idle cores at most "
                  f"{2 * a['cpu_ms_per_image'] / b['cpu_ms_per_image']:.2f}x)")
        for kind in ("hash", "full"):
            if f"ray {kind} 2w" not in results or f"{kind} 2w" not in results:
                continue
            loc, ray = results[f"{kind} 2w"], results[f"ray {kind} 2w"]
            ratio = ray["seconds"] / loc["seconds"]
            with_init = (ray["seconds"] + ray["ray_init_s"]) / loc["seconds"]
            what = "hash-only" if kind == "hash" else "all checks"
            print(f"ray vs local at 2 cores ({what}, {ns.images} images): scan wall time {ratio:.2f}x "
                  f"(overhead {100 * (ratio - 1):+.0f}%), {with_init:.2f}x counting ray.init "
                  f"({ray['ray_init_s']} s); steady rate "
                  f"{ray['steady_images_per_s'] / loc['steady_images_per_s']:.2f}x local's; CPU per image "
                  f"{ray['cpu_ms_per_image'] / loc['cpu_ms_per_image']:.2f}x local's (Ray's own processes included)")
        print(f"# load average at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
