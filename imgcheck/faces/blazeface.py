"""MediaPipe BlazeFace face detectors: anchors, decoding and NMS as pure functions.

Two variants of one design. Full range sees a 192x192 letterboxed square and predicts, for each of
2304 anchors (a 48x48 grid), a box and six keypoints relative to the anchor plus one logit; it is made
for faces that are small in the frame (from ~1/25 of the side). Short range sees 128x128 with 896
anchors (16x16 cells x 2, then 8x8 cells x 6) and is made for faces that fill much of the frame
(selfies, tight crops), which full range misses. Small faces in large photos (group shots) are found
by a second full-range pass over overlapping tiles; everything is merged by weighted NMS (the blending
MediaPipe uses).

Keypoint order (the order of ``Face.landmarks``), sides as seen from the person:
``0`` right eye centre (image left in a frontal photo), ``1`` left eye centre, ``2`` nose tip,
``3`` mouth centre, ``4`` right ear tragion, ``5`` left ear tragion.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

INPUT_SIDE = 192
GRID = 48  # stride 4 over the 192 input: one anchor per cell
NUM_KEYPOINTS = 6
RAW_SCORE_LIMIT = 80.0


#: which pass found a detection (bits of ``Detections.sources``; names in ``SOURCE_NAMES``)
FULL, SHORT, TILE, PADDED = 1, 2, 4, 8
SOURCE_NAMES = {FULL: "full_range", SHORT: "short_range", TILE: "full_range_tiles", PADDED: "short_range_padded"}


@dataclass(frozen=True)
class Detections:
    """Faces found in one image: boxes [x0, y0, x1, y1] and keypoints (K, 6, 2) in image pixels;
    ``sources`` holds, per detection, the bits of the passes that found it (FULL, SHORT, ...)."""

    boxes: np.ndarray
    scores: np.ndarray
    keypoints: np.ndarray
    sources: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.sources is None:
            object.__setattr__(self, "sources", np.zeros(len(self.scores), np.uint8))

    @staticmethod
    def empty() -> Detections:
        return Detections(np.zeros((0, 4), np.float32), np.zeros(0, np.float32),
                          np.zeros((0, NUM_KEYPOINTS, 2), np.float32))

    def __len__(self) -> int:
        return len(self.scores)

    def take(self, idx: np.ndarray) -> Detections:
        return Detections(self.boxes[idx], self.scores[idx], self.keypoints[idx], self.sources[idx])

    def tagged(self, source: int) -> Detections:
        return Detections(self.boxes, self.scores, self.keypoints, np.full(len(self.scores), source, np.uint8))


def source_names(bits: int) -> tuple[str, ...]:
    return tuple(name for bit, name in SOURCE_NAMES.items() if bits & bit)


SHORT_INPUT_SIDE = 128
#: short range anchor layout: (cells per side, anchors per cell), in output order
SHORT_LAYOUT = ((16, 2), (8, 6))


def anchors(grid: int = GRID, per_cell: int = 1) -> np.ndarray:
    """Anchor centres (grid*grid*per_cell, 2) as fractions of the input side (SSD anchors, offset 0.5).

    MediaPipe's BlazeFace anchors have a fixed size of 1, so only the centres matter; a cell with
    several anchors repeats its centre."""
    c = (np.arange(grid, dtype=np.float32) + 0.5) / grid
    xs, ys = np.meshgrid(c, c)
    centres = np.stack([xs.ravel(), ys.ravel()], axis=1)
    return np.repeat(centres, per_cell, axis=0) if per_cell > 1 else centres


def short_anchors() -> np.ndarray:
    """The 896 anchor centres of the short-range model (strides 8 and 16 over 128 px)."""
    return np.concatenate([anchors(g, k) for g, k in SHORT_LAYOUT])


def decode(raw_boxes: np.ndarray, raw_scores: np.ndarray, anchor_xy: np.ndarray, min_score: float,
           input_side: int = INPUT_SIDE) -> Detections:
    """Raw network outputs (N, 16) and (N, 1) -> detections in input-square fractions (0..1)."""
    logits = np.clip(raw_scores.reshape(-1).astype(np.float64), -RAW_SCORE_LIMIT, RAW_SCORE_LIMIT)
    scores = 1.0 / (1.0 + np.exp(-logits))
    keep = np.flatnonzero(scores >= min_score)
    if not len(keep):
        return Detections.empty()
    raw = raw_boxes.reshape(-1, 16)[keep].astype(np.float32) / input_side
    anc = anchor_xy[keep]
    cx, cy = raw[:, 0] + anc[:, 0], raw[:, 1] + anc[:, 1]
    w, h = raw[:, 2], raw[:, 3]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], axis=1)
    kps = raw[:, 4:].reshape(-1, NUM_KEYPOINTS, 2) + anc[:, None, :]
    valid = (w > 0) & (h > 0)
    return Detections(boxes[valid], scores[keep][valid].astype(np.float32), kps[valid])


def _overlap(box: np.ndarray, boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Intersection area of one [x0, y0, x1, y1] box with many, that box's area and theirs."""
    ix0 = np.maximum(box[0], boxes[:, 0])
    iy0 = np.maximum(box[1], boxes[:, 1])
    ix1 = np.minimum(box[2], boxes[:, 2])
    iy1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(ix1 - ix0, 0, None) * np.clip(iy1 - iy0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter, area, areas


def iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of one [x0, y0, x1, y1] box with many."""
    inter, area, areas = _overlap(box, boxes)
    return inter / np.maximum(area + areas - inter, 1e-9)


def containment(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over the smaller box's area: near 1 when one box holds the other."""
    inter, area, areas = _overlap(box, boxes)
    return inter / np.maximum(np.minimum(area, areas), 1e-9)


def weighted_nms(det: Detections, iou_threshold: float = 0.3, contain_threshold: float = 0.7) -> Detections:
    """Blend overlapping detections (score-weighted mean of box and keypoints), best first. Boxes
    overlap when their IoU exceeds ``iou_threshold`` or one holds ``contain_threshold`` of the other
    (the two models draw boxes of different sizes around one face).

    Why blending rather than plain NMS: BlazeFace fires on several neighbouring anchors per face and
    their average is steadier than any one of them, which matters for the eye points used by alignment.
    """
    if not len(det):
        return det
    order = np.argsort(-det.scores, kind="stable")
    remaining = order
    boxes, scores, kps, sources = [], [], [], []
    while len(remaining):
        top = remaining[0]
        overlap = (iou(det.boxes[top], det.boxes[remaining]) > iou_threshold) | (
            containment(det.boxes[top], det.boxes[remaining]) > contain_threshold)
        group = remaining[overlap]
        weights = det.scores[group][:, None]
        total = float(weights.sum())
        boxes.append((det.boxes[group] * weights).sum(0) / total)
        kps.append((det.keypoints[group] * weights[:, :, None]).sum(0) / total)
        scores.append(det.scores[top])
        sources.append(int(np.bitwise_or.reduce(det.sources[group])))
        remaining = remaining[~overlap]
    return Detections(np.array(boxes, np.float32), np.array(scores, np.float32),
                      np.array(kps, np.float32), np.array(sources, np.uint8))


def shrink(rgb: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize to ``size`` (w, h), averaging pixels when shrinking by 2x or more.

    OpenCV's area averaging is fast only for integer factors, so a large shrink goes bilinear to the
    nearest integer multiple of the target first (a mild step), then averages by that integer.
    """
    w, h = size
    src_h, src_w = rgb.shape[:2]
    k = int(min(src_w / w, src_h / h))
    if k >= 2:
        if (src_w, src_h) != (w * k, h * k):
            rgb = cv2.resize(rgb, (w * k, h * k), interpolation=cv2.INTER_LINEAR)
        return cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA)
    return cv2.resize(rgb, (w, h), interpolation=cv2.INTER_LINEAR)


def letterbox(rgb: np.ndarray, side: int = INPUT_SIDE) -> tuple[np.ndarray, float, float, float]:
    """Resize keeping aspect ratio and pad to a square; returns (square, scale, pad_x, pad_y).

    A point (u, v) of the square (fractions) maps back to ((u*side - pad_x)/scale, (v*side - pad_y)/scale).
    """
    h, w = rgb.shape[:2]
    scale = side / max(h, w)
    nw, nh = max(1, round(w * scale)), max(1, round(h * scale))
    resized = shrink(rgb, (nw, nh))
    pad_x, pad_y = (side - nw) / 2, (side - nh) / 2
    out = np.zeros((side, side, 3), np.uint8)
    x0, y0 = int(pad_x), int(pad_y)
    out[y0:y0 + nh, x0:x0 + nw] = resized
    return out, scale, float(x0), float(y0)


def to_input(square: np.ndarray) -> np.ndarray:
    """uint8 RGB square (S, S, 3) -> float32 NHWC tensor in [-1, 1], as the model was trained."""
    return (square.astype(np.float32) / 127.5 - 1.0)[None]


def unletterbox(det: Detections, scale: float, pad_x: float, pad_y: float, offset_x: float = 0.0,
                offset_y: float = 0.0, side: int = INPUT_SIDE) -> Detections:
    """Map detections from input-square fractions back to pixels of the (tile's) source image."""
    if not len(det):
        return det
    boxes = det.boxes * side
    boxes[:, [0, 2]] = (boxes[:, [0, 2]] - pad_x) / scale + offset_x
    boxes[:, [1, 3]] = (boxes[:, [1, 3]] - pad_y) / scale + offset_y
    kps = det.keypoints * side
    kps[..., 0] = (kps[..., 0] - pad_x) / scale + offset_x
    kps[..., 1] = (kps[..., 1] - pad_y) / scale + offset_y
    return Detections(boxes.astype(np.float32), det.scores, kps.astype(np.float32), det.sources)


def tiles(width: int, height: int, tile: int, overlap: float = 0.25) -> list[tuple[int, int, int, int]]:
    """Overlapping square tiles (x, y, w, h) covering the image; one tile when it already fits."""
    if max(width, height) <= tile:
        return [(0, 0, width, height)]
    step = max(1, int(tile * (1 - overlap)))

    def starts(n: int) -> list[int]:
        if n <= tile:
            return [0]
        s = list(range(0, n - tile, step))
        return s + [n - tile]

    tw, th = min(tile, width), min(tile, height)
    return [(x, y, tw, th) for y in starts(height) for x in starts(width)]


def concat(parts: list[Detections]) -> Detections:
    parts = [p for p in parts if len(p)]
    if not parts:
        return Detections.empty()
    return Detections(np.concatenate([p.boxes for p in parts]), np.concatenate([p.scores for p in parts]),
                      np.concatenate([p.keypoints for p in parts]), np.concatenate([p.sources for p in parts]))
