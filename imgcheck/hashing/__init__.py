"""Perceptual hash types. Each module holds one algorithm behind the HashType interface."""

from __future__ import annotations

from imgcheck.hashing.base import Hash, HashType
from imgcheck.hashing.pdq import PdqHash
from imgcheck.hashing.phash import PHash

HASH_TYPES: dict[str, HashType] = {"pdq": PdqHash(), "phash": PHash()}

__all__ = ["HASH_TYPES", "Hash", "HashType", "PHash", "PdqHash"]
