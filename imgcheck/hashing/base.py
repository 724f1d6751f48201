"""The hash value object and the signal-type interface every hash type implements.

A hash type declares everything the rest of imgcheck needs to know about it, in the spirit of
python-threatexchange's ``SignalType`` (the facts of its design: a type says how to compute and
compare its signal and which index serves it): how to compute it (``compute`` on a working copy,
``query_hashes`` over the views a query is looked up in, ``compute_file`` for what other tools
compute), how to compare two (``compare``), its match radius (``radius``, read from Settings), its
quality gate (``gate``), the strength scale its distances are graded on and the index class that
serves it (``index``, a name the bank resolves: hash types sit below the bank and never import it).
The bank, its index, the ``known_image`` check and ``imgcheck hash`` iterate over
``imgcheck.hashing.HASH_TYPES``, so a new hash type is one new class registered there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from imgcheck.strength import Scale

if TYPE_CHECKING:
    from imgcheck.load import LoadedImage
    from imgcheck.settings import Settings

#: set bits of each byte value: Hamming distances of packed hashes are sums of this over XORed bytes
POPCOUNT = np.array([i.bit_count() for i in range(256)], dtype=np.uint8)

def median(a: np.ndarray, axis: int | None = None) -> np.ndarray | np.float64:
    """``np.median`` of NaN-free values, the same numbers (the mean of the two middle values of an
    even count, in float64 for integers): ``np.median`` imports ``numpy.ma`` on its first call to look
    for NaNs, about 45 ms of every process that hashes a photo (measured with ``python -X importtime``
    on ``imgcheck check --checks known_image``)."""
    a = np.asarray(a)
    if axis is None:
        a, axis = a.ravel(), 0
    n = a.shape[axis]
    if n == 0:
        raise ValueError("median of an empty array")
    if not np.issubdtype(a.dtype, np.inexact):
        a = a.astype(np.float64)
    k = n // 2
    part = np.partition(a, [k - 1, k] if n % 2 == 0 else [k], axis=axis)
    hi = np.take(part, k, axis=axis)
    if n % 2:
        return hi
    return (np.take(part, k - 1, axis=axis) + hi) / 2


#: longest side of the working copy hashes are computed on (bank side and query side)
HASH_SIDE = 512
#: pictures with a shorter side under this never match on a hash alone (too few pixels to say which)
MIN_HASH_SIDE = 32


@dataclass(frozen=True)
class Hash:
    """A binary perceptual hash. ``a - b`` is the Hamming distance; ``str(h)`` is hex and round-trips."""

    kind: str
    bits: bytes
    quality: int | None = None

    def __sub__(self, other: Hash) -> int:
        if self.kind != other.kind or len(self.bits) != len(other.bits):
            raise ValueError(f"cannot compare a {self.kind} hash with a {other.kind} hash")
        a = np.frombuffer(self.bits, np.uint8)
        b = np.frombuffer(other.bits, np.uint8)
        return int(POPCOUNT[np.bitwise_xor(a, b)].sum())

    def __str__(self) -> str:
        return self.bits.hex()

    @property
    def nbits(self) -> int:
        return len(self.bits) * 8

    @classmethod
    def from_hex(cls, kind: str, text: str, quality: int | None = None) -> Hash:
        return cls(kind, bytes.fromhex(text.strip()), quality)

    @classmethod
    def from_bool_array(cls, kind: str, bits: np.ndarray, quality: int | None = None) -> Hash:
        """Pack a flat array of 0/1 values, first element as the most significant bit."""
        return cls(kind, np.packbits(np.asarray(bits, dtype=np.uint8).ravel()).tobytes(), quality)


class HashType:
    """One binary perceptual hash algorithm (a signal type). Subclasses set the class variables and
    ``compute``; the defaults below fit a Hamming-distance hash with no quality score."""

    name: ClassVar[str]
    nbits: ClassVar[int]
    #: the default match radius: distance at or below which two hashes are the same picture
    #: (calibration in docs/calibration.md); ``radius`` reads the engine's setting
    threshold: ClassVar[int]
    #: the Settings field holding the match radius (one number: that field defaults to ``threshold``);
    #: None: the radius is ``threshold`` itself
    radius_setting: ClassVar[str | None] = None
    #: hashes whose quality score is below this never decide a match (None: the type has no score)
    min_quality: ClassVar[int | None] = None
    #: the index class the bank serves this type with (``bank.image_index.INDEX_CLASSES``)
    index: ClassVar[str] = "multi_index_hamming"
    #: the bank also keeps the hash other tools compute for the file under this type name (exported,
    #: never searched); None when that is the working-copy hash itself
    exchange_kind: ClassVar[str | None] = None

    def compute(self, rgb: np.ndarray) -> Hash:
        raise NotImplementedError

    @property
    def nbytes(self) -> int:
        return self.nbits // 8

    def compare(self, a: Hash, b: Hash) -> int:
        """The distance between two hashes of this type (Hamming: bits that differ)."""
        return a - b

    def radius(self, settings: Settings) -> int:
        """The match radius in force: the engine's setting for this type."""
        return int(self.threshold if self.radius_setting is None else getattr(settings, self.radius_setting))

    def gate(self, quality: int | None) -> str | None:
        """Why a hash of this quality says nothing about which picture it is, or None when it can
        decide a match."""
        if self.min_quality is not None and quality is not None and quality < self.min_quality:
            return (f"{self.name.upper()} quality {quality} is below {self.min_quality} "
                    "(a flat or nearly uniform picture)")
        return None

    @property
    def scale(self) -> Scale:
        """How a distance maps to strength: unrelated pictures differ in about half the bits."""
        return Scale("distance", f"bits of {self.nbits}", "<=", self.nbits / 2, 0.0)

    def query_hashes(self, views: Mapping[str, np.ndarray]) -> list[tuple[str, Hash]]:
        """(view name, hash) for each view a query is looked up in (``hashing.views.query_views``:
        the upload, its border-trimmed copy and their mirrors); the first is the upload as it is."""
        return [(name, self.compute(v)) for name, v in views.items()]

    def compute_file(self, img: LoadedImage) -> Hash:
        """The hash other tools compute for this file (what ``imgcheck hash`` prints and hash lists
        carry); the working-copy hash unless the type's reference hashes other pixels."""
        return self.compute(img.rgb(HASH_SIDE))


def picture_gate(types: Mapping[str, HashType], qualities: Mapping[str, int | None],
                 width: int | None, height: int | None) -> str | None:
    """Why the hashes of a picture cannot decide a match, or None: a gate of any type (a flat picture
    is flat for every hash, even those without a quality score), or a side under MIN_HASH_SIDE."""
    for kind, t in types.items():
        why = t.gate(qualities.get(kind))
        if why is not None:
            return why
    if width is not None and height is not None and min(width, height) < MIN_HASH_SIDE:
        return f"{width}x{height} px is too small"
    return None
