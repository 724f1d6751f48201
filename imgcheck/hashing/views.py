"""Which hashes and features are stored for a bank image and which are computed for a query.

Bank side: hashes of the image as it is, plus its ORB keypoints (``bank_features``) for the
local-feature verification. Query side: the image, its mirror, and the image with uniform borders
trimmed, so mirrored and letterboxed re-uploads land near the original; and the query's keypoints
and those of its mirror (``query_features``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imgcheck.hashing import local
from imgcheck.hashing.base import Hash
from imgcheck.hashing.pdq import PdqHash
from imgcheck.hashing.phash import PHash
from imgcheck.load import LoadedImage

HASH_SIDE = 512
_PDQ = PdqHash()
_PHASH = PHash()


def trim_uniform_borders(rgb: np.ndarray, tol: float = 12.0, min_keep: float = 0.3) -> np.ndarray:
    """Cut rows/columns at the edges that are (nearly) one colour: letterboxes, pillarboxes, frames."""
    grey = rgb.astype(np.float32).mean(axis=2)
    h, w = grey.shape

    def uniform(line: np.ndarray) -> bool:
        return float(np.std(line)) < tol

    top, bottom, left, right = 0, h, 0, w
    while top < bottom - 1 and uniform(grey[top, left:right]):
        top += 1
    while bottom - 1 > top and uniform(grey[bottom - 1, left:right]):
        bottom -= 1
    while left < right - 1 and uniform(grey[top:bottom, left]):
        left += 1
    while right - 1 > left and uniform(grey[top:bottom, right - 1]):
        right -= 1
    if (bottom - top) < min_keep * h or (right - left) < min_keep * w:
        return rgb
    return rgb[top:bottom, left:right]


def bank_hashes(img: LoadedImage) -> list[tuple[str, Hash]]:
    rgb = img.rgb(HASH_SIDE)
    return [("full", _PDQ.compute(rgb)), ("full", _PHASH.compute(rgb))]


def query_views(img: LoadedImage) -> dict[str, np.ndarray]:
    rgb = img.rgb(HASH_SIDE)
    views = {"full": rgb}
    trimmed = trim_uniform_borders(rgb)
    if trimmed.shape != rgb.shape:
        views["trimmed"] = trimmed
    for name in list(views):
        views[f"{name}+mirror"] = np.ascontiguousarray(views[name][:, ::-1])
    return views


def query_hashes(img: LoadedImage) -> dict[str, list[tuple[str, Hash]]]:
    views = query_views(img)
    return {
        "pdq": [(name, _PDQ.compute(v)) for name, v in views.items()],
        "phash": [(name, _PHASH.compute(v)) for name, v in views.items()],
    }


def bank_features(img: LoadedImage) -> dict[str, bytes]:
    """What the bank ``features`` table stores per image: kind -> blob."""
    f = local.compute(local.grey(img.rgb(local.FEATURE_SIDE)))
    return {local.FEATURE_KIND: f.to_bytes()}


@dataclass(frozen=True)
class QueryFeatures:
    grey: np.ndarray
    features: local.Features
    mirrored: local.Features

    def all_descriptors(self) -> np.ndarray:
        return np.concatenate([self.features.descriptors, self.mirrored.descriptors])


def query_features(img: LoadedImage) -> QueryFeatures:
    g = local.grey(img.rgb(local.FEATURE_SIDE), local.FEATURE_SIDE, local.MIN_QUERY_SIDE)
    return QueryFeatures(g, local.compute(g), local.compute(np.ascontiguousarray(g[:, ::-1])))
