"""pHash (DCT of a 32x32 grey image, 64 bits), the imagehash package's algorithm and values.

The grey 32x32 image is made exactly as ``imagehash.phash`` makes it (Pillow's L conversion and
Lanczos resize); its DCT-II is taken as a product with the 8x32 cosine matrix of the coefficients
that are kept, instead of scipy's FFT-based transform of all of them: the same values to rounding
(tests/test_hashing.py compares with imagehash bit for bit on the fixtures), and no scipy import
(0.3-0.8 s of a process's start-up).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

import numpy as np
from PIL import Image

from imgcheck.hashing.base import Hash, HashType, median
from imgcheck.settings import PHASH_RADIUS

_SIDE = 32
_KEEP = 8
#: unnormalised DCT-II (scipy's ``dct(type=2, norm=None)``): X_k = 2 sum_n x_n cos(pi k (2n + 1) / 2N)
_DCT = 2.0 * np.cos(np.pi * np.arange(_KEEP)[:, None] * (2 * np.arange(_SIDE)[None, :] + 1) / (2 * _SIDE))


def phash_bits(grey32: np.ndarray) -> np.ndarray:
    """The 8x8 boolean pHash of a 32x32 grey image."""
    low = _DCT @ np.asarray(grey32, np.float64) @ _DCT.T
    # coefficients that are zero in exact arithmetic (a flat picture) come out as rounding noise;
    # snap them to zero as scipy's transform gives them, so ties at the median fall the same way
    low[np.abs(low) < 1e-9 * (1.0 + np.abs(low).max())] = 0.0
    return low > median(low)


class PHash(HashType):
    name: ClassVar[str] = "phash"
    nbits: ClassVar[int] = 64
    threshold: ClassVar[int] = PHASH_RADIUS
    radius_setting: ClassVar[str] = "phash_radius"

    def compute(self, rgb: np.ndarray) -> Hash:
        return self._of_grey(Image.fromarray(np.asarray(rgb)).convert("L"))

    def _of_grey(self, grey: Image.Image) -> Hash:
        small = grey.resize((_SIDE, _SIDE), Image.Resampling.LANCZOS)
        return Hash.from_bool_array(self.name, phash_bits(np.asarray(small)))

    def query_hashes(self, views: Mapping[str, np.ndarray]) -> list[tuple[str, Hash]]:
        """As ``HashType.query_hashes``; a view ``NAME+mirror`` that is ``views[NAME][:, ::-1]`` (as
        ``hashing.views.query_views`` makes it) is hashed from NAME's grey image flipped: the grey
        conversion is per pixel, so that is the same grey image as the mirror's, without a copy and a
        conversion of the mirrored RGB."""
        greys: dict[str, Image.Image] = {}
        out: list[tuple[str, Hash]] = []
        for name, rgb in views.items():
            base = name[: -len(_MIRROR)] if name.endswith(_MIRROR) else None
            if base in greys and _is_mirror_of(rgb, views[base]):
                grey = greys[base].transpose(Image.Transpose.FLIP_LEFT_RIGHT)
            else:
                grey = greys[name] = Image.fromarray(np.asarray(rgb)).convert("L")
            out.append((name, self._of_grey(grey)))
        return out


_MIRROR = "+mirror"


def _is_mirror_of(view: np.ndarray, base: np.ndarray) -> bool:
    """Whether ``view`` is exactly ``base[:, ::-1]`` (the same memory, columns reversed)."""
    if not isinstance(view, np.ndarray) or not isinstance(base, np.ndarray) or base.ndim < 2:
        return False
    flipped = base[:, ::-1]
    return (view.shape == flipped.shape and view.dtype == flipped.dtype and view.strides == flipped.strides
            and view.__array_interface__["data"][0] == flipped.__array_interface__["data"][0])
