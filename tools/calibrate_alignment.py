"""Measure where BlazeFace's keypoints fall on dlib's 150 px face chips, and how well chips cut from
them agree with dlib's own (the figures in models/MODELS.md and CHIP_TEMPLATE in imgcheck/faces/align.py).

    python tools/calibrate_alignment.py [IMAGES...]

Needs dlib-bin (tools-only) and the repository's models. For every face that dlib's HOG detector and
BlazeFace both find, dlib's 5-point landmarks give dlib's chip transform; BlazeFace's eye, nose and
mouth points mapped through it are averaged into the template. Then each face is embedded twice with
the ONNX network, from dlib's chip and from ours, and the Euclidean distance between the two is reported
next to dlib's own descriptor (the end-to-end agreement of our pipeline with dlib's).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from dlib_reference import DlibPipeline, dlib_chip_transform


def default_images() -> list[Path]:
    shared = HERE.parent.parent / "shared" / "data"
    pool = shared if shared.is_dir() else HERE.parent / "tests" / "fixtures"
    return sorted(p for p in pool.iterdir() if p.suffix.lower() in (".jpg", ".png"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("images", type=Path, nargs="*")
    ap.add_argument("--template", choices=["current", "measured"], default="current",
                    help="template used for the agreement figures")
    args = ap.parse_args()
    from PIL import Image, ImageOps

    from imgcheck.faces import align
    from imgcheck.faces.blazeface import iou
    from imgcheck.faces.detector import FaceDetector
    from imgcheck.faces.embed import FaceEmbedder
    from imgcheck.models import ModelRegistry

    reg = ModelRegistry(HERE.parent / "models")
    det = FaceDetector(reg.session("blazeface_full"))
    emb = FaceEmbedder(reg.session("dlib_resnet_v1"))
    ref = DlibPipeline(upsample=2)
    pairs = []  # (rgb, blazeface keypoints, dlib rect)
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
    points = []
    for _, rgb, kps, rect in pairs:
        m = dlib_chip_transform(ref.shape(rgb, rect))
        points.append(align.apply(m, kps[list(align.TEMPLATE_KEYPOINTS)]))
    points = np.array(points)
    measured = align.symmetrise(points.mean(0))
    template = align.CHIP_TEMPLATE if args.template == "current" else measured
    agree, to_dlib = [], []
    for _, rgb, kps, rect in pairs:
        ours = emb.embed(align.extract_chip(rgb, align.chip_transform(kps, template)))[0]
        theirs = emb.embed(ref.chip(rgb, rect))[0]
        agree.append(float(np.linalg.norm(ours - theirs)))
        to_dlib.append(float(np.linalg.norm(ours - ref.descriptor(rgb, rect))))
    print(json.dumps({
        "faces": len(pairs),
        "template_measured_symmetrised": np.round(measured, 2).tolist(),
        "template_std_px": np.round(points.std(0), 2).tolist(),
        "template_used": args.template,
        "distance_our_chip_vs_dlib_chip": {"median": round(float(np.median(agree)), 4),
                                           "p90": round(float(np.percentile(agree, 90)), 4),
                                           "max": round(max(agree), 4)},
        "distance_ours_vs_dlib_descriptor_max": round(max(to_dlib), 4),
    }, indent=1))


if __name__ == "__main__":
    main()
