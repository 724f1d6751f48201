"""Face detector wrapper: BlazeFace full range over the whole photo, plus overlapping tiles for small faces."""

from __future__ import annotations

import numpy as np

from imgcheck.faces import blazeface as bf


class FaceDetector:
    """Finds faces in an RGB array. Returns empty ``Detections`` when there are none, never None.

    ``min_score`` applies to the whole-photo pass. Tiles see faces at a larger scale, where
    textures (star fields, foliage) can look face-like, so detections that only a tile found must
    reach the stricter ``tile_min_score`` (calibration in docs/faces.md).
    """

    def __init__(self, session, *, min_score: float = 0.6, tile_min_score: float = 0.75,
                 tile_fraction: float = 0.4, min_tile: int = 384, iou_threshold: float = 0.3,
                 tile_trigger: float = 2.5) -> None:
        self.session = session
        self.input_name = session.get_inputs()[0].name
        self.min_score = min_score
        self.tile_min_score = tile_min_score
        self.tile_fraction = tile_fraction
        self.min_tile = min_tile
        self.iou_threshold = iou_threshold
        self.tile_trigger = tile_trigger
        self._anchors = bf.anchors()

    def _run(self, rgb: np.ndarray, min_score: float, x0: int = 0, y0: int = 0) -> bf.Detections:
        square, scale, pad_x, pad_y = bf.letterbox(rgb)
        raw_boxes, raw_scores = self.session.run(None, {self.input_name: bf.to_input(square).transpose(0, 3, 1, 2)})
        det = bf.decode(raw_boxes[0], raw_scores[0], self._anchors, min_score)
        return bf.unletterbox(det, scale, pad_x, pad_y, x0, y0)

    def _may_hide_small_faces(self, whole: bf.Detections, side: int) -> bool:
        """Whether the tile pass is worth running: the whole-photo pass found nothing, or found a group
        whose faces are small enough (under ``tile_trigger`` times the smallest it can see, ~1/25 of
        the side) that more, smaller ones may be there. A photo with one face found skips the tiles:
        its subject is that face, and bystanders too small to see whole are not worth 6 more passes."""
        if not len(whole):
            return True
        return len(whole) >= 2 and _smallest_width(whole) < self.tile_trigger * side / 25

    def detect(self, rgb: np.ndarray) -> bf.Detections:
        """Faces in ``rgb`` (H, W, 3 uint8), best first, boxes and keypoints in its pixels."""
        if rgb.ndim != 3 or rgb.shape[2] != 3 or min(rgb.shape[:2]) < 8:
            return bf.Detections.empty()
        h, w = rgb.shape[:2]
        parts = [self._run(rgb, self.min_score)]
        tile = max(self.min_tile, int(max(h, w) * self.tile_fraction))
        if max(h, w) > tile * 1.5 and self._may_hide_small_faces(parts[0], max(h, w)):
            for x, y, tw, th in bf.tiles(w, h, tile):
                found = self._run(rgb[y:y + th, x:x + tw], self.tile_min_score, x, y)
                parts.append(drop_cut(found, (x, y, tw, th), w, h))
        merged = bf.weighted_nms(bf.concat(parts), self.iou_threshold)
        return clip_to_image(merged, w, h)


def _smallest_width(det: bf.Detections) -> float:
    return float((det.boxes[:, 2] - det.boxes[:, 0]).min()) if len(det) else 0.0


def drop_cut(det: bf.Detections, tile: tuple[int, int, int, int], width: int, height: int,
             margin: float = 2.0) -> bf.Detections:
    """Drop tile detections touching a tile edge inside the image: a face cut by the tile is seen
    whole by a neighbouring tile or by the whole-photo pass, and its half is not a face."""
    if not len(det):
        return det
    x, y, tw, th = tile
    b = det.boxes
    cut = np.zeros(len(det), bool)
    if x > 0:
        cut |= b[:, 0] < x + margin
    if y > 0:
        cut |= b[:, 1] < y + margin
    if x + tw < width:
        cut |= b[:, 2] > x + tw - margin
    if y + th < height:
        cut |= b[:, 3] > y + th - margin
    return det.take(np.flatnonzero(~cut))


def clip_to_image(det: bf.Detections, width: int, height: int) -> bf.Detections:
    """Clip boxes to the image and drop those left with (almost) no area."""
    if not len(det):
        return det
    boxes = det.boxes.copy()
    boxes[:, [0, 2]] = boxes[:, [0, 2]].clip(0, width)
    boxes[:, [1, 3]] = boxes[:, [1, 3]].clip(0, height)
    keep = np.flatnonzero(((boxes[:, 2] - boxes[:, 0]) >= 4) & ((boxes[:, 3] - boxes[:, 1]) >= 4))
    return bf.Detections(boxes[keep], det.scores[keep], det.keypoints[keep])
