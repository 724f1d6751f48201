"""Latency of the full AI-evidence path per image, as a ratio to decoding the same image.

Runs every AI check the engine has (provenance, watermark, pixel detector with its face part, GAN-face
geometry; those not installed are skipped) on the test fixtures and prints, per stage, the median milliseconds per image and
the ratio to the baseline measured in the same process: decoding the image to the detector's working
size. Ratios travel between machines better than milliseconds; nothing here asserts a time.

    OMP_NUM_THREADS=1 python benchmarks/ai_evidence_latency.py [--repeat 3] [--threads 1] [--compare DIR]

``--compare DIR`` also times a second model folder (e.g. the previous pixel-detector head) in the same
run, image by image in turn, so "before" and "after" share the machine's load.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIXTURES = REPO / "tests" / "fixtures"
#: the last one is a StyleGAN face on the FFHQ layout: the case where the face head also runs
IMAGES = ["grace_hopper.jpg", "rocket.jpg", "coffee.png", "astronaut.png", "ai_z_image_turbo.webp",
          "ai_hidream_i1.webp", "gan_faces/basemax_10.jpg"]
AI_CHECKS = ("ai_provenance", "ai_watermark", "ai_pixels", "gan_face_geometry")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--threads", type=int, default=1, help="onnxruntime intra-op threads")
    ap.add_argument("--compare", type=Path, default=None, help="a second models folder to time in the same run")
    args = ap.parse_args()

    from imgcheck import Engine
    from imgcheck.ai_pixels.pixels import WORK_SIDE
    from imgcheck.settings import Settings

    engines = {"current": Engine(settings=Settings(intra_op_threads=args.threads))}
    if args.compare is not None:
        engines["compare"] = Engine(settings=Settings(intra_op_threads=args.threads, models_dir=args.compare))
    checks = [c for c in AI_CHECKS if c in engines["current"].available_checks()]
    paths = [FIXTURES / n for n in IMAGES if (FIXTURES / n).exists()]
    for engine in engines.values():
        engine.check(paths[0], checks=checks)  # load sessions once, outside the timing

    base: list[float] = []
    per_check = {e: {c: [] for c in checks} for e in engines}
    total: dict[str, list[float]] = {e: [] for e in engines}
    for _ in range(args.repeat):
        for p in paths:
            t = time.perf_counter()
            engines["current"].load(p).rgb(WORK_SIDE)
            base.append((time.perf_counter() - t) * 1000)
            for name, engine in engines.items():
                t = time.perf_counter()
                report = engine.check(p, checks=checks)
                total[name].append((time.perf_counter() - t) * 1000)
                for c in checks:
                    per_check[name][c].append(report.timings_ms.get(c, 0.0))
    b = statistics.median(base)
    print(f"images: {len(paths)} x {args.repeat} repeats; onnxruntime threads: {args.threads}")
    for name in engines:
        label = "models/" if name == "current" else str(args.compare)
        print(f"\n[{label}]")
        print(f"{'stage':<22}{'median ms':>12}{'x baseline':>12}")
        print(f"{'baseline: decode':<22}{b:>12.1f}{1.0:>12.1f}")
        for c in checks:
            m = statistics.median(per_check[name][c])
            print(f"{c:<22}{m:>12.1f}{m / b:>12.1f}")
        m = statistics.median(total[name])
        print(f"{'full AI evidence path':<22}{m:>12.1f}{m / b:>12.1f}")
    if "compare" in engines:
        r = statistics.median(total["current"]) / statistics.median(total["compare"])
        print(f"\nfull path, current / compare: {r:.2f}x")


if __name__ == "__main__":
    main()
