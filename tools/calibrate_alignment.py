"""How well our face chips agree with dlib's own (the figures in models/MODELS.md), and the constants
that alignment uses: ``HOG_RECT_IN_CHIP`` (imgcheck/faces/landmarks.py) and ``CHIP_TEMPLATE``
(imgcheck/faces/align.py).

    python tools/calibrate_alignment.py [IMAGES...]

Needs dlib-bin (tools-only) and the repository's models. For every face that dlib's HOG detector and
BlazeFace both find, it records where dlib's rectangle and dlib's chip lie relative to BlazeFace's
keypoints, then embeds each face with the ONNX network from dlib's chip and from ours, and reports the
Euclidean distance between the two embeddings for three ways of aligning:

- ``blazeface_template``: similarity transform of BlazeFace's 4 keypoints onto CHIP_TEMPLATE (before);
- ``shape5_from_blazeface``: the numpy port of dlib's 5-point predictor, framed from BlazeFace's
  keypoints, then dlib's chip geometry (what imgcheck does now);
- ``shape5_from_hog_rect``: the same predictor on dlib's own HOG rectangle (isolates the chip cutter).

``--leave-out`` measures the rectangle constant without the face it is applied to (leave-one-photo-out),
so the agreement figure is not measured on the data it was fitted on.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from dlib_reference import DlibPipeline, dlib_chip_transform

from imgcheck.faces.landmarks import ENSEMBLE_SCALES


def default_images() -> list[Path]:
    for shared in (HERE.parent.parent / "shared" / "data", Path("/work/shared/data")):
        if shared.is_dir():
            return sorted(p for p in shared.iterdir() if p.suffix.lower() in (".jpg", ".png"))
    return sorted(p for p in (HERE.parent / "tests" / "fixtures").iterdir() if p.suffix.lower() in (".jpg", ".png"))


def stats(v: list[float]) -> dict:
    return {"median": round(float(np.median(v)), 4), "p90": round(float(np.percentile(v, 90)), 4),
            "max": round(float(max(v)), 4)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("images", type=Path, nargs="*")
    ap.add_argument("--no-leave-out", action="store_true")
    ap.add_argument("--scales", type=float, nargs="+", default=list(ENSEMBLE_SCALES))
    ap.add_argument("--detector", choices=["default", "full"], default="default",
                    help="full: BlazeFace full range alone (the keypoints before short range was added)")
    args = ap.parse_args()
    from PIL import Image, ImageOps

    from imgcheck.faces import align
    from imgcheck.faces.blazeface import iou
    from imgcheck.faces.detector import FaceDetector
    from imgcheck.faces.embed import FaceEmbedder
    from imgcheck.faces.landmarks import ShapePredictor, frame_from_keypoints
    from imgcheck.models import ModelRegistry

    reg = ModelRegistry(HERE.parent / "models")
    if args.detector == "full":
        det = FaceDetector(reg.session("blazeface_full"))
    else:
        from imgcheck.faces import FacePipeline
        from imgcheck.settings import Settings

        det = FacePipeline(reg, Settings()).detector
    emb = FaceEmbedder(reg.session("dlib_resnet_v1"))
    sp = ShapePredictor.load(reg.models_dir / "shape_predictor_5.npz")
    ref = DlibPipeline(upsample=2)
    pairs = []  # (photo, rgb, blazeface keypoints, dlib rect)
    for path in args.images or default_images():
        rgb = np.ascontiguousarray(np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB")))
        if max(rgb.shape[:2]) > 1280:  # HOG with 2x upsampling finds the group photos' faces at this size
            im = Image.fromarray(rgb)
            im.thumbnail((1280, 1280))
            rgb = np.ascontiguousarray(np.asarray(im))
        found = det.detect(rgb)
        for rect in ref.detect(rgb):
            box = np.array([rect.left(), rect.top(), rect.right(), rect.bottom()], np.float32)
            if not len(found):
                continue
            overlaps = iou(box, found.boxes)
            j = int(np.argmax(overlaps))
            if overlaps[j] > 0.3:
                pairs.append((path.name, rgb, found.keypoints[j], rect))
    corners = []
    for _, rgb, kps, rect in pairs:
        m = align.chip_transform(kps)
        corners.append(align.apply(m, np.array([[rect.left(), rect.top()], [rect.right(), rect.top()],
                                                [rect.right(), rect.bottom()]], np.float64)))
    corners = np.array(corners)

    def square(c: np.ndarray) -> tuple[float, float, float]:
        tl, tr, br = c.mean(0)
        centre = (tl + br) / 2
        return (float(centre[0]), float(centre[1]),
                float((np.linalg.norm(tr - tl) + np.linalg.norm(br - tr)) / 2))

    rect_all = square(corners)
    results = {"blazeface_template": [], "shape5_from_blazeface": [], "shape5_from_hog_rect": [],
               "dlib_itself_rect_10pct_larger": []}
    landmark_px = []
    for i, (name, rgb, kps, rect) in enumerate(pairs):
        theirs = emb.embed(ref.chip(rgb, rect))[0]
        old = emb.embed(align.extract_chip(rgb, align.chip_transform(kps)))[0]
        results["blazeface_template"].append(float(np.linalg.norm(old - theirs)))
        others = [j for j, p in enumerate(pairs) if p[0] != name]
        rect_c = rect_all if args.no_leave_out or not others else square(corners[others])
        pts = np.mean([sp.predict(rgb, frame_from_keypoints(kps, rect_c, s)) for s in args.scales], axis=0)
        new = emb.embed(align.extract_chip(rgb, dlib_chip_transform(pts)))[0]
        results["shape5_from_blazeface"].append(float(np.linalg.norm(new - theirs)))
        dlib_pts = ref.shape(rgb, rect)
        landmark_px.append(float(np.abs(pts - dlib_pts).max() / max(1.0, rect.right() - rect.left()) * 100))
        # dlib returns integer landmarks; rounded like them, our port reproduces dlib's chip
        pts_r = np.round(sp.predict(rgb, ShapePredictor.rect_frame(rect.left(), rect.top(), rect.right(),
                                                                   rect.bottom())))
        hog = emb.embed(align.extract_chip(rgb, dlib_chip_transform(pts_r)))[0]
        results["shape5_from_hog_rect"].append(float(np.linalg.norm(hog - theirs)))
        # how far dlib's own chip moves when its rectangle is 10% larger (HOG boxes come in ~20% steps)
        cx, cy = (rect.left() + rect.right()) / 2, (rect.top() + rect.bottom()) / 2
        half = 0.55 * (rect.right() - rect.left())
        big = ref.dlib.rectangle(int(round(cx - half)), int(round(cy - half)), int(round(cx + half)),
                                 int(round(cy + half)))
        jitter = emb.embed(ref.chip(rgb, big))[0]
        results["dlib_itself_rect_10pct_larger"].append(float(np.linalg.norm(jitter - theirs)))
    print(json.dumps({
        "faces": len(pairs), "photos": len({p[0] for p in pairs}),
        "hog_rect_in_chip_centre_side": [round(v, 2) for v in rect_all],
        "scales": list(args.scales),
        "hog_rect_in_chip_std": np.round(corners.std(0), 2).tolist(),
        "leave_one_photo_out": not args.no_leave_out,
        "embedding_distance_to_dlib_chip": {k: stats(v) for k, v in results.items()},
        "landmarks_vs_dlib_max_pct_of_face_width": stats(landmark_px),
    }, indent=1))


if __name__ == "__main__":
    main()
