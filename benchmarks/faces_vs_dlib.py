"""Face pipeline speed: imgcheck (ONNX BlazeFace + alignment + dlib ResNet in ONNX) vs dlib itself.

For each test photo a 1080p frame (1920x1080, the photo scaled to the frame's height on a grey
canvas) is made in memory. Both pipelines start from the same decoded RGB array and end with a 128-d
embedding of every face they find (detect + align + embed):

- imgcheck: ``engine.faces.analyse_array`` (downscale to 1280, BlazeFace full and short range ONNX,
  dlib's 5-point landmarks in numpy, chip, dlib ResNet ONNX), one onnxruntime thread;
- dlib (PyPI ``dlib-bin``): HOG detector (no upsampling, dlib's fastest setting) + 5-point landmarks +
  ``compute_face_descriptor`` (dlib's own ResNet), one thread.

A second line times imgcheck end to end from the JPEG bytes (``engine.load`` with its checks and
decoding, then detect + observe) against dlib with a Pillow decode, for reference.

Prints the median CPU time per photo of each over ``--repeat`` runs, the ratio, and how many faces each
found (face recall: the portraits have one face each, the group photos 22 in all).

Run: ``python benchmarks/faces_vs_dlib.py --images ../shared/data`` in a venv with dlib-bin
(tools-only dependency; see models/MODELS.md). Without ``--images`` it uses tests/fixtures.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

REPO = Path(__file__).resolve().parent.parent
PORTRAITS = ["obama.jpg", "obama2.jpg", "obama3.jpg", "biden.jpg", "grace_hopper.jpg", "astronaut.png"]
GROUPS = [f"group_photo_{i}.jpg" for i in range(1, 7)]


def frame_1080p(path: Path) -> bytes:
    im = ImageOps.exif_transpose(Image.open(path)).convert("RGB")
    scale = 1080 / im.height
    im = im.resize((min(1920, round(im.width * scale)), 1080), Image.LANCZOS)
    canvas = Image.new("RGB", (1920, 1080), (120, 120, 120))
    canvas.paste(im, ((1920 - im.width) // 2, 0))
    buf = io.BytesIO()
    canvas.save(buf, "JPEG", quality=92)
    return buf.getvalue()


def run_imgcheck(engine, rgb: np.ndarray) -> int:
    return len(engine.faces.analyse_array(rgb))


def run_dlib(ref, rgb: np.ndarray) -> int:
    rects = ref.detector(rgb, 0)
    for r in rects:
        ref.net.compute_face_descriptor(rgb, ref.shape_predictor(rgb, r))
    return len(rects)


def run_imgcheck_bytes(engine, data: bytes) -> int:
    img = engine.load(data)
    return len(engine.faces.observe(img, engine.faces.detect(img)))


def run_dlib_bytes(ref, data: bytes) -> int:
    return run_dlib(ref, np.ascontiguousarray(np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))))


def timed(fn, *args, repeat: int) -> tuple[float, int]:
    """(median CPU milliseconds of one call, faces found). CPU time (``time.process_time``, both
    pipelines single-threaded) rather than wall time: on a shared machine wall time mostly measures
    the other jobs."""
    found = fn(*args)  # warm-up
    times = []
    for _ in range(repeat):
        t = time.process_time()
        fn(*args)
        times.append(time.process_time() - t)
    return statistics.median(times) * 1000, found


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=Path, default=REPO / "tests" / "fixtures")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    sys.path.insert(0, str(REPO / "tools"))
    import dlib
    from dlib_reference import DlibPipeline

    from imgcheck import Engine
    from imgcheck.settings import Settings

    dlib.DLIB_USE_CUDA = False
    engine = Engine(settings=Settings(intra_op_threads=1))
    ref = DlibPipeline()
    rows = []
    for name in PORTRAITS + GROUPS:
        path = args.images / name
        if not path.is_file():
            continue
        data = frame_1080p(path)
        rgb = np.ascontiguousarray(np.asarray(Image.open(io.BytesIO(data)).convert("RGB")))
        ours_ms, ours_n = timed(run_imgcheck, engine, rgb, repeat=args.repeat)
        dlib_ms, dlib_n = timed(run_dlib, ref, rgb, repeat=args.repeat)
        e2e_ours, _ = timed(run_imgcheck_bytes, engine, data, repeat=args.repeat)
        e2e_dlib, _ = timed(run_dlib_bytes, ref, data, repeat=args.repeat)
        rows.append((name, ours_ms, ours_n, dlib_ms, dlib_n, e2e_ours, e2e_dlib))
        print(f"{name:<20} imgcheck {ours_ms:7.1f} ms {ours_n:2d} faces | dlib {dlib_ms:7.1f} ms {dlib_n:2d} faces "
              f"| x{dlib_ms / ours_ms:5.1f} | from JPEG bytes x{rows[-1][6] / rows[-1][5]:5.1f}", flush=True)
    portraits = [r for r in rows if r[0] in PORTRAITS]
    groups = [r for r in rows if r[0] in GROUPS]
    for title, sel in (("one-face 1080p photos", portraits), ("group photos at 1080p", groups)):
        if not sel:
            continue
        ours = statistics.median(r[1] for r in sel)
        theirs = statistics.median(r[3] for r in sel)
        e2e = statistics.median(r[6] for r in sel) / statistics.median(r[5] for r in sel)
        print(f"{title}: median imgcheck {ours:.1f} ms, dlib {theirs:.1f} ms, ratio x{theirs / ours:.1f} "
              f"(from JPEG bytes x{e2e:.1f}); faces found imgcheck {sum(r[2] for r in sel)}, "
              f"dlib {sum(r[4] for r in sel)}")


if __name__ == "__main__":
    main()
