"""Local-feature verification: ORB keypoints + RANSAC affine fit, then a PDQ comparison after alignment.

Global hashes lose a photo once a re-upload is cut to a corner, framed in an app screenshot or
captioned: the picture moves inside the frame. Keypoints do not care where the picture sits. A bank
candidate is confirmed only when

1. enough ratio-test matches agree on one affine transform (RANSAC), i.e. the query shows the same
   pixels, moved/scaled/slightly rotated/squeezed, not just the same kind of texture;
2. that transform is one an edit makes (a small rotation, possibly on top of a quarter turn, a mild
   aspect change, not a mirror; mirrors are tried by matching the mirrored query), which rules out
   other views of the same scene; and
3. after warping the query onto the bank image, the PDQ hashes of the common region are close: a
   second photo of the same place, taken a moment later or from a step aside, fits a transform on
   part of its keypoints but does not give the same picture once aligned.

Thresholds and how they were measured: docs/calibration.md.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

import cv2
import numpy as np

from imgcheck.hashing.pdq import PdqHash
from imgcheck.threads import faiss_threads
from imgcheck.settings import VerifyParams

#: longer side of the grey image keypoints are taken from (bank and query alike)
FEATURE_SIDE = 512
#: queries smaller than this are upscaled first, so tiny re-uploads still give keypoints
MIN_QUERY_SIDE = 384
N_FEATURES = 1000
#: ORB pyramid levels of the stored keypoints (a query's coarse view uses fewer: settings.CoarseView)
N_LEVELS = 8
FEATURE_KIND = "orb1000+clahe@512"
_HEADER = struct.Struct("<4sIHH")
_MAGIC = b"ORB1"
_PDQ = PdqHash()


@dataclass(frozen=True)
class Features:
    """Keypoints of one image: positions in a frame of ``size`` (w, h) and 256-bit ORB descriptors."""

    points: np.ndarray       # float32 [n, 2]
    descriptors: np.ndarray  # uint8 [n, 32]
    size: tuple[int, int]

    def __len__(self) -> int:
        return len(self.points)

    def to_bytes(self) -> bytes:
        n = len(self.points)
        return (_HEADER.pack(_MAGIC, n, *self.size) + np.asarray(self.points, "<f4").tobytes()
                + np.asarray(self.descriptors, np.uint8).tobytes())

    @classmethod
    def from_bytes(cls, data: bytes) -> Features:
        magic, n, w, h = _HEADER.unpack_from(data)
        if magic != _MAGIC:
            raise ValueError("not an imgcheck ORB feature blob")
        off = _HEADER.size
        pts = np.frombuffer(data, "<f4", n * 2, off).reshape(n, 2)
        desc = np.frombuffer(data, np.uint8, n * 32, off + n * 8).reshape(n, 32)
        return cls(pts, desc, (w, h))


@dataclass(frozen=True)
class Verification:
    """Outcome of matching a query against one bank image."""

    matches: int
    inliers: int
    mirrored: bool
    #: query -> bank affine (2x3) in bank feature-frame pixels; None when no fit was found
    affine: np.ndarray | None
    #: PDQ distance between the bank image and the aligned query over their common region
    aligned_distance: int | None
    accepted: bool
    why: str


#: narrower grey images (px) give no ORB keypoints with these settings (patchSize 31; measured: 30 px
#: wide gives 0, 31 px gives 86 on noise)
MIN_ORB_SIDE = 31


def grey(rgb: np.ndarray, side: int = FEATURE_SIDE, min_side: int = 0) -> np.ndarray:
    g = cv2.cvtColor(np.asarray(rgb), cv2.COLOR_RGB2GRAY)
    h, w = g.shape
    scale = side / max(h, w)
    if max(h, w) < min_side:
        scale = min_side / max(h, w)
    elif scale >= 1:
        return g
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    return cv2.resize(g, size, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)


def compute(g: np.ndarray, n_features: int = N_FEATURES, levels: int = N_LEVELS) -> Features:
    """ORB keypoints of a grey image (fixed detector settings: bank and query must agree).

    The image is contrast-equalised first (CLAHE): dark, hazy or motion-blurred photos otherwise give
    ORB almost no corners, and equalising also evens out brightness, contrast and warm filters.
    Measured on the re-upload set: keypoint verification of a low-contrast storm photo went from 0 of
    26 edits to 22 of 26 (docs/calibration.md).
    """
    if min(g.shape[:2]) < MIN_ORB_SIDE:
        # ORB's pyramid cannot shrink a 1-pixel-wide strip (OpenCV asserts) and finds no corner in
        # anything narrower than its patch: no keypoints, the same answer without the crash
        return Features(np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8), (g.shape[1], g.shape[0]))
    orb = cv2.ORB_create(nfeatures=n_features, scaleFactor=1.2, nlevels=levels, edgeThreshold=15,
                         patchSize=31, fastThreshold=10)
    kps, desc = orb.detectAndCompute(cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(g), None)
    if desc is None or not kps:
        return Features(np.zeros((0, 2), np.float32), np.zeros((0, 32), np.uint8), (g.shape[1], g.shape[0]))
    # the bank's keyword index posts a photo under its first keypoints only: list them strongest
    # first within each pyramid level, the levels taken in turn, so coarse keypoints (which survive a
    # photo shrunk into a screenshot) are among the first. Measured (benchmarks.keyword_params, 30
    # originals + 1,200 distractors, 400 keypoints): recall@3 0.92 strongest-first, 0.96 in turn
    resp = -np.fromiter((k.response for k in kps), np.float64, len(kps))
    octave = np.fromiter((k.octave for k in kps), np.int64, len(kps))
    # rank within each level (strongest 0), ties by detection order: one stable sort by (level,
    # strength) instead of a loop over ``np.unique`` levels (whose first call imports numpy.ma, ~45 ms
    # of a process's start-up)
    by_level = np.lexsort((resp, octave))
    level_sorted = octave[by_level]
    rank = np.empty(len(kps))
    rank[by_level] = np.arange(len(kps)) - np.searchsorted(level_sorted, level_sorted, side="left")
    order = np.lexsort((resp, rank))
    pts = cv2.KeyPoint_convert(kps)[order].reshape(-1, 2)  # float32, as KeyPoint.pt holds them
    return Features(pts, np.ascontiguousarray(desc[order]), (g.shape[1], g.shape[0]))


def _ratio_matches(q: Features, b: Features, ratio: float,
                   threads: int = VerifyParams.match_threads) -> tuple[np.ndarray, np.ndarray]:
    """Query/bank point pairs whose nearest bank descriptor is clearly nearer than the second (Lowe's
    ratio test), by an exact Hamming k-NN in FAISS (the same pairs as OpenCV's brute-force matcher,
    about 5x less CPU: no Python object per match), on ``threads`` OpenMP threads (0: FAISS's own
    count; ``VerifyParams.match_threads`` says why one)."""
    if len(q) < 2 or len(b) < 2:
        return np.zeros((0, 2), np.float32), np.zeros((0, 2), np.float32)
    import faiss

    index = faiss.IndexBinaryFlat(256)
    index.add(np.ascontiguousarray(b.descriptors, np.uint8))
    with faiss_threads(threads):
        dist, rows = index.search(np.ascontiguousarray(q.descriptors, np.uint8), 2)
    good = (rows[:, 1] >= 0) & (dist[:, 0] < ratio * dist[:, 1])
    qp = np.asarray(q.points, np.float32)[good].reshape(-1, 2)
    bp = np.asarray(b.points, np.float32)[rows[good, 0]].reshape(-1, 2)
    return qp, bp


def _shape_ok(a: np.ndarray, p: VerifyParams) -> tuple[bool, str]:
    m = a[:, :2]
    det = float(np.linalg.det(m))
    if det <= 0:
        return False, "transform mirrors the image"
    u, s, vt = np.linalg.svd(m)
    if s[1] <= 1e-6 or s[0] / s[1] > p.max_anisotropy:
        return False, "transform stretches the image too much"
    r = u @ vt
    angle = float(np.degrees(np.arctan2(r[1, 0], r[0, 0])))
    # a photo turned by a quarter turn (or saved without its EXIF orientation) is the same picture;
    # what is limited is the tilt on top of the nearest multiple of 90 degrees
    tilt = abs((angle + 45.0) % 90.0 - 45.0)
    if tilt > p.max_rotation_deg:
        return False, f"transform rotates by {abs(angle):.0f} degrees"
    return True, ""


def aligned_distance(query_grey: np.ndarray, bank_grey: np.ndarray, affine: np.ndarray,
                     min_overlap: float, within: tuple[int, int, int, int] | None = None) -> int | None:
    """PDQ distance between the bank image and the query warped onto it, over their common box.

    ``within`` (x0, y0, x1, y1) limits the box to where the query actually shows the bank image (the
    extent of the RANSAC inliers): an app screenshot's bars and text lie inside the warped query's
    frame but show nothing of the photo, and would otherwise be compared with it.
    """
    h, w = bank_grey.shape
    warped = cv2.warpAffine(query_grey, affine, (w, h), flags=cv2.INTER_AREA, borderValue=0)
    mask = cv2.warpAffine(np.full(query_grey.shape, 255, np.uint8), affine, (w, h), flags=cv2.INTER_NEAREST)
    ys, xs = np.nonzero(mask)
    if not len(ys):
        return None
    # the largest box fully inside the warped query footprint, found by shrinking the bounding box
    y0, y1, x0, x1 = int(ys.min()), int(ys.max()) + 1, int(xs.min()), int(xs.max()) + 1
    for _ in range(64):
        box = mask[y0:y1, x0:x1]
        if box.size == 0 or box.min() > 0:
            break
        top, bottom, left, right = (box[0] == 0).mean(), (box[-1] == 0).mean(), \
            (box[:, 0] == 0).mean(), (box[:, -1] == 0).mean()
        worst = int(np.argmax([top, bottom, left, right]))
        step_y, step_x = max(1, (y1 - y0) // 64), max(1, (x1 - x0) // 64)
        if worst == 0:
            y0 += step_y
        elif worst == 1:
            y1 -= step_y
        elif worst == 2:
            x0 += step_x
        else:
            x1 -= step_x
    if (y1 - y0) * (x1 - x0) < min_overlap * h * w or y1 - y0 < 16 or x1 - x0 < 16:
        return None
    if within is not None:
        # keep the inlier box only when it is a usable region: flat skies and walls have no keypoints
        # but are part of the copy, so a small inlier box says nothing about bars
        bx0, by0 = max(x0, within[0]), max(y0, within[1])
        bx1, by1 = min(x1, within[2]), min(y1, within[3])
        if (by1 - by0) * (bx1 - bx0) >= 0.5 * (y1 - y0) * (x1 - x0):
            x0, y0, x1, y1 = bx0, by0, bx1, by1
    a = np.stack([bank_grey[y0:y1, x0:x1]] * 3, axis=-1)
    b = np.stack([warped[y0:y1, x0:x1]] * 3, axis=-1)
    return _PDQ.compute(np.ascontiguousarray(a)) - _PDQ.compute(np.ascontiguousarray(b))


def verify(query: Features, query_mirror: Features, bank: Features, query_grey: np.ndarray,
           bank_grey: np.ndarray | None, params: VerifyParams | None = None,
           sides: tuple[bool, ...] = (False, True)) -> Verification:
    """Is the query (or its mirror) an edited copy of the bank image? See the module docstring.
    ``sides``: which to try, in order (False: the query as it is, True: its mirror)."""
    p = params or VerifyParams()
    best: Verification | None = None
    for mirrored in sides:
        q = query_mirror if mirrored else query
        qp, bp = _ratio_matches(q, bank, p.ratio, p.match_threads)
        if len(qp) < p.min_inliers:
            cand = Verification(len(qp), 0, mirrored, None, None, False, "too few keypoint matches")
        else:
            a, inl = cv2.estimateAffine2D(qp, bp, method=cv2.RANSAC, ransacReprojThreshold=p.reproj_px,
                                          maxIters=2000, confidence=0.995)
            n_in = int(inl.sum()) if inl is not None else 0
            if a is None or n_in < p.min_inliers or n_in < p.min_inlier_fraction * len(qp):
                cand = Verification(len(qp), n_in, mirrored, None, None, False, "keypoints do not agree on one "
                                    "transform")
            else:
                ok, why = _shape_ok(a, p)
                dist = None
                if ok and bank_grey is not None:
                    qg = query_grey[:, ::-1] if mirrored else query_grey
                    # the affine maps query feature-frame pixels to bank feature-frame pixels
                    sx = bank_grey.shape[1] / bank.size[0]
                    sy = bank_grey.shape[0] / bank.size[1]
                    qsx = q.size[0] / qg.shape[1]
                    qsy = q.size[1] / qg.shape[0]
                    full = np.diag([sx, sy]) @ a[:, :2] @ np.diag([qsx, qsy])
                    t = np.array([sx, sy]) * a[:, 2]
                    pts = bp[inl.ravel().astype(bool)] * np.array([sx, sy], np.float32)
                    pad = 0.08 * np.array(bank_grey.shape[::-1], np.float32)
                    lo = np.floor(pts.min(axis=0) - pad).astype(int)
                    hi = np.ceil(pts.max(axis=0) + pad).astype(int)
                    dist = aligned_distance(np.ascontiguousarray(qg), bank_grey, np.hstack([full, t[:, None]]),
                                            p.min_overlap, (int(lo[0]), int(lo[1]), int(hi[0]), int(hi[1])))
                    if dist is None:
                        ok, why = False, "too little of the bank image is in the query"
                    elif dist > p.max_aligned_distance:
                        ok, why = False, f"aligned PDQ distance {dist} is above {p.max_aligned_distance}"
                cand = Verification(len(qp), n_in, mirrored, a, dist, ok, why or "same picture")
        if best is None or (cand.accepted, cand.inliers) > (best.accepted, best.inliers):
            best = cand
        if best.accepted:
            break
    assert best is not None
    return best
