"""The detector head: L2-regularised logistic regression on standardised features, Platt-calibrated.

Fitting is plain numpy (Newton steps) so ``imgcheck detector train`` needs no ML framework. The fitted
head is folded into one affine map plus a sigmoid (standardisation, weights and calibration together)
and exported as a three-node ONNX graph, so the shipped model and a platform's refit run the same way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -50, 50)))


def fit_logistic(x: np.ndarray, y: np.ndarray, l2: float = 1.0, sample_weight: np.ndarray | None = None,
                 iters: int = 50) -> tuple[np.ndarray, float]:
    """Weights and bias minimising weighted log loss + l2/2 |w|^2 (bias not penalised), by Newton steps."""
    n, d = x.shape
    sw = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=np.float64)
    xa = np.hstack([x, np.ones((n, 1))])
    theta = np.zeros(d + 1)
    reg = np.full(d + 1, l2)
    reg[-1] = 0.0
    for _ in range(iters):
        p = _sigmoid(xa @ theta)
        grad = xa.T @ (sw * (p - y)) + reg * theta
        hess = (xa * (sw * p * (1 - p))[:, None]).T @ xa + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        theta -= step
        if np.abs(step).max() < 1e-7:
            break
    return theta[:-1], float(theta[-1])


def balanced_weights(y: np.ndarray, groups: np.ndarray | None = None,
                     extra: np.ndarray | None = None) -> np.ndarray:
    """Each class weighs the same in total; inside a class each group (source image) weighs the same,
    times ``extra`` per sample (content balancing, see tools/build_ai_detector.py)."""
    w = np.ones(len(y), dtype=np.float64)
    if groups is not None:
        for g in np.unique(groups):
            m = groups == g
            w[m] = 1.0 / m.sum()
    if extra is not None:
        w = w * extra
    for c in (0, 1):
        m = y == c
        if m.any():
            w[m] *= (len(y) / 2) / w[m].sum()
    return w


@dataclass(frozen=True)
class LinearHead:
    """p = sigmoid(x @ weight + bias): standardisation, logistic weights and calibration folded together."""

    weight: np.ndarray
    bias: float

    def probability(self, x: np.ndarray) -> np.ndarray:
        return _sigmoid(np.atleast_2d(x) @ self.weight + self.bias)


def fit_head(x: np.ndarray, y: np.ndarray, groups: np.ndarray | None = None, l2: float = 1.0,
             calib_scores: np.ndarray | None = None, calib_y: np.ndarray | None = None,
             extra_weight: np.ndarray | None = None) -> LinearHead:
    """Fit on (x, y); calibrate with Platt scaling on out-of-fold scores when given (else in-sample)."""
    mu = x.mean(axis=0)
    sd = x.std(axis=0) + 1e-6
    z = (x - mu) / sd
    sw = balanced_weights(y, groups, extra_weight)
    w, b = fit_logistic(z, y, l2=l2, sample_weight=sw)
    if calib_scores is None or calib_y is None:
        calib_scores, calib_y, cw = z @ w + b, y, sw
    else:
        cw = balanced_weights(calib_y)
    a, c = fit_logistic(np.asarray(calib_scores, dtype=np.float64)[:, None], calib_y, l2=1e-3, sample_weight=cw)
    wf = (w / sd) * a[0]
    bf = float((b - (mu / sd) @ w) * a[0] + c)
    return LinearHead(weight=wf, bias=bf)


def raw_scores(x_train: np.ndarray, y_train: np.ndarray, x_test: np.ndarray,
               groups: np.ndarray | None = None, l2: float = 1.0,
               extra_weight: np.ndarray | None = None) -> np.ndarray:
    """Uncalibrated logits of x_test from a head fitted on the training part (for cross-validation)."""
    mu = x_train.mean(axis=0)
    sd = x_train.std(axis=0) + 1e-6
    w, b = fit_logistic((x_train - mu) / sd, y_train, l2=l2,
                        sample_weight=balanced_weights(y_train, groups, extra_weight))
    return ((x_test - mu) / sd) @ w + b


def auc(scores_pos: np.ndarray, scores_neg: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties count half)."""
    pos = np.asarray(scores_pos, dtype=np.float64)
    neg = np.asarray(scores_neg, dtype=np.float64)
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    allv = np.concatenate([pos, neg])
    order = allv.argsort(kind="mergesort")
    ranks = np.empty(len(allv))
    sorted_v = allv[order]
    i = 0
    while i < len(allv):
        j = i
        while j + 1 < len(allv) and sorted_v[j + 1] == sorted_v[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    return float((ranks[:len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def tpr_at_fpr(scores_pos: np.ndarray, scores_neg: np.ndarray, fpr: float) -> tuple[float, float]:
    """(TPR, threshold) where at most ``fpr`` of the negatives score at or above the threshold."""
    neg = np.sort(np.asarray(scores_neg, dtype=np.float64))[::-1]
    k = int(np.floor(fpr * len(neg)))
    thr = float(np.nextafter(neg[k], np.inf)) if k < len(neg) else float(neg[-1])
    return float((np.asarray(scores_pos) >= thr).mean()), thr


def to_onnx_bytes(head: LinearHead, input_name: str = "features", output_name: str = "probability") -> bytes:
    """A three-node ONNX graph (MatMul, Add, Sigmoid): input (batch, d) float32 -> (batch, 1)."""
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError as exc:  # pragma: no cover - depends on the environment
        from imgcheck.errors import ModelError

        raise ModelError("writing a detector head needs the 'onnx' package: pip install 'imgcheck[train]'") from exc
    d = len(head.weight)
    w = numpy_helper.from_array(head.weight.reshape(d, 1).astype(np.float32), "W")
    b = numpy_helper.from_array(np.array([head.bias], dtype=np.float32), "B")
    nodes = [helper.make_node("MatMul", [input_name, "W"], ["logit0"]),
             helper.make_node("Add", ["logit0", "B"], ["logit"]),
             helper.make_node("Sigmoid", ["logit"], [output_name])]
    graph = helper.make_graph(nodes, "imgcheck_ai_pixels_head",
                              [helper.make_tensor_value_info(input_name, TensorProto.FLOAT, ["batch", d])],
                              [helper.make_tensor_value_info(output_name, TensorProto.FLOAT, ["batch", 1])],
                              initializer=[w, b])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="imgcheck")
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model.SerializeToString()
