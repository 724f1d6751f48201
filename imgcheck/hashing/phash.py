"""pHash (DCT of a 32x32 grey image, 64 bits) as implemented by the imagehash package."""

from __future__ import annotations

from typing import ClassVar

import imagehash
import numpy as np
from PIL import Image

from imgcheck.hashing.base import Hash


class PHash:
    name: ClassVar[str] = "phash"
    nbits: ClassVar[int] = 64
    threshold: ClassVar[int] = 10

    def compute(self, rgb: np.ndarray) -> Hash:
        h = imagehash.phash(Image.fromarray(np.asarray(rgb)))
        return Hash.from_bool_array(self.name, h.hash)
