"""Which hashes and features are stored for a bank image and which are computed for a query.

Bank side: hashes of the image as it is, plus its ORB keypoints (``bank_features``) for the
local-feature verification.

Bank side also: the PDQ other tools compute for the file (``exchange_pdq``: Meta's reference PDQ of
the pixels as stored, EXIF orientation not applied), kept as hash type ``pdq_ref`` for hash-list
export and never matched against (matching stays on the 512 px upright copy, whose query side below
covers every orientation, so an EXIF-rotated photo and its untagged copy find each other). Lists
from other tools hold stored-pixel hashes too; the query's 8 orientations find them as well.

Query side: the image and the image with uniform borders trimmed, each in all 8 orientations
for PDQ (the dihedral group: 0/90/180/270 degrees, each mirrored or not, so a photo turned
sideways, upside down or flipped, or one whose EXIF orientation was lost or applied twice, lands
near the original) and as is and mirrored for pHash; and the query's keypoints and those of its
mirror (``query_features``), with a coarse view of both for the keyword votes.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from imgcheck import local_features as local
from imgcheck.hashing import HASH_TYPES
from imgcheck.hashing.base import HASH_SIDE, Hash, median
from imgcheck.hashing.pdq import (  # noqa: F401 - the reference's pixels, re-exported for callers
    REFERENCE_SIDE,
    PdqHash,
    reference_resample,
    stored_pixels,
)
from imgcheck.load import LoadedImage
from imgcheck.settings import CoarseView, PhotoBand

_PDQ: PdqHash = HASH_TYPES["pdq"]  # type: ignore[assignment]


def trim_uniform_borders(rgb: np.ndarray, tol: float = 12.0, min_keep: float = 0.3) -> np.ndarray:
    """Cut rows/columns at the edges that are (nearly) one colour: letterboxes, pillarboxes, frames."""
    h, w = rgb.shape[:2]

    def uniform(line: np.ndarray) -> bool:
        # the channel mean of the edge lines only (most photos stop at the first line of each side)
        return float(np.std(line.astype(np.float32).mean(axis=-1))) < tol

    top, bottom, left, right = 0, h, 0, w
    while top < bottom - 1 and uniform(rgb[top, left:right]):
        top += 1
    while bottom - 1 > top and uniform(rgb[bottom - 1, left:right]):
        bottom -= 1
    while left < right - 1 and uniform(rgb[top:bottom, left]):
        left += 1
    while right - 1 > left and uniform(rgb[top:bottom, right - 1]):
        right -= 1
    if (bottom - top) < min_keep * h or (right - left) < min_keep * w:
        return rgb
    return rgb[top:bottom, left:right]


def exchange_pdq(img: LoadedImage) -> Hash:
    """The PDQ other tools compute for this file (``PdqHash.compute_file``)."""
    return _PDQ.compute_file(img)


#: hash type of the stored reference PDQ: exported, never searched (``Bank`` searches by query kind)
EXCHANGE_KIND = PdqHash.exchange_kind


def bank_hashes(img: LoadedImage) -> list[tuple[str, Hash]]:
    """What the bank stores per image: each hash type's hash of the working copy (variant ``full``),
    then, for a type whose reference hashes other pixels, that hash under its ``exchange_kind``
    (variant ``stored``)."""
    rgb = img.rgb(HASH_SIDE)
    out: list[tuple[str, Hash]] = [("full", t.compute(rgb)) for t in HASH_TYPES.values()]
    for t in HASH_TYPES.values():
        if t.exchange_kind is not None:
            ref = t.compute_file(img)
            out.append(("stored", Hash(t.exchange_kind, ref.bits, ref.quality)))
    return out


def query_views(img: LoadedImage) -> dict[str, np.ndarray]:
    rgb = img.rgb(HASH_SIDE)
    views = {"full": rgb}
    trimmed = trim_uniform_borders(rgb)
    if trimmed.shape != rgb.shape:
        views["trimmed"] = trimmed
    for name in list(views):
        views[f"{name}+mirror"] = views[name][:, ::-1]  # a view: each hash type copies what it needs
    return views


def query_hashes(img: LoadedImage) -> dict[str, list[tuple[str, Hash]]]:
    """Hash type -> [(view name, hash)], each type over the query views as it declares
    (``HashType.query_hashes``): for PDQ every orientation of the full and trimmed views (``full``,
    ``full/rot90``, ... ``trimmed/flipy``), for pHash those views and their mirrors."""
    views = query_views(img)
    return {name: t.query_hashes(views) for name, t in HASH_TYPES.items()}


def bank_features(img: LoadedImage) -> dict[str, bytes]:
    """What the bank ``features`` table stores per image: kind -> blob."""
    f = local.compute(local.grey(img.rgb(local.FEATURE_SIDE)))
    return {local.FEATURE_KIND: f.to_bytes()}


@dataclass(frozen=True)
class QueryFeatures:
    grey: np.ndarray
    features: local.Features
    mirrored: local.Features
    #: the coarse view's descriptors of the upload and of its mirror (``settings.CoarseView``): they
    #: vote for keyword candidates, verification uses ``features`` / ``mirrored``
    coarse: tuple[np.ndarray, np.ndarray] | None = None

    def all_descriptors(self) -> np.ndarray:
        return np.concatenate([self.features.descriptors, self.mirrored.descriptors])

    def keyword_descriptors(self) -> list[np.ndarray]:
        """[upload's, mirror's] descriptors for the keyword index's votes (``KeywordIndex.votes``)."""
        if self.coarse is None:
            return [self.features.descriptors, self.mirrored.descriptors]
        return [np.concatenate([self.features.descriptors, self.coarse[0]]),
                np.concatenate([self.mirrored.descriptors, self.coarse[1]])]


def _features_of_grey(g: np.ndarray, coarse: CoarseView | None) -> QueryFeatures:
    mirrored = np.ascontiguousarray(g[:, ::-1])
    extra = None
    if coarse is not None and coarse.features > 0:
        h, w = g.shape
        size = (max(1, round(w * coarse.shrink)), max(1, round(h * coarse.shrink)))
        small = cv2.resize(g, size, interpolation=cv2.INTER_AREA)
        extra = tuple(local.compute(x, coarse.features, coarse.levels).descriptors
                      for x in (small, np.ascontiguousarray(small[:, ::-1])))
    return QueryFeatures(g, local.compute(g), local.compute(mirrored), extra)


def query_features(img: LoadedImage, coarse: CoarseView | None = None) -> QueryFeatures:
    """The upload's keypoints and its mirror's (and, given ``coarse``, the coarse view's)."""
    g = local.grey(img.rgb(local.FEATURE_SIDE), local.FEATURE_SIDE, local.MIN_QUERY_SIDE)
    return _features_of_grey(g, coarse)


def photo_band(rgb: np.ndarray, params: PhotoBand) -> tuple[int, int] | None:
    """Rows (y0, y1) of the picture inside an app screenshot, or None when ``rgb`` does not look like
    one: the top and bottom rows share one background colour, and the picture is the longest run of
    rows that are not bars (rows mostly of that colour: status bar, header, action bar, caption text),
    with bars above or below it (``settings.PhotoBand``)."""
    h = rgb.shape[0]
    if h < 2:
        return None
    bg = median(np.asarray(rgb[0], np.int16), axis=0)
    if np.abs(bg - median(np.asarray(rgb[-1], np.int16), axis=0)).max() > params.colour_tol:
        return None
    bars = _background_share(rgb, bg, params.colour_tol) >= params.bar_share
    edges = np.diff(np.concatenate([[0], (~bars).astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    if not len(starts):
        return None
    i = int(np.argmax(ends - starts))
    y0, y1 = int(starts[i]), int(ends[i])
    if y1 - y0 < params.min_band * h or h - (y1 - y0) < params.min_bars * h:
        return None
    return y0, y1


def _background_share(rgb: np.ndarray, bg: np.ndarray, tol: float) -> np.ndarray:
    """Per row, the share of pixels whose every channel is within ``tol`` of ``bg``. ``bg`` is a
    median of integers (a multiple of 1/2), so for uint8 RGB the test is the integer range
    ceil(bg - tol) <= value <= floor(bg + tol) per channel: one ``cv2.inRange`` pass instead of a
    float copy of the image (the same rows, about 50x less CPU on a 500x375 upload)."""
    a = np.asarray(rgb)
    if a.dtype != np.uint8 or a.ndim != 3 or a.shape[2] != 3 or not a.shape[1]:
        return (np.abs(np.asarray(a, np.int16) - bg).max(axis=2) <= tol).mean(axis=1)
    lo = np.clip(np.ceil(bg - tol), 0, 256)
    hi = np.clip(np.floor(bg + tol), -1, 255)
    if (lo > hi).any():  # a channel no value can match: no pixel is background
        return np.zeros(a.shape[0])
    inside = cv2.inRange(np.ascontiguousarray(a), tuple(map(float, lo)), tuple(map(float, hi)))
    return np.count_nonzero(inside, axis=1) / a.shape[1]


def band_features(img: LoadedImage, params: PhotoBand,
                  coarse: CoarseView | None = None) -> QueryFeatures | None:
    """``query_features`` of the picture inside an app screenshot (``photo_band``), or None."""
    rgb = img.rgb(local.FEATURE_SIDE)
    rows = photo_band(rgb, params)
    if rows is None:
        return None
    g = local.grey(np.ascontiguousarray(rgb[rows[0]:rows[1]]), local.FEATURE_SIDE, local.MIN_QUERY_SIDE)
    return _features_of_grey(g, coarse)
