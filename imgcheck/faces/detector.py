"""Face detector: BlazeFace full range and short range over the whole photo, tiles for small faces.

Why two models: full range is made for faces that are small in the frame and misses faces that fill
it (selfies, 150 px profile crops: 63 of 120 tight crops found); short range is made for those and
also reads heads tilted up to 45 degrees. Both run on the whole photo (short range costs ~1.5 ms) and
their detections are merged by weighted NMS. Calibration of every pass (recall, false faces):
docs/faces.md, ``tools/eval_face_detection.py``.
"""

from __future__ import annotations

import cv2
import numpy as np

from imgcheck.faces import blazeface as bf
from imgcheck.settings import Settings

#: the detector's score lines have their home in Settings; a FaceDetector made by hand uses them too
_DEFAULTS = Settings()


class FaceDetector:
    """Finds faces in an RGB array. Returns empty ``Detections`` when there are none, never None.

    Passes, all merged by weighted NMS:

    1. full range on the whole photo (``min_score``);
    2. short range on the whole photo (``short_min_score``), when its model is given; when passes 1
       and 2 found nothing, short range once more on the photo inside a black border of
       ``pad_fraction`` of its side (a face that overflows a tight crop then fits the frame);
    3. full range on overlapping tiles when small faces may be hiding (``tile_min_score``).

    Each model is trusted in its range: short-range faces narrower than ``short_min_fraction`` of
    the longer side are dropped (full range sees those; on group photos short range draws loose,
    shifted boxes around them). A face that only short range found must be found again, at ``verify_min_score``, in a square cut
    centred on it: textures (star fields, foliage, engine parts) that short range takes for a face
    rarely stay one when re-framed, faces do. Tiles see textures at scales where they can look
    face-like, so what only a tile found must reach the stricter ``tile_min_score``.
    """

    def __init__(self, session, *, short_session=None, min_score: float = _DEFAULTS.face_min_score,
                 tile_min_score: float = _DEFAULTS.face_tile_min_score,
                 short_min_score: float = _DEFAULTS.face_short_min_score, pad_fraction: float = 0.0,
                 verify_min_score: float = 0.0,
                 short_min_fraction: float = 0.2,
                 tile_fraction: float = 0.4, min_tile: int = 384, iou_threshold: float = 0.3,
                 tile_trigger: float = 2.5) -> None:
        self.session = session
        self.input_name = session.get_inputs()[0].name
        self.short_session = short_session
        self.short_input = short_session.get_inputs()[0].name if short_session is not None else None
        self.min_score = min_score
        self.tile_min_score = tile_min_score
        self.short_min_score = short_min_score
        self.pad_fraction = pad_fraction
        self.verify_min_score = verify_min_score
        self.short_min_fraction = short_min_fraction
        self.tile_fraction = tile_fraction
        self.min_tile = min_tile
        self.iou_threshold = iou_threshold
        self.tile_trigger = tile_trigger
        self._anchors = bf.anchors()
        self._short_anchors = bf.short_anchors()

    def _run(self, rgb: np.ndarray, min_score: float, x0: int = 0, y0: int = 0) -> bf.Detections:
        square, scale, pad_x, pad_y = bf.letterbox(rgb)
        raw_boxes, raw_scores = self.session.run(None, {self.input_name: bf.to_input(square).transpose(0, 3, 1, 2)})
        det = bf.decode(raw_boxes[0], raw_scores[0], self._anchors, min_score)
        return bf.unletterbox(det, scale, pad_x, pad_y, x0, y0)

    def _run_short(self, rgb: np.ndarray, min_score: float, pad: int = 0) -> bf.Detections:
        """Short range on ``rgb``, optionally inside a black border of ``pad`` px."""
        if self.short_session is None:
            return bf.Detections.empty()
        if pad:
            rgb = cv2.copyMakeBorder(rgb, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=(0, 0, 0))
        side = bf.SHORT_INPUT_SIDE
        square, scale, pad_x, pad_y = bf.letterbox(rgb, side)
        raw_boxes, raw_scores = self.short_session.run(
            None, {self.short_input: bf.to_input(square).transpose(0, 3, 1, 2)})
        det = bf.decode(raw_boxes[0], raw_scores[0], self._short_anchors, min_score, side)
        return bf.unletterbox(det, scale, pad_x, pad_y, -pad, -pad, side=side)

    def _verified(self, rgb: np.ndarray, det: bf.Detections, others: bf.Detections) -> bf.Detections:
        """Short-range detections that full range confirms (overlap) or that short range finds again
        in a square cut of 1.6x their box centred on them."""
        if not len(det) or self.verify_min_score <= 0:
            return det
        keep = []
        for i, b in enumerate(det.boxes):
            if len(others) and float(bf.iou(b, others.boxes).max()) > 0.3:
                keep.append(i)
                continue
            cx, cy = (b[0] + b[2]) / 2, (b[1] + b[3]) / 2
            half = 0.8 * max(b[2] - b[0], b[3] - b[1])
            side = max(8, int(round(2 * half)))
            again = self._run_short(_cut(rgb, int(round(cx - half)), int(round(cy - half)), side),
                                    self.verify_min_score)
            if len(again):
                centres = (again.boxes[:, :2] + again.boxes[:, 2:]) / 2
                if (np.hypot(centres[:, 0] - side / 2, centres[:, 1] - side / 2) < side / 4).any():
                    keep.append(i)
        return det.take(np.array(keep, np.int64))

    def _may_hide_small_faces(self, whole: bf.Detections, side: int) -> bool:
        """Whether the tile pass is worth running: the whole-photo passes found nothing, or found a
        group whose faces are small enough (under ``tile_trigger`` times the smallest full range sees,
        ~1/25 of the side) that more, smaller ones may be there. A photo with one face found skips the
        tiles: its subject is that face, and bystanders too small to see whole are not worth 6 more passes."""
        if not len(whole):
            return True
        return len(whole) >= 2 and _smallest_width(whole) < self.tile_trigger * side / 25

    def detect(self, rgb: np.ndarray, work_side: int | None = None) -> bf.Detections:
        """Faces in ``rgb`` (H, W, 3 uint8), best first, boxes and keypoints in its pixels.

        ``work_side``: the whole-photo passes shrink ``rgb`` straight to the networks' input, and only
        the tile pass (when it runs) works on a copy whose longer side is ``work_side``; None: tiles
        are cut from ``rgb`` itself. The networks see 192 or 128 px whatever the copy, so one shrink
        fewer per photo (1080p: ~2 ms) for the same faces."""
        if rgb.ndim != 3 or rgb.shape[2] != 3 or min(rgb.shape[:2]) < 8:
            return bf.Detections.empty()
        h, w = rgb.shape[:2]
        whole = self._run(rgb, self.min_score).tagged(bf.FULL)
        short = self._run_short(rgb, self.short_min_score).tagged(bf.SHORT)
        if not len(whole) and not len(short) and self.pad_fraction > 0:
            short = self._run_short(rgb, self.short_min_score,
                                    int(round(self.pad_fraction * max(h, w)))).tagged(bf.PADDED)
        short = self._verified(rgb, _at_least(short, self.short_min_fraction * max(h, w)), whole)
        parts = [whole, short]
        merged = bf.weighted_nms(bf.concat(parts), self.iou_threshold)
        factor = work_side / max(h, w) if work_side and max(h, w) > work_side else 1.0
        ww, wh = max(1, round(w * factor)), max(1, round(h * factor))
        tile = max(self.min_tile, int(max(ww, wh) * self.tile_fraction))
        if max(ww, wh) > tile * 1.5 and self._may_hide_small_faces(merged, max(h, w)):
            work = rgb if factor == 1.0 else bf.shrink(rgb, (ww, wh))
            back = (w / ww, h / wh)
            for x, y, tw, th in bf.tiles(ww, wh, tile):
                found = self._run(work[y:y + th, x:x + tw], self.tile_min_score, x, y).tagged(bf.TILE)
                parts.append(_scaled(drop_cut(found, (x, y, tw, th), ww, wh), *back))
            merged = bf.weighted_nms(bf.concat(parts), self.iou_threshold)
        return clip_to_image(merged, w, h)


def _scaled(det: bf.Detections, sx: float, sy: float) -> bf.Detections:
    """Detections with boxes and keypoints scaled by (sx, sy): from a shrunk copy to the photo."""
    if not len(det) or (sx, sy) == (1.0, 1.0):
        return det
    s = np.array([sx, sy], np.float32)
    return bf.Detections(det.boxes * np.tile(s, 2), det.scores, det.keypoints * s, det.sources)


def _cut(rgb: np.ndarray, x0: int, y0: int, side: int) -> np.ndarray:
    """The square (x0, y0, side) of ``rgb``, black where it leaves the image."""
    h, w = rgb.shape[:2]
    out = np.zeros((side, side, 3), np.uint8)
    sx0, sy0, sx1, sy1 = max(x0, 0), max(y0, 0), min(x0 + side, w), min(y0 + side, h)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = rgb[sy0:sy1, sx0:sx1]
    return out


def _at_least(det: bf.Detections, width: float) -> bf.Detections:
    return det.take(np.flatnonzero((det.boxes[:, 2] - det.boxes[:, 0]) >= width)) if len(det) else det


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
    return bf.Detections(boxes[keep], det.scores[keep], det.keypoints[keep], det.sources[keep])
