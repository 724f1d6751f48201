"""Distances between face embeddings of the same person and of different people, for the thresholds.

    python tools/calibrate_faces.py IMAGES...    (e.g. ../shared/data/*.jpg ../shared/data/*.png)

Identity is taken from the file name: obama*.jpg is one person; every other face (each face of a
group photo, each other portrait) is its own person. Same-person pairs: the Obama photos with each
other, and every portrait against edits of itself (mirror, crop, downscale, JPEG q30, brightness,
grey, 8 degree rotation). Different-person pairs: all faces of different identities. Prints the
distribution and the error counts at candidate thresholds (docs/faces.md records the result).
"""

from __future__ import annotations

import argparse
import io
import itertools
import json
from pathlib import Path

import numpy as np
from PIL import Image, ImageEnhance, ImageOps


def edits(im: Image.Image) -> dict[str, Image.Image]:
    w, h = im.size
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=30)
    return {
        "mirror": ImageOps.mirror(im),
        "crop": im.crop((int(w * 0.1), int(h * 0.05), int(w * 0.9), int(h * 0.95))),
        "small": im.resize((max(1, int(w * 0.35)), max(1, int(h * 0.35))), Image.LANCZOS),
        "jpeg30": Image.open(io.BytesIO(buf.getvalue())).convert("RGB"),
        "bright": ImageEnhance.Brightness(im).enhance(1.4),
        "grey": ImageOps.grayscale(im).convert("RGB"),
        "rotate8": im.rotate(8, resample=Image.BILINEAR, expand=True),
    }


def as_png(im: Image.Image) -> bytes:
    buf = io.BytesIO()
    im.save(buf, "PNG")
    return buf.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("images", type=Path, nargs="+")
    args = ap.parse_args()
    from imgcheck import Engine
    from imgcheck.faces import main_face

    eng = Engine()
    faces = []  # (identity, name, embedding)
    portraits = {}
    for path in args.images:
        img = eng.load(path)
        obs = eng.faces.observe(img, eng.faces.detect(img))
        if not obs:
            continue
        if len(obs) == 1 or not path.stem.startswith("group"):
            ident = "obama" if path.stem.startswith("obama") else path.stem
            m = main_face(obs)
            faces.append((ident, path.name, m.embedding))
            portraits[path.name] = (ident, m.embedding, path)
        else:
            faces += [(f"{path.stem}#{o.index}", f"{path.name}#{o.index}", o.embedding) for o in obs]
    same, diff = [], []
    for (ia, na, ea), (ib, nb, eb) in itertools.combinations(faces, 2):
        d = float(np.linalg.norm(ea - eb))
        (same if ia == ib else diff).append((d, na, nb))
    for name, (ident, emb, path) in portraits.items():
        base = Image.open(path)
        base = ImageOps.exif_transpose(base).convert("RGB")
        for kind, im in edits(base).items():
            img = eng.load(as_png(im), name=f"{name}:{kind}")
            obs = eng.faces.observe(img, eng.faces.detect(img))
            m = main_face(obs)
            if m is None:
                same.append((float("inf"), name, kind))
                continue
            same.append((float(np.linalg.norm(m.embedding - emb)), name, kind))
    same.sort()
    diff.sort()
    s = np.array([d for d, *_ in same])
    df = np.array([d for d, *_ in diff])
    out = {
        "same_pairs": len(s), "different_pairs": len(df),
        "same": {"median": round(float(np.median(s)), 3), "max": round(float(s.max()), 3),
                 "worst": [(round(d, 3), a, b) for d, a, b in same[-5:]]},
        "different": {"median": round(float(np.median(df)), 3), "min": round(float(df.min()), 3),
                      "closest": [(round(d, 3), a, b) for d, a, b in diff[:5]]},
        "at_threshold": {f"{t:.2f}": {"same_missed": int((s > t).sum()), "different_accepted": int((df <= t).sum())}
                         for t in (0.4, 0.45, 0.5, 0.55, 0.6)},
    }
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
