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
mirror (``query_features``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from imgcheck import local_features as local
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


#: numpy inverses of the EXIF orientation transposes (upright view -> pixels as stored in the file)
_UNDO_ORIENTATION = {
    2: lambda a: a[:, ::-1],
    3: lambda a: a[::-1, ::-1],
    4: lambda a: a[::-1],
    5: lambda a: a.transpose(1, 0, 2),
    6: lambda a: np.rot90(a, 1),
    7: lambda a: a[::-1, ::-1].transpose(1, 0, 2),
    8: lambda a: np.rot90(a, -1),
}


def stored_pixels(img: LoadedImage, side: int | None = HASH_SIDE) -> np.ndarray:
    """The image as its file stores it (EXIF orientation not applied), longer side at most ``side``."""
    rgb = img.rgb(side)
    undo = _UNDO_ORIENTATION.get(getattr(img, "orientation", 1))
    return rgb if undo is None else np.ascontiguousarray(undo(rgb))


#: Meta's reference hasher (pdq/cpp/io/pdqio.cpp) squashes an image larger than this on either side
#: to REFERENCE_SIDE x REFERENCE_SIDE by nearest-neighbour sampling (CImg's resize) before PDQ
REFERENCE_SIDE = 512


def reference_resample(rgb: np.ndarray, side: int = REFERENCE_SIDE) -> np.ndarray:
    """What the reference does before hashing: output pixel x takes source column floor(x * w / side)."""
    h, w = rgb.shape[:2]
    if h <= side and w <= side:
        return rgb
    ys = (np.arange(side) * h) // side
    xs = (np.arange(side) * w) // side
    return np.ascontiguousarray(rgb[ys][:, xs])


def _reference_pixels_pillow(img: LoadedImage) -> np.ndarray | None:
    """The reference's 512x512 sample taken straight from the decoder (no full-size RGB copy, which
    costs as much as the decode): nearest sampling commutes with the per-pixel mode conversion, so
    sampling first gives the same pixels. None for what Pillow does not decode here (TIFF via OpenCV)."""
    import io
    import warnings

    from PIL import Image

    from imgcheck.load import _to_rgb

    if type(img) is not LoadedImage or img.format == "TIFF":
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            im = Image.open(io.BytesIO(img.data))
            im.load()
            w, h = im.size
            if w > REFERENCE_SIDE or h > REFERENCE_SIDE:
                sx, sy = w / REFERENCE_SIDE, h / REFERENCE_SIDE
                # Pillow samples output pixel x at int(c + (x + 0.5) * sx): c = -sx/2 gives floor(x*w/512)
                # (the epsilon keeps exact integers from rounding down)
                if im.mode in ("P", "PA", "1"):
                    im = im.convert("RGBA" if im.mode == "PA" or "transparency" in im.info else "RGB")
                elif im.mode.startswith("I;16"):
                    im = im.convert("I")
                im = im.transform((REFERENCE_SIDE, REFERENCE_SIDE), Image.Transform.AFFINE,
                                  (sx, 0, -0.5 * sx + 1e-7, 0, sy, -0.5 * sy + 1e-7),
                                  resample=Image.Resampling.NEAREST)
            return np.ascontiguousarray(_to_rgb(im))
    except Exception:  # noqa: BLE001 - the general path below decides what a bad file is
        return None


def exchange_pdq(img: LoadedImage) -> Hash:
    """The PDQ other tools compute for this file: what hash lists carry and ``imgcheck hash`` prints.

    Computed like Meta's reference: from the full-resolution pixels as the file stores them (no
    EXIF rotation), resampled as the reference does; bit-exact with the reference build on the
    public PDQ test images and the registry photos of tests/fixtures (tests/test_pdq_reference.py).
    Costs a full decode (about 90 ms of CPU for a 12 MP JPEG), paid by ``bank add`` and ``imgcheck
    hash``, never by a check."""
    rgb = _reference_pixels_pillow(img)
    if rgb is None:
        rgb = reference_resample(stored_pixels(img, None))
    return _PDQ.compute(rgb)


#: hash type of the stored reference PDQ: exported, never searched (``Bank`` searches by query kind)
EXCHANGE_KIND = "pdq_ref"


def bank_hashes(img: LoadedImage) -> list[tuple[str, Hash]]:
    rgb = img.rgb(HASH_SIDE)
    ref = exchange_pdq(img)
    return [("full", _PDQ.compute(rgb)), ("full", _PHASH.compute(rgb)),
            ("stored", Hash(EXCHANGE_KIND, ref.bits, ref.quality))]


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
    """Hash type -> [(view name, hash)]: PDQ of every orientation of the full and trimmed views
    (``full``, ``full/rot90``, ... ``trimmed/flipy``), pHash of those views and their mirrors."""
    views = query_views(img)
    pdq: list[tuple[str, Hash]] = []
    for name in ("full", "trimmed"):
        if name in views:
            for orient, h in _PDQ.compute_dihedral(views[name]).items():
                pdq.append((name if orient == "orig" else f"{name}/{orient}", h))
    return {"pdq": pdq, "phash": [(name, _PHASH.compute(v)) for name, v in views.items()]}


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
