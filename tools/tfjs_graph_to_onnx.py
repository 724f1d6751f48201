"""A TF.js graph model (model.json + weight shards) as an ONNX graph, for the few ops face CNNs use.

    from tfjs_graph_to_onnx import convert
    model = convert(Path("faceres.json"), outputs=["global_pooling/Mean"])

The ONNX graph keeps TF's NHWC input (N, H, W, 3), transposes it once to NCHW and runs every 4-D
tensor as NCHW; channel-vector constants are reshaped to (C, 1, 1), axes of reductions, squeezes
and pads are remapped, and a flatten goes back to NHWC order first so dense layers see TF's order.
TF's ``SAME`` padding (extra pixel at the end) is ``auto_pad=SAME_UPPER``.

Weights are read as the manifest says: float32, int32, or float16/uint8-quantised float32
(``value = q * scale + min``). Unknown ops raise ``ValueError`` with their names. Tools only.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13


def read_weights(model_json: Path) -> dict[str, np.ndarray]:
    """All weights of a TF.js graph model, by name."""
    spec = json.loads(model_json.read_text())
    out: dict[str, np.ndarray] = {}
    for group in spec["weightsManifest"]:
        buf = b"".join((model_json.parent / p).read_bytes() for p in group["paths"])
        off = 0
        for w in group["weights"]:
            shape = [int(s) for s in w["shape"]]
            n = int(np.prod(shape)) if shape else 1
            q = w.get("quantization")
            if q:
                qdt = {"float16": np.float16, "uint8": np.uint8, "uint16": np.uint16}[q["dtype"]]
                raw = np.frombuffer(buf, qdt, n, off)
                off += n * np.dtype(qdt).itemsize
                if q["dtype"] == "float16":
                    val = raw.astype(np.float32)
                else:
                    val = raw.astype(np.float32) * np.float32(q["scale"]) + np.float32(q["min"])
                if w["dtype"] == "int32":
                    val = np.round(val).astype(np.int32)
            else:
                dt = {"float32": np.float32, "int32": np.int32}[w["dtype"]]
                val = np.frombuffer(buf, dt, n, off).copy()
                off += n * 4
            out[w["name"]] = val.reshape(shape)
        if off != len(buf):
            raise ValueError(f"{model_json.name}: weights use {off} of {len(buf)} bytes")
    return out


def _s(attr: dict, key: str) -> str:
    return base64.b64decode(attr[key]["s"]).decode() if key in attr else ""


def _ints(attr: dict, key: str) -> list[int]:
    return [int(i) for i in attr.get(key, {}).get("list", {}).get("i", [])]


def _fused(attr: dict) -> list[str]:
    return [base64.b64decode(s).decode() for s in attr.get("fused_ops", {}).get("list", {}).get("s", [])]


class _Builder:
    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        self.weights = weights
        self.nodes: list = []
        self.inits: dict[str, np.ndarray] = {}
        self.rank: dict[str, int] = {}
        self.n = 0

    def name(self, base: str) -> str:
        self.n += 1
        return f"{base}__{self.n}"

    def const(self, arr: np.ndarray, base: str = "c") -> str:
        nm = self.name(base)
        self.inits[nm] = np.asarray(arr)
        return nm

    def node(self, op: str, inputs: list[str], out: str, rank: int, **attrs) -> str:
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        self.rank[out] = rank
        return out

    def operand(self, ref: str, other_rank: int) -> str:
        """A graph tensor, or a constant laid out for an NCHW partner of rank ``other_rank``."""
        key = ref.split(":")[0]
        if key in self.rank:
            return key
        if key not in self.weights:
            raise ValueError(f"unknown input {ref}")
        val = self.weights[key].astype(np.float32) if self.weights[key].dtype != np.int32 else self.weights[key]
        if other_rank == 4:
            if val.ndim == 1 and val.size > 1:
                val = val.reshape(-1, 1, 1)
            elif val.ndim == 4:
                val = val.transpose(0, 3, 1, 2)
        return self.const(val, key.replace("/", "_"))


def _bias_act(b: _Builder, x: str, node: dict, fused: list[str], base: str) -> str:
    ins = node["input"]
    rank = b.rank[x]
    extra = ins[3:] if node["op"] == "_FusedConv2D" or node["op"] == "FusedDepthwiseConv2dNative" else ins[3:]
    for i, op in enumerate(fused):
        last = i == len(fused) - 1
        out = base if last else b.name(base)
        if op == "BiasAdd":
            x = b.node("Add", [x, b.operand(ins[2], rank)], out, rank)
        elif op == "Relu":
            x = b.node("Relu", [x], out, rank)
        elif op == "Relu6":
            x = b.node("Clip", [x, b.const(np.float32(0)), b.const(np.float32(6))], out, rank)
        elif op == "Prelu":
            x = b.node("PRelu", [x, b.operand(extra[0], rank)], out, rank)
        else:
            raise ValueError(f"fused op {op} of {node['name']} not supported")
    return x


def _conv(b: _Builder, node: dict, depthwise: bool) -> str:
    attr = node.get("attr", {})
    if _s(attr, "data_format") not in ("", "NHWC"):
        raise ValueError(f"{node['name']}: data format {_s(attr, 'data_format')}")
    x = b.operand(node["input"][0], 4)
    w = b.weights[node["input"][1].split(":")[0]].astype(np.float32)
    strides = _ints(attr, "strides")[1:3] or [1, 1]
    dil = _ints(attr, "dilations")[1:3] or [1, 1]
    pad = _s(attr, "padding")
    kw = {"strides": strides, "dilations": dil, "kernel_shape": list(w.shape[:2])}
    if pad == "SAME":
        kw["auto_pad"] = "SAME_UPPER"
    elif pad == "VALID":
        kw["pads"] = [0, 0, 0, 0]
    else:
        raise ValueError(f"{node['name']}: padding {pad}")
    if depthwise:
        h, ww, c, mult = w.shape
        wt = w.transpose(2, 3, 0, 1).reshape(c * mult, 1, h, ww)
        kw["group"] = c
    else:
        wt = w.transpose(3, 2, 0, 1)
    wn = b.const(wt, node["name"].replace("/", "_") + "_w")
    fused = _fused(attr)
    out = node["name"] if not fused else b.name(node["name"])
    y = b.node("Conv", [x, wn], out, 4, **kw)
    if fused:
        y = _bias_act(b, y, node, fused, node["name"])
    return y


def _axes(b: _Builder, ref: str, rank: int) -> list[int]:
    ax = [int(a) for a in np.atleast_1d(b.weights[ref.split(":")[0]])]
    ax = [a % rank for a in ax]
    if rank == 4:
        ax = [{0: 0, 1: 2, 2: 3, 3: 1}[a] for a in ax]
    return sorted(ax)


def convert(model_json: Path, outputs: list[str], input_name: str = "input") -> onnx.ModelProto:
    """The graph from its Placeholder to ``outputs`` (TF node names) as an ONNX model."""
    spec = json.loads(model_json.read_text())
    weights = read_weights(model_json)
    b = _Builder(weights)
    graph_inputs = []
    elementwise = {"Add": "Add", "AddV2": "Add", "Sub": "Sub", "Mul": "Mul", "Maximum": "Max",
                   "Minimum": "Min", "RealDiv": "Div"}
    unary = {"Relu": "Relu", "Abs": "Abs", "Sigmoid": "Sigmoid", "Identity": "Identity", "Tanh": "Tanh"}
    for node in spec["modelTopology"]["node"]:
        op, nm, attr = node["op"], node["name"], node.get("attr", {})
        ins = [i for i in node.get("input", []) if not i.startswith("^")]
        node["input"] = ins
        if op == "Const":
            continue
        if op == "Placeholder":
            dims = [int(d.get("size", -1)) for d in attr["shape"]["shape"]["dim"]]
            graph_inputs.append(helper.make_tensor_value_info(
                input_name, TensorProto.FLOAT, ["N"] + dims[1:]))
            b.rank[input_name] = 4
            b.node("Transpose", [input_name], nm, 4, perm=[0, 3, 1, 2])
        elif op in ("Conv2D", "_FusedConv2D"):
            _conv(b, node, depthwise=False)
        elif op in ("DepthwiseConv2dNative", "FusedDepthwiseConv2dNative"):
            _conv(b, node, depthwise=True)
        elif op in elementwise:
            ranks = [b.rank.get(i.split(":")[0], 0) for i in ins]
            r = max(ranks)
            b.node(elementwise[op], [b.operand(i, r) for i in ins], nm, r)
        elif op in unary:
            x = b.operand(ins[0], 0)
            b.node(unary[op], [x], nm, b.rank[x])
        elif op == "Square":
            x = b.operand(ins[0], 0)
            b.node("Mul", [x, x], nm, b.rank[x])
        elif op == "Rsqrt":
            x = b.operand(ins[0], 0)
            s = b.node("Sqrt", [x], b.name(nm), b.rank[x])
            b.node("Reciprocal", [s], nm, b.rank[x])
        elif op == "Relu6":
            x = b.operand(ins[0], 0)
            b.node("Clip", [x, b.const(np.float32(0)), b.const(np.float32(6))], nm, b.rank[x])
        elif op in ("Mean", "Sum"):
            x = b.operand(ins[0], 0)
            r = b.rank[x]
            ax = _axes(b, ins[1], r)
            keep = int(attr.get("keep_dims", {}).get("b", False))
            out_rank = r if keep else r - len(ax)
            if op == "Mean":
                b.node("ReduceMean", [x], nm, out_rank, axes=ax, keepdims=keep)
            else:
                b.node("ReduceSum", [x, b.const(np.array(ax, np.int64))], nm, out_rank, keepdims=keep)
        elif op == "Squeeze":
            x = b.operand(ins[0], 0)
            r = b.rank[x]
            ax = _ints(attr, "squeeze_dims")
            ax = sorted({0: 0, 1: 2, 2: 3, 3: 1}[a % r] for a in ax) if r == 4 else ax
            b.node("Squeeze", [x, b.const(np.array(ax, np.int64))], nm, r - len(ax))
        elif op == "Pad":
            x = b.operand(ins[0], 0)
            p = np.asarray(weights[ins[1].split(":")[0]]).reshape(-1, 2)
            if b.rank[x] == 4:
                p = p[[0, 3, 1, 2]]
            pads = np.concatenate([p[:, 0], p[:, 1]]).astype(np.int64)
            b.node("Pad", [x, b.const(pads)], nm, b.rank[x], mode="constant")
        elif op == "Reshape":
            x = b.operand(ins[0], 0)
            if b.rank[x] == 4:
                x = b.node("Transpose", [x], b.name(nm), 4, perm=[0, 2, 3, 1])
            shape = np.asarray(weights[ins[1].split(":")[0]]).astype(np.int64)
            if shape.size != 2:
                raise ValueError(f"{nm}: only flattening reshapes are supported")
            b.node("Reshape", [x, b.const(shape)], nm, 2)
        elif op in ("MatMul", "_FusedMatMul"):
            if attr.get("transpose_a", {}).get("b") or attr.get("transpose_b", {}).get("b"):
                raise ValueError(f"{nm}: transposed MatMul")
            x = b.operand(ins[0], 0)
            w = b.operand(ins[1], 2)
            fused = _fused(attr)
            out = nm if not fused else b.name(nm)
            y = b.node("MatMul", [x, w], out, 2)
            if fused:
                _bias_act(b, y, node, fused, nm)
        elif op == "Softmax":
            x = b.operand(ins[0], 0)
            b.node("Softmax", [x], nm, b.rank[x], axis=-1)
        else:
            raise ValueError(f"{model_json.name}: op {op} ({nm}) not supported")
    outs = []
    for i, o in enumerate(outputs):
        key = o.split(":")[0]
        if key not in b.rank:
            raise ValueError(f"output {o} not in the graph")
        nm = f"output_{i}"
        if b.rank[key] == 4:  # back to TF's NHWC
            b.node("Transpose", [key], nm, 4, perm=[0, 2, 3, 1])
        else:
            b.node("Identity", [key], nm, b.rank[key])
        outs.append(helper.make_tensor_value_info(nm, TensorProto.FLOAT, ["N"] + [None] * (b.rank[key] - 1)))
    inits = [numpy_helper.from_array(v, k) for k, v in b.inits.items()]
    graph = helper.make_graph(b.nodes, model_json.stem, graph_inputs, outs, inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="imgcheck tools/tfjs_graph_to_onnx.py")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model
