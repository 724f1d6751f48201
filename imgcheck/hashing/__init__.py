"""Perceptual hash types. Each module holds one algorithm behind the HashType interface (base.py);
``HASH_TYPES`` is the registry the bank, its index, ``known_image`` and ``imgcheck hash`` iterate
over, in this order (the first is the one a picture's quality is reported from)."""

from __future__ import annotations

from imgcheck.hashing.base import Hash, HashType, picture_gate
from imgcheck.hashing.pdq import PdqHash
from imgcheck.hashing.phash import PHash

HASH_TYPES: dict[str, HashType] = {t.name: t for t in (PdqHash(), PHash())}

__all__ = ["HASH_TYPES", "Hash", "HashType", "PHash", "PdqHash", "picture_gate"]
