"""Latency of the provenance + watermark path per image, as ratios to a full decode in the same run.

    python benchmarks/provenance_latency.py [FILE_OR_DIR ...] [--repeat 3]

Default inputs: the test photos and crafted provenance files in tests/fixtures. For every image:

- baseline: ``load_image`` + ``img.rgb(None)`` (safe load and a full-resolution decode);
- ai_provenance: the check on an already loaded image (metadata walk, XMP/EXIF/PNG text rules, C2PA
  reader when a manifest marker is present); it needs no pixels;
- ai_watermark: the check on a freshly loaded image, so it pays its own full-resolution decode;
- both checks through ``Engine.check`` (load included), i.e. what a caller pays for this path.

Prints per-image medians and the median ratio to the baseline; no timing is asserted anywhere.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from imgcheck import Engine
from imgcheck.checks import CheckContext
from imgcheck.load import load_image

REPO = Path(__file__).resolve().parent.parent
EXTS = {".jpg", ".jpeg", ".png", ".webp", ".tif", ".gif"}


def _inputs(args: list[str]) -> list[Path]:
    roots = [Path(a) for a in args] or [REPO / "tests" / "fixtures", REPO / "tests" / "fixtures" / "provenance"]
    out: list[Path] = []
    for r in roots:
        out += sorted(p for p in r.iterdir() if p.suffix.lower() in EXTS) if r.is_dir() else [r]
    return out


def _time(fn, repeat: int) -> float:
    best = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best.append((time.perf_counter() - t) * 1000)
    return statistics.median(best)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("paths", nargs="*")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    engine = Engine(bank=None)
    ctx = CheckContext(engine)
    prov, mark = engine._check("ai_provenance"), engine._check("ai_watermark")
    prov.run(load_image(_inputs(args.paths)[0]), ctx)          # warm-up: imports, c2pa context
    rows = []
    w = sys.stdout.write
    w(f"{'image':34} {'px':>9} {'decode ms':>9} {'prov ms':>8} {'wm ms':>8} {'engine ms':>9} "
      f"{'prov/dec':>8} {'wm/dec':>7} {'eng/dec':>7}\n")
    for p in _inputs(args.paths):
        try:
            img = load_image(p)
        except Exception as exc:  # noqa: BLE001 - a benchmark skips what it cannot read
            w(f"{p.name:34} skipped ({exc})\n")
            continue
        dec = _time(lambda p=p: load_image(p).rgb(None), args.repeat)
        pv = _time(lambda img=img: prov.run(img, ctx), args.repeat)
        wmk = _time(lambda p=p: mark.run(load_image(p), ctx), args.repeat)
        eng = _time(lambda p=p: engine.check(p, checks=["ai_provenance", "ai_watermark"]), args.repeat)
        rows.append((pv / dec, wmk / dec, eng / dec))
        w(f"{p.name[:34]:34} {img.width * img.height:9d} {dec:9.1f} {pv:8.2f} {wmk:8.1f} {eng:9.1f} "
          f"{pv / dec:8.3f} {wmk / dec:7.2f} {eng / dec:7.2f}\n")
    if rows:
        med = [statistics.median(c) for c in zip(*rows)]
        w(f"\n{len(rows)} images; median ratio to a full decode: ai_provenance {med[0]:.3f}, "
          f"ai_watermark {med[1]:.2f} (its own decode included), both via Engine.check {med[2]:.2f}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
