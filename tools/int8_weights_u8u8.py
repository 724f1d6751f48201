"""Make a dynamic-int8 ONNX model compute the same integers on every x86 CPU: uint8 weights (U8U8).

Why: onnxruntime's ``quantize_dynamic`` output multiplies uint8 activations by int8 weights
(``MatMulInteger``, "U8S8"). On x86 CPUs without AVX-512 VNNI / AVX-VNNI, onnxruntime adds pairs of
u8 x s8 products in 16 bits (``vpmaddubsw``), which saturates; with VNNI the sums are exact. The same
file therefore gives different embeddings on different machines: the CLIP tower in ``models/`` gave
cosine 0.979 to a float computation on a VNNI CPU, while its upstream package reports ~0.55 between
int8 and fp32, and a detector head fitted on one machine's features mis-scored images on another.
onnxruntime's quantisation guide names U8U8 as a format without the saturation problem.

The rewrite shifts every int8 weight and its zero point by +128 into uint8. ``(w + 128) - (z + 128)
= w - z``, so the products are mathematically the exact U8S8 products, now computed without
saturation by every kernel; on a VNNI CPU the result equals the original file's bit for bit (checked
by ``parity``). Nothing else in the graph changes.

    python tools/int8_weights_u8u8.py IN.onnx OUT.onnx     # rewrite and print the parity check
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import onnx
from onnx import numpy_helper


def rewrite(model: onnx.ModelProto) -> tuple[onnx.ModelProto, int]:
    """Weights and weight zero points of every MatMulInteger to uint8; returns (model, tensors)."""
    g = model.graph
    inits = {i.name: i for i in g.initializer}
    targets = {n.input[i] for n in g.node if n.op_type == "MatMulInteger" for i in (1, 3) if len(n.input) > i}
    for n in g.node:  # a shared tensor must only feed MatMulInteger weight inputs
        for pos, name in enumerate(n.input):
            if name in targets and not (n.op_type == "MatMulInteger" and pos in (1, 3)):
                raise ValueError(f"{name} also feeds {n.op_type}; cannot shift it")
    for name in sorted(targets):
        if name not in inits:
            raise ValueError(f"{name} is not a constant weight")
        a = numpy_helper.to_array(inits[name])
        if a.dtype == np.uint8:
            continue
        if a.dtype != np.int8:
            raise ValueError(f"{name} is {a.dtype}, expected int8")
        inits[name].CopyFrom(numpy_helper.from_array((a.astype(np.int16) + 128).astype(np.uint8), name))
    onnx.checker.check_model(model)
    return model, len(targets)


def parity(original: Path, rewritten: Path, inputs: list[np.ndarray]) -> dict:
    """Largest output difference between the two files on ``inputs`` (onnxruntime, this CPU)."""
    import onnxruntime as ort

    def run(path: Path) -> list[np.ndarray]:
        s = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
        name = s.get_inputs()[0].name
        return [s.run(None, {name: x})[0] for x in inputs]

    a, b = run(original), run(rewritten)
    cos = [float(np.dot(x.ravel(), y.ravel()) / (np.linalg.norm(x) * np.linalg.norm(y) + 1e-12)) for x, y in zip(a, b)]
    return {"inputs": len(inputs), "max_abs_diff": float(max(np.abs(x - y).max() for x, y in zip(a, b))),
            "min_cosine": min(cos), "cpu_vnni": cpu_has_vnni()}


def cpu_has_vnni() -> bool | None:
    """Whether this CPU has AVX-512 VNNI or AVX-VNNI (Linux /proc/cpuinfo; None elsewhere)."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return None
    return "avx512_vnni" in flags or "avx_vnni" in flags


def main() -> None:
    src, dest = Path(sys.argv[1]), Path(sys.argv[2])
    model, n = rewrite(onnx.load(str(src)))
    onnx.save(model, str(dest))
    rng = np.random.default_rng(0)
    print(f"{n} weight tensors shifted to uint8 -> {dest}")
    print(parity(src, dest, [rng.normal(0, 1, (1, 3, 224, 224)).astype(np.float32) for _ in range(3)]))


if __name__ == "__main__":
    main()
