"""Calibrate the dwtDct watermark threshold: bit agreement on clean images vs marked ones.

    python tools/calibrate_watermark.py DIR [DIR ...] [--embed 40] [--json out.json]

Clean part (project venv is enough): every image of the folders (JPEG/PNG/WebP, at least 256x256) is
read at full resolution and its best agreement with each known payload, in both channel orders, is
recorded. Marked part (``--embed N``, needs the reference package ``invisible-watermark`` and torch,
i.e. the tools venv): each payload is embedded with the reference encoder into N of the images,
which are then saved as PNG, as JPEG at several qualities and resized, and read again.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from imgcheck.errors import InputError
from imgcheck.load import load_image
from imgcheck import watermark as wm

EXTS = {".jpg", ".jpeg", ".png", ".webp"}


def images(dirs: list[str]) -> list[Path]:
    out = sorted(p for d in dirs for p in Path(d).rglob("*") if p.suffix.lower() in EXTS and p.is_file())
    return out


def best_by_payload(rgb: np.ndarray, reference: bool = False, weighted: bool = False) -> dict[str, float]:
    """Best decision agreement per payload over both channel orders (or one of its two readings)."""
    best: dict[str, float] = {}
    for m in wm.read_marks(rgb):
        a = m.reference_agreement if reference else m.weighted_agreement if weighted else m.agreement
        best[m.payload] = max(best.get(m.payload, 0.0), a)
    return best


def summary(values: list[float]) -> dict[str, float]:
    a = np.asarray(values)
    if a.size == 0:
        return {"n": 0}
    return {"n": int(a.size), "median": round(float(np.median(a)), 4), "p99": round(float(np.quantile(a, 0.99)), 4),
            "max": round(float(a.max()), 4), "min": round(float(a.min()), 4),
            **{f">={t}": int((a >= t).sum()) for t in (0.7, 0.75, 0.8, 0.85, 0.9)}}


def clean_part(paths: list[Path]) -> tuple[dict, list[np.ndarray]]:
    per_payload: dict[str, list[float]] = {}
    overall: list[float] = []
    overall_ref: list[float] = []
    overall_weighted: list[float] = []
    kept: list[np.ndarray] = []
    worst: list[tuple[float, str]] = []
    for p in paths:
        try:
            img = load_image(p, verify_side=None)
            if img.width * img.height < wm.MIN_PIXELS:
                continue
            rgb = img.rgb(None)
        except InputError:
            continue
        best = best_by_payload(rgb)
        if not best:
            continue
        for k, v in best.items():
            per_payload.setdefault(k, []).append(v)
        overall.append(max(best.values()))
        overall_ref.append(max(best_by_payload(rgb, reference=True).values()))
        overall_weighted.append(max(best_by_payload(rgb, weighted=True).values()))
        worst.append((max(best.values()), str(p)))
        if min(rgb.shape[:2]) >= 512 and p.suffix.lower() in (".jpg", ".jpeg", ".png"):
            kept.append(rgb)
    worst.sort(reverse=True)
    return {"overall_best": summary(overall), "overall_best_reference_votes": summary(overall_ref),
            "overall_best_weighted_votes": summary(overall_weighted),
            "per_payload": {k: summary(v) for k, v in per_payload.items()},
            "highest": worst[:5]}, kept


def _jpeg(rgb: np.ndarray, q: int, subsampling: int = 2) -> np.ndarray:
    buf = io.BytesIO()
    Image.fromarray(rgb).save(buf, "JPEG", quality=q, subsampling=subsampling)
    return np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))


def marked_part(photos: list[np.ndarray], n: int) -> dict:
    from imwatermark import WatermarkEncoder  # reference encoder (tools venv only)

    rng = random.Random(0)
    chosen = rng.sample(photos, min(n, len(photos)))
    conditions = {"png": lambda a: a, "jpeg95_444": lambda a: _jpeg(a, 95, 0), "jpeg90_444": lambda a: _jpeg(a, 90, 0),
                  "jpeg95_420": lambda a: _jpeg(a, 95), "jpeg85_420": lambda a: _jpeg(a, 85),
                  "resize75": lambda a: cv2.resize(a, None, fx=0.75, fy=0.75, interpolation=cv2.INTER_AREA)}
    out: dict[str, dict] = {}
    for payload, order in ((wm.PAYLOADS[0], "bgr"), (wm.PAYLOADS[1], "bgr"), (wm.PAYLOADS[2], "rgb")):
        enc = WatermarkEncoder()
        enc.set_watermark("bits", list(payload.bits))
        scores: dict[str, list[float]] = {c: [] for c in conditions}
        ref_scores: dict[str, list[float]] = {c: [] for c in conditions}
        for rgb in chosen:
            rgb = rgb[:1024, :1024]
            src = rgb[:, :, ::-1].copy() if order == "bgr" else rgb.copy()
            marked = enc.encode(src, "dwtDct")
            marked_rgb = marked[:, :, ::-1] if order == "bgr" else marked
            marked_rgb = np.ascontiguousarray(marked_rgb)
            for c, f in conditions.items():
                changed = f(marked_rgb)
                scores[c].append(best_by_payload(changed).get(payload.name, 0.0))
                ref_scores[c].append(best_by_payload(changed, reference=True).get(payload.name, 0.0))
        out[payload.name] = {c: summary(v) for c, v in scores.items()}
        out[payload.name + " [reference votes]"] = {c: summary(v) for c, v in ref_scores.items()}
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dirs", nargs="+")
    ap.add_argument("--embed", type=int, default=0, help="embed payloads into N photos (needs imwatermark)")
    ap.add_argument("--json", help="also write the results here")
    args = ap.parse_args(argv)
    paths = images(args.dirs)
    clean, photos = clean_part(paths)
    result = {"images_scanned": len(paths), "clean": clean}
    if args.embed:
        result["marked"] = marked_part(photos, args.embed)
    text = json.dumps(result, indent=1)
    sys.stdout.write(text + "\n")
    if args.json:
        Path(args.json).write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
