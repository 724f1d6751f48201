"""dlib's 5-point face landmark predictor (an ensemble of regression trees) in numpy.

dlib's face recognition network was trained on chips cut from the 5 points of this predictor (the
corners of both eyes and the bottom of the nose), so aligning from them rather than from BlazeFace's
keypoints puts faces where the network expects them (agreement figures in models/MODELS.md).

The algorithm (Kazemi & Sullivan, "One millisecond face alignment with an ensemble of regression
trees", CVPR 2014), as dlib runs it: start from the mean shape inside the face's frame (a unit square
mapped onto the face), then for each of 15 cascade stages read 800 pixel intensities at points
anchored to the current landmarks (offsets in mean-shape space, turned and scaled with the current
shape), walk 500 depth-4 trees that compare intensity differences with thresholds, and add the
leaves' shape updates. ``tools/convert_shape_predictor.py`` converts dlib's model file to the .npz
read here and checks the result against dlib.

The face's frame: dlib maps the unit square onto its HOG detector's rectangle. Here the frame comes
from BlazeFace's keypoints (``frame_from_keypoints``): the rectangle that dlib's detector draws, on
average, relative to those points (``HOG_RECT_IN_CHIP``, measured by tools/calibrate_alignment.py),
turned with the eyes, so a tilted head is read as an upright one would be.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from imgcheck.faces import align

#: the 5-point model's landmarks, as dlib numbers them: 0, 1 outer and inner corner of the eye on the
#: image's right, 2, 3 outer and inner corner of the eye on the image's left, 4 base of the nose
NUM_POINTS = 5

#: dlib's HOG rectangle as a square in BlazeFace-chip coordinates (``align.CHIP_TEMPLATE`` frame):
#: centre (x, y) and side, mean over the faces both detectors find (tools/calibrate_alignment.py)
HOG_RECT_IN_CHIP = (72.9, 69.1, 127.2)
#: the predictor runs from these rectangle scales and the landmarks are averaged: dlib's HOG boxes
#: come in steps of ~20% in size, so the model was trained on rectangles that vary that much around
#: a face, and one initialisation lands on one of several nearby solutions (calibrate_alignment.py)
ENSEMBLE_SCALES = (0.85, 0.95, 1.05, 1.15)


@dataclass(frozen=True)
class ShapePredictor:
    initial_shape: np.ndarray  # (5, 2) in the unit frame
    split_idx: np.ndarray      # (stages, trees, splits, 2) feature indices
    split_thresh: np.ndarray   # (stages, trees, splits)
    leaves: np.ndarray         # (stages, trees, splits + 1, 5, 2)
    anchor_idx: np.ndarray     # (stages, features) landmark each feature pixel hangs on
    deltas: np.ndarray         # (stages, features, 2) offsets in mean-shape space

    @staticmethod
    def load(path: str | Path) -> ShapePredictor:
        with np.load(path) as z:
            return ShapePredictor(**{k: z[k] for k in ("initial_shape", "split_idx", "split_thresh", "leaves",
                                                         "anchor_idx", "deltas")})

    @staticmethod
    def rect_frame(left: float, top: float, right: float, bottom: float) -> np.ndarray:
        """The unit-square -> image affine matrix of a dlib rectangle (corners as dlib maps them)."""
        return np.array([[right - left, 0.0, left], [0.0, bottom - top, top]], np.float64)

    def __post_init__(self) -> None:
        stages, n_trees, n_split = self.split_thresh.shape
        # flat tables: node j of tree t is row t * n_split + j, leaf l of tree t row t * (n_split + 1) + l
        object.__setattr__(self, "_idx1", self.split_idx[..., 0].reshape(stages, -1).astype(np.int64))
        object.__setattr__(self, "_idx2", self.split_idx[..., 1].reshape(stages, -1).astype(np.int64))
        object.__setattr__(self, "_thresh", self.split_thresh.reshape(stages, -1))
        object.__setattr__(self, "_leaves", self.leaves.reshape(stages, n_trees * (n_split + 1), -1))
        object.__setattr__(self, "_anchor", self.anchor_idx.astype(np.int64))

    def predict(self, rgb: np.ndarray, frame: np.ndarray) -> np.ndarray:
        """The 5 landmarks (5, 2) in image pixels for the face in ``frame`` (2x3, unit square -> image)."""
        return self.predict_many(rgb, np.asarray(frame, np.float64)[None])[0]

    def predict_many(self, rgb: np.ndarray, frames: np.ndarray) -> np.ndarray:
        """Landmarks (F, 5, 2) for F frames of one image, run side by side (one pass over the trees)."""
        h, w = rgb.shape[:2]
        frames = np.asarray(frames, np.float64)
        n_f = len(frames)
        stages, n_trees, n_split = self.split_thresh.shape
        depth = int(np.log2(n_split + 1))
        n_feat = self.deltas.shape[1]
        shapes = np.repeat(self.initial_shape.astype(np.float32)[None], n_f, axis=0)
        tree_base = np.arange(n_trees) * n_split
        leaf_base = np.arange(n_trees) * (n_split + 1) - n_split
        feat_base = (np.arange(n_f) * n_feat)[:, None]
        init = self.initial_shape.astype(np.float64)
        init_c = (init[:, 0] - init[:, 0].mean()) + 1j * (init[:, 1] - init[:, 1].mean())
        init_norm = float((np.abs(init_c) ** 2).sum())
        lin = frames[:, :, :2]                                          # (F, 2, 2), float64 like dlib's
        off = frames[:, :, 2]                                           # (F, 2)
        # flat gathers (np.take on 1-D or row tables) instead of fancy indexing on middle axes and
        # per-pixel channel sums: the same numbers, about half the time (benchmarks/faces_vs_dlib.py)
        pix = np.ascontiguousarray(rgb).reshape(h * w, -1)
        for s in range(stages):
            # rotation + scale taking the mean shape onto each current shape (dlib's
            # find_tform_between_shapes; in 2-D the least-squares similarity is one complex ratio)
            cur = shapes - shapes.mean(1, keepdims=True)
            z = (np.conj(init_c)[None] * (cur[..., 0] + 1j * cur[..., 1])).sum(1) / init_norm
            a = z.real.astype(np.float32)[:, None]
            b = z.imag.astype(np.float32)[:, None]
            dx, dy = self.deltas[s][:, 0][None], self.deltas[s][:, 1][None]
            anchor_x = np.take(np.ascontiguousarray(shapes[..., 0]), self._anchor[s], axis=1)
            anchor_y = np.take(np.ascontiguousarray(shapes[..., 1]), self._anchor[s], axis=1)
            ux = (a * dx - b * dy + anchor_x).astype(np.float64)        # (F, features), unit frame
            uy = (b * dx + a * dy + anchor_y).astype(np.float64)
            px = np.floor(lin[:, 0, 0, None] * ux + lin[:, 0, 1, None] * uy + off[:, 0, None] + 0.5)
            py = np.floor(lin[:, 1, 0, None] * ux + lin[:, 1, 1, None] * uy + off[:, 1, None] + 0.5)
            px, py = px.astype(np.int64), py.astype(np.int64)
            inside = ((px >= 0) & (px < w) & (py >= 0) & (py < h)).ravel()
            grey = _intensity(pix.take(np.where(inside, (py * w + px).ravel(), 0), axis=0))
            flat = np.where(inside, grey.astype(np.float32), np.float32(0))
            idx1, idx2, thresh = self._idx1[s], self._idx2[s], self._thresh[s]
            node = np.zeros((n_f, n_trees), np.int64)
            for _ in range(depth):
                row = tree_base + node
                left = (flat.take(idx1.take(row) + feat_base) - flat.take(idx2.take(row) + feat_base)
                        ) > thresh.take(row)
                node = 2 * node + 2 - left
            upd = self._leaves[s].take((leaf_base + node).ravel(), axis=0).reshape(n_f, n_trees, -1)
            shapes = shapes + upd.sum(1, dtype=np.float32).reshape(n_f, -1, 2)
        return shapes.astype(np.float64) @ frames[:, :, :2].transpose(0, 2, 1) + frames[:, None, :, 2]


def _intensity(pixels: np.ndarray) -> np.ndarray:
    """dlib's grey level of RGB pixels (N, 3): the integer mean of the three channels."""
    if pixels.ndim == 1:
        return pixels
    if pixels.shape[1] < 3:
        return pixels[:, 0]
    return (pixels[:, 0].astype(np.uint16) + pixels[:, 1] + pixels[:, 2]) // 3


def frame_from_keypoints(keypoints: np.ndarray, rect_in_chip: tuple[float, float, float] = HOG_RECT_IN_CHIP,
                         scale: float = 1.0) -> np.ndarray:
    """Unit-square -> image frame for a face from its BlazeFace keypoints (6, 2): the square that
    dlib's detector would draw, turned with the face."""
    return frames_from_keypoints(keypoints, rect_in_chip, (scale,))[0]


def frames_from_keypoints(keypoints: np.ndarray, rect_in_chip: tuple[float, float, float] = HOG_RECT_IN_CHIP,
                          scales: tuple[float, ...] = ENSEMBLE_SCALES) -> np.ndarray:
    """``frame_from_keypoints`` at several scales (F, 2, 3), the keypoint fit done once."""
    cx, cy, side = rect_in_chip
    to_img = np.linalg.inv(np.vstack([align.chip_transform(np.asarray(keypoints, np.float64)), [0, 0, 1]]))[:2]
    out = []
    for scale in scales:
        half = side * scale / 2
        tl, tr, br = align.apply(to_img, np.array([[cx - half, cy - half], [cx + half, cy - half],
                                                   [cx + half, cy + half]]))
        # unit (0,0) -> tl, (1,0) -> tr, (1,1) -> br
        out.append([[tr[0] - tl[0], br[0] - tr[0], tl[0]], [tr[1] - tl[1], br[1] - tr[1], tl[1]]])
    return np.array(out, np.float64)


def landmarks_from_keypoints(predictor: ShapePredictor, rgb: np.ndarray, keypoints: np.ndarray,
                             scales: tuple[float, ...] = ENSEMBLE_SCALES) -> np.ndarray:
    """dlib's 5 landmarks (5, 2) for a BlazeFace face: the mean over the ``scales`` initialisations."""
    return predictor.predict_many(rgb, frames_from_keypoints(keypoints, scales=scales)).mean(0)
