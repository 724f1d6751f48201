"""PDQ (Meta's 256-bit photo hash) through the pdqhash bindings, with its quality score.

PDQ is computed on at most 512 px (the algorithm downsamples to 64x64 itself), so callers pass a
reduced image. ``compute_dihedral`` gives the 8 rotations/mirrors in one pass.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pdqhash

from imgcheck.hashing.base import Hash
from imgcheck.settings import PDQ_RADIUS

#: order of pdqhash.compute_dihedral's outputs
DIHEDRAL_NAMES = ("orig", "rot90", "rot180", "rot270", "flipx", "flipy", "flipplus", "flipminus")


class PdqHash:
    name: ClassVar[str] = "pdq"
    nbits: ClassVar[int] = 256
    threshold: ClassVar[int] = PDQ_RADIUS
    #: PDQ's own guidance: hashes with quality below this are unreliable (flat or tiny images)
    min_quality: ClassVar[int] = 50

    def compute(self, rgb: np.ndarray) -> Hash:
        bits, quality = pdqhash.compute(np.ascontiguousarray(rgb))
        return Hash.from_bool_array(self.name, bits, int(quality))

    def compute_dihedral(self, rgb: np.ndarray) -> dict[str, Hash]:
        vectors, quality = pdqhash.compute_dihedral(np.ascontiguousarray(rgb))
        return {n: Hash.from_bool_array(self.name, v, int(quality)) for n, v in zip(DIHEDRAL_NAMES, vectors)}
