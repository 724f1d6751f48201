"""Recall and false faces of detector configurations on tight crops, tilted faces, faces cut by the
edge, whole photos, and non-face images (the figures and the chosen passes in docs/faces.md).

    OMP_NUM_THREADS=1 nice -n 10 python tools/eval_face_detection.py [--faces DIR] [--nonfaces DIR...]

Ground truth comes from a detector of another family, dlib's HOG face detector (PyPI ``dlib-bin``,
tools-only), on the face photos (default ``../shared/data``; every HOG face counts as a person, and
faces that only BlazeFace finds are added so that a true neighbour is never counted as a false face).
From each true face it cuts 150 px crops: tightness 1.0 / 1.3 / 1.7 / 2.5 times the HOG box, the
face rotated by +-15 / 30 / 45 degrees, and the face cut by the left or top edge (its centre at 20%
of the crop, a fifth of the face outside). Non-faces: every image of --nonfaces whole, plus 8 random crops of each at 150-400 px.
A detection is a hit when its centre is within half the true face's width of the true centre and its
width is within 0.5-2x; a detection matching no face of the source photo is a false face.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

CROP = 150

CONFIGS = {
    "full range alone (before)": dict(short=False),
    "full + short 0.6": dict(short=True, short_min_score=0.6),
    "full + short 0.5 + pad": dict(short=True, short_min_score=0.5, pad_fraction=0.2),
    "full + short 0.5 + pad + verify 0.7": dict(short=True, short_min_score=0.5, pad_fraction=0.2,
                                                verify_min_score=0.7),
    "full + short 0.65 + pad + verify 0.65": dict(short=True, short_min_score=0.65, pad_fraction=0.2,
                                                  verify_min_score=0.65),
    "imgcheck default settings": dict(default=True),
}


def load_rgb(path: Path, limit: int = 1280) -> np.ndarray:
    from PIL import Image, ImageOps

    im = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
    im.thumbnail((limit, limit))
    return np.ascontiguousarray(np.asarray(im))


def truth_faces(rgb: np.ndarray, hog, det, loose) -> list[tuple[float, float, float]]:
    """(cx, cy, width) of the faces of a photo: dlib HOG faces that BlazeFace also sees at a loose
    floor (0.3; HOG alone fires on round badges), plus BlazeFace faces at default floors that HOG
    does not have."""
    seen = loose.detect(rgb).boxes
    out = []
    for r in hog.detect(rgb):
        c = ((r.left() + r.right()) / 2, (r.top() + r.bottom()) / 2, float(r.right() - r.left()))
        if any(abs((b[0] + b[2]) / 2 - c[0]) < c[2] / 2 and abs((b[1] + b[3]) / 2 - c[1]) < c[2] / 2 for b in seen):
            out.append(c)
    found = det.detect(rgb)
    for b in found.boxes:
        c = ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2, float(b[2] - b[0]))
        if not any(abs(c[0] - t[0]) < t[2] / 2 and abs(c[1] - t[1]) < t[2] / 2 for t in out):
            out.append(c)
    return out


def crop_about(rgb: np.ndarray, cx: float, cy: float, side: float, angle: float = 0.0,
               at: tuple[float, float] = (0.5, 0.5)) -> tuple[np.ndarray, np.ndarray]:
    """A CROP x CROP view: the square of ``side`` px around (cx, cy), rotated by ``angle``, with the
    point placed at fraction ``at`` of the crop. Returns (crop, image -> crop matrix)."""
    s = CROP / side
    m = cv2.getRotationMatrix2D((cx, cy), angle, s)
    m[:, 2] += [at[0] * CROP - cx, at[1] * CROP - cy]
    crop = cv2.warpAffine(rgb, m, (CROP, CROP), flags=cv2.INTER_AREA if s < 1 else cv2.INTER_LINEAR,
                          borderMode=cv2.BORDER_REFLECT)
    return crop, m


def views(rgb: np.ndarray, face: tuple[float, float, float]) -> list[tuple[str, np.ndarray, np.ndarray]]:
    cx, cy, w = face
    out = []
    for t in (1.0, 1.3, 1.7, 2.5):
        out.append((f"tight {t}", *crop_about(rgb, cx, cy, t * w)))
    for a in (15, 30, 45):
        for sgn in (-1, 1):
            out.append((f"tilt {a}", *crop_about(rgb, cx, cy, 1.7 * w, sgn * a)))
    out.append(("edge left", *crop_about(rgb, cx, cy, 1.5 * w, at=(0.2, 0.5))))
    out.append(("edge top", *crop_about(rgb, cx, cy, 1.5 * w, at=(0.5, 0.2))))
    return out


def match(det, faces_in_view: list[tuple[float, float, float]], target: int) -> tuple[bool, int]:
    """(target face found, number of false faces)."""
    hit, false = False, 0
    for b in det.boxes:
        c = ((b[0] + b[2]) / 2, (b[1] + b[3]) / 2)
        w = float(b[2] - b[0])
        matched = None
        for i, (fx, fy, fw) in enumerate(faces_in_view):
            if np.hypot(c[0] - fx, c[1] - fy) <= fw / 2 and 0.5 <= w / fw <= 2.0:
                matched = i
                break
        if matched is None:
            false += 1
        elif matched == target:
            hit = True
    return hit, false


def make_detector(reg, short_session, cfg: dict):
    from imgcheck.faces import FacePipeline
    from imgcheck.faces.detector import FaceDetector
    from imgcheck.settings import Settings

    if cfg.get("default"):
        return FacePipeline(reg, Settings()).detector
    kw = {k: v for k, v in cfg.items() if k != "short"}
    return FaceDetector(reg.session("blazeface_full"), short_session=short_session if cfg["short"] else None, **kw)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--faces", type=Path, default=REPO.parent / "shared" / "data")
    ap.add_argument("--nonfaces", type=Path, nargs="*", default=[])
    ap.add_argument("--nonface-names", nargs="*", default=["coffee.png", "chelsea.png", "rocket.jpg", "china.jpg",
                                                            "flower.jpg", "hubble_deep_field.jpg",
                                                            "motorcycle_left.png"])
    args = ap.parse_args()
    from dlib_reference import DlibPipeline

    from imgcheck.faces.detector import FaceDetector
    from imgcheck.models import ModelRegistry

    reg = ModelRegistry(REPO / "models", intra_op_threads=1)
    short_session = reg.session("blazeface_short")
    base = FaceDetector(reg.session("blazeface_full"), short_session=short_session)
    loose = FaceDetector(reg.session("blazeface_full"), short_session=short_session, min_score=0.3,
                         short_min_score=0.3, tile_min_score=0.3)
    hog = DlibPipeline(upsample=1)
    face_photos = sorted(p for p in args.faces.iterdir() if p.suffix.lower() in (".jpg", ".png")
                         and p.name not in args.nonface_names and not p.name.startswith("no_time"))
    samples = []  # (kind, crop, faces in crop, target index)
    for path in face_photos:
        rgb = load_rgb(path)
        faces = truth_faces(rgb, hog, base, loose)
        for i, f in enumerate(faces):
            for kind, crop, m in views(rgb, f):
                mapped = []
                for fx, fy, fw in faces:
                    p = m @ np.array([fx, fy, 1.0])
                    mapped.append((float(p[0]), float(p[1]), fw * float(np.hypot(*m[:, 0]))))
                samples.append((kind, crop, mapped, i))
    rng = np.random.default_rng(0)
    nonfaces = []
    paths = [args.faces / n for n in args.nonface_names if (args.faces / n).is_file()]
    for d in args.nonfaces:
        paths += sorted(p for p in d.rglob("*") if p.suffix.lower() in (".jpg", ".png"))
    for path in paths:
        rgb = load_rgb(path)
        nonfaces.append(("whole", rgb))
        h, w = rgb.shape[:2]
        for _ in range(8):
            side = int(rng.uniform(0.15, 0.6) * min(h, w))
            x, y = int(rng.integers(0, w - side + 1)), int(rng.integers(0, h - side + 1))
            out = int(rng.uniform(150, 400))
            nonfaces.append(("crop", cv2.resize(rgb[y:y + side, x:x + side], (out, out),
                                                interpolation=cv2.INTER_AREA)))
    report = {"face_photos": len(face_photos), "true_faces_views": len(samples),
              "nonface_images": len(paths), "nonface_views": len(nonfaces), "configs": {}}
    for name, cfg in CONFIGS.items():
        det = make_detector(reg, short_session, cfg)
        per_kind: dict[str, list[int]] = {}
        false_on_faces = 0
        for kind, crop, mapped, target in samples:
            hit, false = match(det.detect(crop), mapped, target)
            k = per_kind.setdefault(kind.split()[0] if not kind.startswith("tilt") else kind, [0, 0])
            k[0] += hit
            k[1] += 1
            false_on_faces += false
        nf = {"whole": 0, "crop": 0}
        worst = []
        for kind, rgb in nonfaces:
            d = det.detect(rgb)
            nf[kind] += len(d)
            worst += [float(s) for s in d.scores]
        report["configs"][name] = {
            "recall": {k: f"{h}/{n}" for k, (h, n) in sorted(per_kind.items())},
            "recall_all": round(sum(h for h, _ in per_kind.values()) / max(1, sum(n for _, n in per_kind.values())), 4),
            "false_faces_in_face_crops": false_on_faces,
            "false_faces_nonface": nf,
            "false_face_scores": sorted(round(s, 3) for s in worst)[-5:],
        }
        print(name, json.dumps(report["configs"][name]), flush=True)
    print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
