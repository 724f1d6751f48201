"""The hash value object and the interface every hash type implements."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np

_POPCOUNT = np.array([i.bit_count() for i in range(256)], dtype=np.uint8)


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
        return int(_POPCOUNT[np.bitwise_xor(a, b)].sum())

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


class HashType(Protocol):
    """One perceptual hash algorithm: how to compute it and what distance counts as a match."""

    name: ClassVar[str]
    nbits: ClassVar[int]
    #: distance at or below which two hashes are treated as the same picture (calibration in docs/)
    threshold: ClassVar[int]

    def compute(self, rgb: np.ndarray) -> Hash: ...
