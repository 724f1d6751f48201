"""tools/tfjs_graph_to_onnx.py against TF.js itself: a small graph with every op the converter knows
(tests/fixtures/tfjs_tiny, made by tools/make_tfjs_fixture.py, whose outputs TF.js computed)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import imgcheck  # noqa: F401  (sets onnxruntime's telemetry off before it is imported)

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))

import onnxruntime as ort  # noqa: E402
from tfjs_graph_to_onnx import convert, read_weights  # noqa: E402

TINY = ROOT / "tests" / "fixtures" / "tfjs_tiny"
OUTPUTS = ["softmax", "sig", "l2", "pr_add"]


def test_converted_graph_matches_tfjs_outputs():
    ref = np.load(TINY / "tfjs_outputs.npz")
    model = convert(TINY / "tiny.json", OUTPUTS)
    sess = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    got = sess.run(None, {"input": ref["input"]})
    for name, val in zip(OUTPUTS, got):
        assert val.shape[0] == 3
        np.testing.assert_allclose(val.reshape(-1), ref[name], atol=1e-5, err_msg=name)
    # the 4-D output comes back in TF's NHWC order
    assert got[3].shape == (3, 2, 2, 8)
    # the heads are what they claim: softmax rows sum to one, the L2 output is unit length
    np.testing.assert_allclose(got[0].sum(1), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(got[2], axis=1), 1.0, atol=1e-5)


def test_quantised_weights_are_decoded():
    w = read_weights(TINY / "tiny.json")
    spec = json.loads((TINY / "tiny.json").read_text())
    quant = {e["name"]: e["quantization"]["dtype"] for e in spec["weightsManifest"][0]["weights"]
             if "quantization" in e}
    assert quant == {"c1_w": "float16", "fc2_w": "uint8"}
    assert w["c1_w"].dtype == np.float32 and w["c1_w"].shape == (3, 3, 3, 6)
    assert len(np.unique(w["fc2_w"])) <= 256 and w["fc2_w"].std() > 0.1


def test_unknown_op_is_a_clear_error(tmp_path):
    spec = json.loads((TINY / "tiny.json").read_text())
    spec["modelTopology"]["node"].append({"name": "odd", "op": "Erf", "input": ["r1"], "attr": {}})
    (tmp_path / "tiny.json").write_text(json.dumps(spec))
    (tmp_path / "tiny.bin").write_bytes((TINY / "tiny.bin").read_bytes())
    with pytest.raises(ValueError, match="Erf"):
        convert(tmp_path / "tiny.json", ["softmax"])


def test_truncated_weights_are_refused(tmp_path):
    (tmp_path / "tiny.json").write_text((TINY / "tiny.json").read_text())
    (tmp_path / "tiny.bin").write_bytes((TINY / "tiny.bin").read_bytes() + b"\0" * 8)
    with pytest.raises(ValueError, match="bytes"):
        read_weights(tmp_path / "tiny.json")
