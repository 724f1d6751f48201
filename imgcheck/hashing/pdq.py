"""PDQ (Meta's 256-bit photo hash) through the pdqhash bindings, with its quality score.

PDQ is computed on at most 512 px (the algorithm downsamples to 64x64 itself), so callers pass a
reduced image. ``compute_dihedral`` gives the 8 rotations/mirrors in one pass.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Mapping
from typing import ClassVar

import numpy as np
import pdqhash
from PIL import Image

from imgcheck.hashing.base import HASH_SIDE, Hash, HashType
from imgcheck.load import LoadedImage, _to_rgb
from imgcheck.settings import PDQ_RADIUS

#: order of pdqhash.compute_dihedral's outputs
DIHEDRAL_NAMES = ("orig", "rot90", "rot180", "rot270", "flipx", "flipy", "flipplus", "flipminus")


class PdqHash(HashType):
    name: ClassVar[str] = "pdq"
    nbits: ClassVar[int] = 256
    threshold: ClassVar[int] = PDQ_RADIUS
    radius_setting: ClassVar[str] = "pdq_radius"
    #: PDQ's own guidance (and ThreatExchange's, HMA's): hashes with quality below this are unreliable
    #: (flat or tiny images)
    min_quality: ClassVar[int] = 50
    exchange_kind: ClassVar[str] = "pdq_ref"

    def compute(self, rgb: np.ndarray) -> Hash:
        bits, quality = pdqhash.compute(np.ascontiguousarray(rgb))
        return Hash.from_bool_array(self.name, bits, int(quality))

    def compute_dihedral(self, rgb: np.ndarray) -> dict[str, Hash]:
        vectors, quality = pdqhash.compute_dihedral(np.ascontiguousarray(rgb))
        return {n: Hash.from_bool_array(self.name, v, int(quality)) for n, v in zip(DIHEDRAL_NAMES, vectors)}

    def query_hashes(self, views: Mapping[str, np.ndarray]) -> list[tuple[str, Hash]]:
        """Every orientation (the dihedral group) of the unmirrored views: mirrors are among them."""
        out: list[tuple[str, Hash]] = []
        for name, rgb in views.items():
            if "+mirror" in name:
                continue
            for orient, h in self.compute_dihedral(rgb).items():
                out.append((name if orient == "orig" else f"{name}/{orient}", h))
        return out

    def compute_file(self, img: LoadedImage) -> Hash:
        """The PDQ other tools compute for this file: what hash lists carry and ``imgcheck hash`` prints.

        Computed like Meta's reference: from the full-resolution pixels as the file stores them (no
        EXIF rotation), resampled as the reference does; bit-exact with the reference build on the
        public PDQ test images and the registry photos of tests/fixtures (tests/test_pdq_reference.py).
        Costs a full decode (about 90 ms of CPU for a 12 MP JPEG), paid by ``bank add`` and ``imgcheck
        hash``, never by a check."""
        rgb = _reference_pixels_pillow(img)
        if rgb is None:
            rgb = reference_resample(stored_pixels(img, None))
        return self.compute(rgb)


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
