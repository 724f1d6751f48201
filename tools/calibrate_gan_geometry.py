"""Calibrate the eye tolerance of the ``gan_face_geometry`` check.

Positives: synthetic FFHQ-layout crops. Every face the detector finds in the curated real photos and in
the non-GAN AI portraits is cut by the published FFHQ alignment rule (imgcheck.faces.gan_geometry.
ffhq_quad), saved at 256/512/1024 px as JPEG q85, and detected again: the distance of its detected eyes
from the FFHQ layout is what a GAN face of that person would show.
Negatives: ordinary square headshot crops of the same faces (random scale and offset), and every photo
of ../shared/data, which must never be flagged.

    OMP_NUM_THREADS=1 nice -n 10 python tools/calibrate_gan_geometry.py [--cache DIR] [--shared ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_ai_detector as build

from imgcheck.ai_pixels import chain
from imgcheck.faces import gan_geometry as geo
from imgcheck.errors import ImgcheckError
from imgcheck.load import load_image


def detector(models: Path):
    from imgcheck.faces.detector import FaceDetector

    from imgcheck.models import ModelRegistry

    reg = ModelRegistry(models, 1)
    return FaceDetector(reg.session("blazeface_full"))


def main_eyes(det, rgb: np.ndarray):
    """(image-left eye, image-right eye, mouth) of the largest face with a wide enough eye span, or None."""
    found = det.detect(rgb)
    if not len(found):
        return None
    areas = (found.boxes[:, 2] - found.boxes[:, 0]) * (found.boxes[:, 3] - found.boxes[:, 1])
    k = int(np.argmax(areas))
    kp = found.keypoints[k]
    a, b = tuple(kp[0]), tuple(kp[1])
    left, right = (a, b) if a[0] <= b[0] else (b, a)
    return left, right, tuple(kp[3])


def ffhq_crop(rgb: np.ndarray, left, right, mouth, side: int) -> np.ndarray:
    centre, half, (ux, uy) = geo.ffhq_quad(left, right, mouth)
    s = side / (2 * half)
    # similarity: rotate x axis onto (1, 0), scale, move centre to the middle of the output
    m = np.array([[ux * s, uy * s, 0.0], [-uy * s, ux * s, 0.0]])
    m[:, 2] = np.array([side / 2, side / 2]) - m[:, :2] @ np.array(centre)
    return cv2.warpAffine(rgb, m, (side, side), flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REFLECT)


def headshot_crop(rgb: np.ndarray, left, right, rng) -> np.ndarray | None:
    span = float(np.hypot(right[0] - left[0], right[1] - left[1]))
    side = int(span * rng.uniform(2.2, 7.0))
    cx = (left[0] + right[0]) / 2 + rng.uniform(-0.25, 0.25) * side
    cy = (left[1] + right[1]) / 2 + rng.uniform(-0.15, 0.35) * side
    x0, y0 = int(cx - side / 2), int(cy - side / 2)
    h, w = rgb.shape[:2]
    if side < 64 or x0 < 0 or y0 < 0 or x0 + side > w or y0 + side > h:
        return None
    return rgb[y0:y0 + side, x0:x0 + side]


def distance(det, rgb: np.ndarray) -> float | None:
    eyes = main_eyes(det, rgb)
    if eyes is None:
        return None
    h, w = rgb.shape[:2]
    return geo.eye_layout(eyes[0], eyes[1], w, h).distance


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default=str(REPO / "tools" / ".cache" / "ai_detector"))
    ap.add_argument("--models", default=str(REPO / "models"))
    ap.add_argument("--shared", default=str(REPO.parent / "shared" / "data"))
    args = ap.parse_args()
    det = detector(Path(args.models))
    rng = np.random.default_rng(0)
    pos, neg, sources = [], [], 0
    for _label, path, *_ in build.image_list(Path(args.cache)):
        rgb = build.read_rgb(path, 1600)
        eyes = main_eyes(det, rgb)
        if eyes is None:
            continue
        left, right, mouth = eyes
        if np.hypot(right[0] - left[0], right[1] - left[1]) < 24:
            continue
        sources += 1
        for side in (256, 512, 1024):
            d = distance(det, chain.jpeg(ffhq_crop(rgb, left, right, mouth, side), 85))
            if d is not None:
                pos.append(d)
        for _ in range(4):
            crop = headshot_crop(rgb, left, right, rng)
            if crop is not None:
                d = distance(det, chain.jpeg(crop, 85))
                if d is not None:
                    neg.append(d)
    shared = {}
    for p in sorted(Path(args.shared).glob("*")):
        try:
            img = load_image(p)
        except ImgcheckError as exc:  # SOURCES.md and friends
            print(f"skipped {p.name}: {exc}", file=sys.stderr)
            continue
        if geo.is_square(img.width, img.height):
            shared[p.name] = distance(det, np.asarray(img.rgb(1024)))
    pos_a, neg_a = np.array(pos), np.array(neg)
    table = []
    for tol in (0.01, 0.015, 0.02, 0.025, 0.03, 0.04, 0.05):
        table.append({"tolerance": tol, "ffhq_recall": round(float((pos_a <= tol).mean()), 4),
                      "headshot_false_flags": round(float((neg_a <= tol).mean()), 4)})
    out = {"faces": sources, "ffhq_crops": len(pos), "headshot_crops": len(neg),
           "ffhq_distance_percentiles": {q: round(float(np.percentile(pos_a, q)), 4) for q in (50, 90, 95, 99)},
           "headshot_distance_min": round(float(neg_a.min()), 4) if len(neg_a) else None,
           "table": table, "shared_data_square_photos": shared}
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
