"""FFHQ-layout crops of the real faces of the train sources: real photos shaped like GAN faces.

StyleGAN-family faces all share the FFHQ crop (eyes level at fixed positions of a square). If only
the AI side of training had that layout, the head could learn "FFHQ layout => AI" instead of the
pixels of generation. This cuts the faces of the real train photos by the published FFHQ alignment
rule (``imgcheck.faces.gan_geometry.ffhq_quad``) into squares of 256-512 px, saved as JPEG q90
under OUT, and writes OUT/aligned.tsv; ``tools/aipix_features.py`` adds them to their parent source
(so leave-one-source-out holds them out with it).

  python tools/aipix_aligned.py [--per-image 3] [--max 220]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
from pathlib import Path

import numpy as np
from PIL import Image

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from imgcheck.ai_pixels import chain  # noqa: E402
from calibrate_gan_geometry import ffhq_crop  # noqa: E402  (the crop the geometry check was calibrated on)

MIN_EYE_SPAN = 36  # px in the source photo: smaller faces would be upscaled, unlike a GAN output


def main() -> None:
    import aipix_features as feats

    from imgcheck.faces.detector import FaceDetector
    from imgcheck.models import ModelRegistry

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default="/work/data/aipix/corpus")
    ap.add_argument("--cache", default="/work/data/aipix/cache")
    ap.add_argument("--out", default="/work/data/aipix/aligned")
    ap.add_argument("--per-image", type=int, default=3)
    ap.add_argument("--max", type=int, default=220)
    args = ap.parse_args()
    det = FaceDetector(ModelRegistry(REPO / "models", 1).session("blazeface_full"))
    rows = [r for r in feats.corpus_rows(Path(args.corpus), Path(args.cache))
            if r["role"] == "train" and r["label"] == "real"]
    rows.sort(key=lambda r: r["key"])
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    index = []
    for r in rows:
        if len(index) >= args.max:
            break
        rgb = chain.read_rgb(r["file"])
        found = det.detect(rgb)
        for k in range(min(len(found), args.per_image)):
            kp = found.keypoints[k]
            a, b = tuple(kp[0]), tuple(kp[1])
            left, right = (a, b) if a[0] <= b[0] else (b, a)
            if np.hypot(right[0] - left[0], right[1] - left[1]) < MIN_EYE_SPAN:
                continue
            seed = int(hashlib.sha1(f"{r['key']}:{k}".encode()).hexdigest()[:8], 16)
            side = int(np.random.default_rng(seed).choice([256, 300, 384, 512]))
            crop = ffhq_crop(rgb, left, right, tuple(kp[3]), side)
            dest = out / r["source"] / f"{r['key']}_{k}.jpg"
            dest.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(crop).save(dest, quality=90)
            index.append({"source": r["source"], "label": "real", "kind": "FFHQ-layout crop of a real face",
                          "role": "train", "file": str(dest), "origin": f"derived:{r['origin']}#face{k}",
                          "people": "1", "group": r["key"]})
    with (out / "aligned.tsv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(index[0]), delimiter="\t", lineterminator="\n")
        w.writeheader()
        w.writerows(index)
    print(f"{len(index)} aligned real faces -> {out / 'aligned.tsv'}", file=sys.stderr)


if __name__ == "__main__":
    main()
